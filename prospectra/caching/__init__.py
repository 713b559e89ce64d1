"""Public pages served from memory to anonymous visitors: two layers, one seam.

- :mod:`.pages`: a public view's HTML, cached by Flask-Caching (every request still runs the
  pipeline: headers, CSP, counting, the cookie guard);
- :mod:`.responses`: the whole response replayed, before the app runs, to a visitor who sends no
  cookie at all, only with no audience measurement configured (measurement counts each view).

**The seam.** This package imports no session, login or consent module. Each layer that can make a
public page differ from one anonymous visitor to another passes a *variant function* to
:func:`init_app`: called once per request, it returns a short string the page's HTML depends on
(part of the cache key), or ``None`` when this request's page is the visitor's own and must not be
kept (a logged-in user, the consent banner, the session store unreachable).

Logged-in pages are never kept: no copy of a page holding personal data outlives its request.
"""

from __future__ import annotations

from flask import Flask

from .. import state
from . import pages
from .pages import Variant
from .pages import public_page
from .responses import ResponseCache

__all__ = ["Variant", "init_app", "public_page", "wrap"]


def init_app(app: Flask, variants: tuple[Variant, ...]) -> None:
    """Bind the page cache; ``variants``: every layer's variant function (see above)."""
    pages.init_app(app, variants)


def wrap(app: Flask) -> ResponseCache:
    """The response cache in front of ``app``'s WSGI application.

    It replays only while no audience measurement (or other tag) is configured: measurement counts
    every view, so with a provider every request reaches the app.
    """
    return ResponseCache(app.wsgi_app, enabled=not state.of(app).providers)
