"""Login sessions: the server-side store, login without fixation, logout, and stale-record purge."""

from __future__ import annotations

import datetime
import time

import redis
from flask import Flask
from flask import current_app
from flask import request
from flask import session
from flask_login import login_user
from flask_login import logout_user
from redis.backoff import NoBackoff
from redis.retry import Retry

from . import session_index
from .analytics import pages
from .database import delete_in_batches
from .errors import unavailable
from .extensions import db
from .extensions import server_session
from .models import User
from .privacy.session_interface import CSRF_KEY
from .privacy.session_interface import LOGIN_AT
from .privacy.session_interface import SplitSessionInterface
from .sql_session_store import SqlSessionStore

PURGE_BATCH = 1000


def init_app(app: Flask) -> None:
    """Bind Flask-Session to the configured store and put the split interface in front of it."""
    settings = app.config["PROSPECTRA"]["session"]
    if settings["store"] == "redis":
        timeout = settings["redis_timeout_seconds"]
        app.config["SESSION_REDIS"] = redis.Redis.from_url(
            settings["redis_url"],
            socket_connect_timeout=timeout,
            socket_timeout=timeout,
            # One immediate retry replaces a pooled connection that died with a Redis restart;
            # redis-py's default (3 retries with backoff, timeouts included) made a stopped Redis
            # cost 4 s a page. A timeout is not retried: a hung Redis costs one timeout, no more.
            retry=Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,)),
        )
    else:
        app.config["SESSION_SQLALCHEMY"] = db
        # Flask-Session declares its model anew each time it is bound; let it redeclare the table
        # when one process builds several apps (tests), instead of failing on the second.
        table = db.metadata.tables.get(app.config.get("SESSION_SQLALCHEMY_TABLE", "sessions"))
        if table is not None:
            db.metadata.remove(table)
    app.before_request(_refuse_when_store_unavailable)  # first: before anything reads the user
    if settings["store"] == "redis":
        server_session.init_app(app)
    else:
        app.session_interface = SqlSessionStore(app, db)
    app.session_interface = SplitSessionInterface(
        app.session_interface, app, on_store=_seen, on_end=session_index.forget
    )


def _seen(stored) -> None:
    # Only login sessions are listed; an anonymous record (none today) has no row to update.
    if dict.get(stored, "_user_id") is not None:
        session_index.touch(stored.sid)


def _refuse_when_store_unavailable() -> None:
    # The visitor's session could not be read. A public page is the same for everyone: it is
    # rendered as for an anonymous visitor, with a one-line notice (templates/base.html), and
    # nothing is written. Any other page would need the account: answering as if the visitor
    # were logged out would be wrong, and writing could overwrite the session, so 503. Health
    # checks answer for themselves.
    if not session.unavailable or request.blueprint == "health":
        return
    if pages.is_public(current_app.view_functions.get(request.endpoint)):
        return
    raise unavailable("session store unreachable")


def start(user: User) -> None:
    """Log the user in under a brand-new session id and a new CSRF secret.

    The old server record (if any) is deleted, so an id planted before login is worthless, and a
    CSRF token issued to the anonymous visitor is refused afterwards.
    """
    session.clear()
    login_user(user, remember=False)
    session[LOGIN_AT] = int(time.time())
    current_app.session_interface.regenerate(session)
    session.pop(CSRF_KEY, None)
    session_index.record(user.id, session.sid)


def renew() -> None:
    """Give the current login session a fresh id, keeping the user logged in and listed.

    Used after a password change: whoever might have copied the old cookie holds nothing.
    """
    old_sid = session.sid
    current_app.session_interface.regenerate(session)
    session_index.rekey(old_sid, session.sid)


def end() -> None:
    """Log the user out: delete the server record, expire the cookie, drop the CSRF secret."""
    logout_user()
    session.clear()
    session.pop(CSRF_KEY, None)


def purge_expired(batch_size: int = PURGE_BATCH) -> int:
    """Delete expired records from the SQL session store; return how many (Redis expires keys).

    The sessions list loses its expired entries too. Deletes in batches of ``batch_size`` rows.
    """
    session_index.purge_expired(batch_size)
    if current_app.config["SESSION_TYPE"] != "sqlalchemy":
        return 0
    model = current_app.session_interface.sql_session_model
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)  # the store keeps naive UTC
    return delete_in_batches(model, model.expiry <= now, batch_size)
