"""Rendered public pages, kept in memory for anonymous visitors (Flask-Caching).

Rendering the layout (language links, footer, translations) was most of an anonymous page's cost;
the page itself only changes with a deployment. Only the view's HTML is cached: every request
still goes through the whole pipeline (security headers, per-visitor CSP, audience counting, the
cookie guard). A page is cached only when it cannot differ from one anonymous visitor to another:
every layer that can make it differ says so through the seam of :mod:`prospectra.caching`
(a variant function); no query string but ``?lang=``; and nothing written to the session, no form
(a per-visitor CSRF token) while rendering.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask import current_app
from flask import g
from flask import request
from flask import session
from flask_caching import Cache
from flask_caching.backends.simplecache import SimpleCache

from ..i18n import LANGUAGES
from ..i18n import explicit_language
from ..i18n import language
from ..public import public
from .responses import SHAREABLE

SECONDS = 600
# An upper bound, not a working size: the keys (page, language, explicit ?lang=, variants) make a
# few dozen entries.
MAX_ENTRIES = 256
_VARIANTS = "prospectra.page_variants"

# A variant function: what an anonymous visitor's page depends on in one layer, as a short string
# for the cache key ("" when nothing; otherwise prefixed with the layer's name, so that two layers'
# strings never combine into the same key), or None when the page is the visitor's own.
Variant = Callable[[], "str | None"]


class _AsIs:
    """cachelib's serializer interface, keeping ``str`` values as they are."""

    def dumps(self, value: Any, protocol: int | None = None) -> str:
        if not isinstance(value, str):  # only immutable values can be shared without a copy
            raise TypeError(f"the page cache keeps str values, not {type(value).__name__}")
        return value

    def loads(self, value: str) -> str:
        return value


class StringCache(SimpleCache):
    """Flask-Caching's in-process cache, for what this one holds: page HTML and template
    fragments, always ``str`` (immutable). Pickled, every hit unpickled a copy (~5 us a layout
    fragment, three a page)."""

    serializer = _AsIs()


cache = Cache()


def init_app(app: Flask, variants: tuple[Variant, ...]) -> None:
    # One cache per process, in memory: pages are the same in every worker, and a shared store
    # would cost a network round trip for what a render costs in CPU.
    cache.init_app(
        app,
        config={
            "CACHE_TYPE": f"{__name__}.StringCache",
            "CACHE_DEFAULT_TIMEOUT": SECONDS,
            "CACHE_THRESHOLD": MAX_ENTRIES,
        },
    )
    app.extensions[_VARIANTS] = variants


def public_page(view: Callable[..., Any]) -> Callable[..., Any]:
    """Serve ``view``'s HTML from memory when it is the same for every anonymous visitor.

    For a logged-in user the page is rendered each time and kept nowhere.
    """
    return public(
        cache.cached(
            unless=_varies_by_visitor,
            make_cache_key=_key,
            response_filter=_rendered_for_anyone,
        )(view)
    )


def _variant() -> str | None:
    # Computed once per request: both Flask-Caching's `unless` and its key need it.
    if "page_variant" not in g:
        parts = [variant() for variant in current_app.extensions[_VARIANTS]]
        g.page_variant = None if None in parts else ",".join(p for p in parts if p)  # type: ignore[misc]
    return g.page_variant


def _varies_by_visitor(*_args: Any, **_kwargs: Any) -> bool:
    if request.method != "GET" or any(name != "lang" for name in request.args):
        return True
    if request.args.get("lang", LANGUAGES[0]) not in LANGUAGES:
        return True
    if _variant() is None:
        return True
    # The same page for every anonymous visitor (unless rendering it now writes to the session):
    # the response cache in front of the app may replay the whole response to visitors who send
    # no cookie (caching/responses.py).
    request.environ[SHAREABLE] = True
    return False


def _key(*_args: Any, **_kwargs: Any) -> str:
    # Everything the page's HTML depends on for an anonymous visitor: the page, its language, an
    # explicit ?lang= (kept in every link), and what each layer's variant says.
    return f"page:{request.path}:{language()}:{explicit_language()}:{_variant()}"


def _rendered_for_anyone(rv: Any) -> bool:
    # A form on the page would have put a CSRF token in g and a secret in this visitor's session.
    shareable = isinstance(rv, str) and "csrf_token" not in g and not session.modified
    if not shareable:
        request.environ.pop(SHAREABLE, None)
    return shareable
