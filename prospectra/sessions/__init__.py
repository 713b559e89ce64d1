"""Login sessions: everything about them, behind the few names below.

- :mod:`.store`: Flask-Session's Redis or SQL backend and the seam the rest uses (the only module
  that knows Flask-Session's internals); :class:`StoreUnavailable` is its one outage exception.
- :mod:`.split`: the session object, with Flask-WTF's CSRF secret kept outside the record.
- :mod:`.interface`: Flask's session interface (CSRF cookie, lifetimes, cookie deletions).
- :mod:`.index`: the user -> sessions index (the account page's list, "end this session").
- :mod:`.snapshot`: what pages show of the account, kept in the record (no user row per page).
- :mod:`.lifecycle`: login, renewal, logout, purge.

Import map: lifecycle -> index -> store -> split; snapshot -> index; interface -> store, split.
Nothing here imports a view, the consent layer or the caches.
"""

from __future__ import annotations

from flask import Flask
from flask import current_app
from flask import request
from flask import session
from flask_login import current_user

from ..public import is_public
from . import index
from . import snapshot
from .interface import SplitSessionInterface
from .lifecycle import PURGE_BATCH
from .lifecycle import end
from .lifecycle import purge_expired
from .lifecycle import renew
from .lifecycle import start
from .store import StoreUnavailable
from .store import build

__all__ = [
    "PURGE_BATCH",
    "StoreUnavailable",
    "end",
    "init_app",
    "page_variant",
    "purge_expired",
    "renew",
    "start",
]


def init_app(app: Flask) -> None:
    """Bind the configured store, behind the split interface, and refuse pages it cannot serve."""
    app.before_request(_refuse_when_store_unavailable)  # first: before anything reads the user
    app.session_interface = SplitSessionInterface(
        build(app), app, on_store=index.touch, on_end=index.forget, before_store=snapshot.refresh
    )


def page_variant() -> str | None:
    """For the page cache (:mod:`prospectra.caching`): a logged-in user's page is their own, and
    so is one rendered while their session cannot be read (it carries a notice)."""
    return None if session.unavailable or current_user.is_authenticated else ""


def _refuse_when_store_unavailable() -> None:
    # The visitor's session could not be read. A public page is the same for everyone: it is
    # rendered as for an anonymous visitor, with a one-line notice (templates/base.html), and
    # nothing is written. Any other page would need the account: answering as if the visitor
    # were logged out would be wrong, and writing could overwrite the session, so 503. Health
    # checks answer for themselves.
    if not session.unavailable or request.blueprint == "health":
        return
    if is_public(current_app.view_functions.get(request.endpoint)):
        return
    raise StoreUnavailable("session store unreachable")
