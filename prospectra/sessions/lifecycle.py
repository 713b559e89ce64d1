"""A login session's life: login without fixation, renewal, logout, and the purge of stale records."""

from __future__ import annotations

import time

from flask import session
from flask_login import login_user
from flask_login import logout_user

from ..models import User
from . import index
from . import store
from .split import CSRF_KEY
from .split import LOGIN_AT

PURGE_BATCH = 1000


def start(user: User) -> None:
    """Log the user in under a brand-new session id and a new CSRF secret.

    The old server record (if any) is deleted, so an id planted before login is worthless, and a
    CSRF token issued to the anonymous visitor is refused afterwards.
    """
    session.clear()
    login_user(user, remember=False)
    # Flask-Login keeps a SHA-512 of the visitor's IP address and User-Agent for its session
    # protection, which is off (auth/__init__.py): nothing reads it, so it is not kept.
    session.pop("_id", None)
    session[LOGIN_AT] = int(time.time())
    store.current().regenerate(session)
    session.pop(CSRF_KEY, None)
    index.record(user.id, session.sid)


def renew() -> None:
    """Give the current login session a fresh id, keeping the user logged in and listed.

    Used after a password change: whoever might have copied the old cookie holds nothing.
    """
    old_sid = session.sid
    store.current().regenerate(session)
    index.rekey(old_sid, session.sid)


def end() -> None:
    """Log the user out: delete the server record, expire the cookie, drop the CSRF secret."""
    logout_user()
    session.clear()
    session.pop(CSRF_KEY, None)


def purge_expired(batch_size: int = PURGE_BATCH) -> tuple[int, int]:
    """Delete expired listings and store records (Redis expires its keys by itself), in batches.

    :returns: how many listings, how many store records.
    """
    return index.purge_expired(batch_size), store.current().purge_expired(batch_size)
