"""Languages (Flask-Babel): French or English, from the URL or Accept-Language, never a cookie.

A language cookie would be a third cookie the policy does not declare, so an explicit choice is
carried by the URL (``?lang=fr``) and kept on the links the page renders.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from babel import Locale
from flask import Flask
from flask import g
from flask import has_request_context
from flask import request
from flask import url_for
from flask.wrappers import Response
from flask_babel import get_locale
from flask_babel import get_translations
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from . import vary
from .extensions import babel

LANGUAGES = ("en", "fr")
NAMES = {"en": "English", "fr": "Français"}


def init_app(app: Flask) -> None:
    """Select the language per request and keep an explicit choice in every link."""
    babel.init_app(app, locale_selector=select_language)  # prospectra/translations/
    app.url_defaults(_keep_explicit_language)
    app.after_request(_vary)
    app.context_processor(_catalogue_of_this_request)
    app.jinja_env.globals.update(
        localized=localized,
        language=language,
        explicit_language=explicit_language,
        other_languages=other_languages,
        text_of=text_of,
        french_typography=french_typography,
        in_words=in_words,
    )


# Parsed once: Flask-Babel takes a Locale from the selector as it is (Locale.parse returns it).
_LOCALES = {code: Locale.parse(code) for code in LANGUAGES}


def select_language() -> Locale:
    """``?lang=`` if it names a language we have, else the browser's preference, else English."""
    explicit = explicit_language()
    if explicit:
        return _LOCALES[explicit]
    if not request.environ.get("HTTP_ACCEPT_LANGUAGE"):
        return _LOCALES["en"]  # no preference sent: nothing to parse
    return _LOCALES[request.accept_languages.best_match(LANGUAGES) or "en"]


def language() -> str:
    """This request's language code, "en" outside a request.

    Flask-Babel's choice, kept in ``g`` beside Flask-Babel's own (same lifetime): a page asks a
    dozen times (dates, texts) and Flask-Babel's lookup costs ~3 us each.
    """
    if not has_request_context():
        return "en"
    code = g.get("prospectra_language")
    if code is None:
        code = g.prospectra_language = get_locale().language
    return code


def explicit_language() -> str:
    """The language the URL asks for (``?lang=``), or "" when it names none we have."""
    # Asked for every link a page renders: a test of the key, as werkzeug's .get() raises and
    # catches an exception when the key is missing, as it is on most pages.
    args = request.args
    explicit = args["lang"] if "lang" in args else ""
    return explicit if explicit in LANGUAGES else ""


def localized(template: str) -> list[str]:
    """The page's template in the current language (``X.fr.html``), then the English one."""
    lang = language()
    if lang == "en":
        return [template]
    return [template.removesuffix(".html") + f".{lang}.html", template]


def text_of(item, field: str) -> str:
    """``item``'s ``field`` in the current language when it has a translation (``item.fr``).

    A French text (often typed by ops in the settings) gets French typography on its way out.
    """
    translations = item["fr"] if isinstance(item, dict) else getattr(item, "fr", None)
    value = item[field] if isinstance(item, dict) else getattr(item, field)
    if language() != "fr" or field not in (translations or {}):
        return value
    return french_typography(translations[field])


_BEFORE_DOUBLE_PUNCTUATION = re.compile(r"[ \t]+([:;?!»])(?=\s|$|[.,)])|«[ \t]+")


def french_typography(text: str) -> str:
    """A no-break space before « : ; ? ! » and inside « », as French is printed.

    Only a blank already there is replaced: "https://" or "12:30" have none and stay as they are.
    """
    if not isinstance(text, str):
        return text
    return _BEFORE_DOUBLE_PUNCTUATION.sub(
        lambda m: "\u00a0" + m.group(1) if m.group(1) else "«\u00a0", text
    )


# Small counts are written out, as people say them.
_NUMBERS = {
    "en": "zero one two three four five six seven eight nine ten eleven twelve".split(),
    "fr": "zéro un deux trois quatre cinq six sept huit neuf dix onze douze".split(),
}


def in_words(number: int) -> str:
    """``number`` in words in the current language ("three", "trois"); digits above twelve."""
    words = _NUMBERS[language()]
    return words[number] if 0 <= number < len(words) else str(number)


# The query arguments a page reads besides ``lang`` (where to go after login or consent, the
# statistics' period): the language switch keeps these and no other. Passing the whole query string
# on would hand url_for its own keywords (``?endpoint=``, ``?_method=``) and fail every page.
KEPT_ON_SWITCH = ("next", "days")


def other_languages() -> tuple[tuple[str, str, str], ...]:
    """(code, name, URL of this page in that language) for the language switcher."""
    if request.endpoint is None:
        return ()
    kept = tuple((name, request.args[name]) for name in KEPT_ON_SWITCH if name in request.args)
    view_args = tuple((request.view_args or {}).items())
    return _switch_links(request.script_root, request.endpoint, view_args, kept, language())


@functools.lru_cache(maxsize=1024)
def _switch_links(
    _root: str, endpoint: str, view_args: tuple, kept: tuple, current: str
) -> tuple[tuple[str, str, str], ...]:
    # Built once per page and language: url_for with a query string costs ~0.1 ms a page.
    args = {**dict(kept), **dict(view_args)}
    return tuple(
        (code, NAMES[code], url_for(endpoint, **{**args, "lang": code}))
        for code in LANGUAGES
        if code != current
    )


def _catalogue_of_this_request() -> dict:
    """``_()`` in templates, bound to this request's catalogue once per render.

    Flask-Babel's template callable looks up the locale and its catalogue again on each ``_()``
    (about a hundred Python calls; a page has a dozen or more). The semantics are Jinja's
    "newstyle" gettext, which Flask-Babel installs: autoescaped, always %-formatted.
    """
    return {"gettext": _gettext_in(language())}


@functools.lru_cache(maxsize=len(LANGUAGES))
def _gettext_in(lang: str) -> Callable[..., str]:
    # One callable per language, made at its first page: Flask-Babel loads a language's
    # catalogue once per process too, from the package's own translations (the same for every
    # app), and finding it again on each page cost ~10 us.
    translations = get_translations()  # this request's, whose language is `lang`

    @pass_context
    def gettext(context: Context, string: str, **variables) -> str:
        text = translations.ugettext(string)
        if context.eval_ctx.autoescape:
            # Our own catalogue, as in Jinja's gettext: variables are escaped by the % below.
            text = Markup(text)  # nosec B704
        # Jinja's newstyle gettext always %-formats ("%%" is "%"); a text without "%" is unchanged.
        return text % variables if variables or "%" in text else text

    return gettext


def _keep_explicit_language(endpoint: str, values: dict) -> None:
    if endpoint == "static" or "lang" in values or not has_request_context():
        return
    explicit = explicit_language()
    if explicit:
        values["lang"] = explicit


def _vary(response: Response) -> Response:
    vary.add(response, "Accept-Language")
    return response
