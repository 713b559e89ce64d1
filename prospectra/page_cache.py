"""Rendered public pages, kept in memory for anonymous visitors (Flask-Caching).

Rendering the layout (language links, footer, translations) was most of an anonymous page's cost;
the page itself only changes with a deployment. Only the view's HTML is cached: every request
still goes through the whole pipeline (security headers, per-visitor CSP, audience counting, the
cookie guard). A page is cached only when it cannot differ from one anonymous visitor to another:
no logged-in user, no consent banner (its forms carry a per-visitor CSRF token), no query string
but ``?lang=``, and nothing written to the session while rendering.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask import g
from flask import request
from flask import session
from flask_caching import Cache
from flask_login import current_user

from .analytics import pages
from .consent import decision
from .i18n import LANGUAGES
from .i18n import explicit_language
from .i18n import language
from .response_cache import SHAREABLE

SECONDS = 600
# An upper bound, not a working size: the keys (page, language, explicit ?lang=, measurement
# allowed) make a few dozen entries.
MAX_ENTRIES = 256

cache = Cache()


def init_app(app: Flask) -> None:
    # One cache per process, in memory: pages are the same in every worker, and a shared store
    # would cost a network round trip for what a render costs in CPU.
    cache.init_app(
        app,
        config={
            "CACHE_TYPE": "SimpleCache",
            "CACHE_DEFAULT_TIMEOUT": SECONDS,
            "CACHE_THRESHOLD": MAX_ENTRIES,
        },
    )
    # Fragment keys ({% cache %} in templates) must be strings.
    app.jinja_env.globals["signed_in"] = signed_in


def signed_in() -> str:
    return "in" if current_user.is_authenticated else "out"


def public_page(view: Callable[..., Any]) -> Callable[..., Any]:
    """Serve ``view``'s HTML from memory when it is the same for every anonymous visitor.

    For a logged-in user the page is rendered each time and kept nowhere.
    """
    return pages.public(
        cache.cached(
            unless=_varies_by_visitor,
            make_cache_key=_key,
            response_filter=_rendered_for_anyone,
        )(view)
    )


def _varies_by_visitor(*_args: Any, **_kwargs: Any) -> bool:
    if request.method != "GET" or any(name != "lang" for name in request.args):
        return True
    if request.args.get("lang", LANGUAGES[0]) not in LANGUAGES:
        return True
    if current_user.is_authenticated or decision.current().show_banner:
        return True
    if session.unavailable:
        return True  # rendered with the notice that the visitor's account is unavailable
    # The same page for every anonymous visitor (unless rendering it now writes to the session):
    # the response cache in front of the app may replay the whole response to visitors who send
    # no cookie (prospectra.response_cache).
    request.environ[SHAREABLE] = True
    return False


def _key(*_args: Any, **_kwargs: Any) -> str:
    # Everything the page's HTML depends on for an anonymous visitor without a banner: the page,
    # its language, an explicit ?lang= (kept in every link), and the measurement tags allowed.
    allowed = ",".join(p.key for p in decision.current().active)
    return f"page:{request.path}:{language()}:{explicit_language()}:{allowed}"


def _rendered_for_anyone(rv: Any) -> bool:
    # A form on the page would have put a CSRF token in g and a secret in this visitor's session.
    shareable = isinstance(rv, str) and "csrf_token" not in g and not session.modified
    if not shareable:
        request.environ.pop(SHAREABLE, None)
    return shareable
