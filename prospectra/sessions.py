"""Login sessions: the server-side store, login without fixation, logout, and stale-record purge."""

from __future__ import annotations

import datetime
import time

import redis
from flask import Flask
from flask import current_app
from flask import session
from flask_login import login_user
from flask_login import logout_user

from .extensions import db
from .extensions import server_session
from .models import User
from .privacy.session_interface import CSRF_KEY
from .privacy.session_interface import LOGIN_AT
from .privacy.session_interface import SplitSessionInterface

REDIS_TIMEOUT_SECONDS = 2


def init_app(app: Flask) -> None:
    """Bind Flask-Session to the configured store and put the split interface in front of it."""
    settings = app.config["PROSPECTRA"]["session"]
    if settings["store"] == "redis":
        app.config["SESSION_REDIS"] = redis.Redis.from_url(
            settings["redis_url"],
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
        )
    else:
        app.config["SESSION_SQLALCHEMY"] = db
        # Flask-Session declares its model anew each time it is bound; let it redeclare the table
        # when one process builds several apps (tests), instead of failing on the second.
        table = db.metadata.tables.get(app.config.get("SESSION_SQLALCHEMY_TABLE", "sessions"))
        if table is not None:
            db.metadata.remove(table)
    server_session.init_app(app)
    app.session_interface = SplitSessionInterface(app.session_interface, app)


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


def end() -> None:
    """Log the user out: delete the server record, expire the cookie, drop the CSRF secret."""
    logout_user()
    session.clear()
    session.pop(CSRF_KEY, None)


def purge_expired() -> int:
    """Delete expired records from the SQL session store; return how many (Redis expires keys)."""
    interface = current_app.session_interface
    if current_app.config["SESSION_TYPE"] != "sqlalchemy":
        return 0
    model = interface.sql_session_model
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)  # the store keeps naive UTC
    deleted = model.query.filter(model.expiry <= now).delete(synchronize_session=False)
    db.session.commit()
    return deleted
