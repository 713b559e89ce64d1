"""Logged-in pages replayed from memory while nothing they were made from has changed.

A view marked :func:`replayable` makes, for a logged-in user, a page that depends only on the
request (its URL and headers, cookies included), the user's session record and the user's row in
the database; the time matters only through the session's lifetimes. Before such a view runs, the
record and the row are noted; if the app then answers 200 without writing the record or setting a
cookie, the response cache (:mod:`prospectra.response_cache`) keeps the response with that *proof*.

A later request with the very same headers is answered from memory after the reads the app itself
would have made first (the session record, the user's row), when both are unchanged, and only while
no write is due: before the record's refresh (a tenth of the idle timeout after its last write,
see :mod:`prospectra.privacy.session_interface`) and before the absolute lifetime ends. Whatever
else happens, the page goes to the app: a logout or an ended session (no record), an e-mail change
from another device (another row), a write made while rendering (a policy notice shown once moves
the row on, a refresh moves the record on), a store outage (the app answers 503).

Written by hand: Flask-Caching keeps view results, and no library checks a kept response against a
server-side session before replaying it.
"""

from __future__ import annotations

import functools
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask import g
from flask import request
from flask import request_finished
from flask import session
from flask.wrappers import Response
from flask_login import current_user
from sqlalchemy import Engine
from sqlalchemy import bindparam
from sqlalchemy import select

from .errors import SERVICE_ERRORS
from .extensions import db
from .models import User
from .privacy.session_interface import LOGIN_AT
from .privacy.session_interface import STORE_FAILED
from .privacy.session_interface import STORED_AT

# Set in the WSGI environ when the response may be replayed to the same request: its Proof.
REPLAYABLE = "prospectra.replayable"
_NOTED = "_prospectra_replay_proof"
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Proof:
    """What a kept page was made from, and until when (epoch seconds) it may be replayed."""

    sid: str
    record: dict
    user_row: tuple
    until: float


def replayable(view: Callable[..., Any]) -> Callable[..., Any]:
    """Let a logged-in user's page be replayed; see the module docstring for the contract."""

    @functools.wraps(view)
    def noting_what_the_page_is_made_of(*args: Any, **kwargs: Any) -> Any:
        if current_user.is_authenticated and session.sid and not session.modified:
            setattr(g, _NOTED, (dict(session), _row_of(current_user)))
        return view(*args, **kwargs)

    return noting_what_the_page_is_made_of


def _row_of(user: User) -> tuple:
    # The loaded object's columns, in table order: what Checker.user_row reads back.
    return tuple(getattr(user, column.key) for column in User.__table__.columns)


class Checker:
    """Reads a session record and a user row outside any request, as the app would read them."""

    def __init__(self, app: Flask) -> None:
        interface = app.session_interface
        self.store = interface.inner
        self.refresh_after = interface.refresh_after
        self.absolute_lifetime = interface.absolute_lifetime
        self.cookie_name = app.config["SESSION_COOKIE_NAME"]
        self.sql = app.config["SESSION_TYPE"] != "redis"
        with app.app_context():
            self.engine: Engine = db.engine
        table = User.__table__
        self.user_read = select(table).where(table.c.id == bindparam("uid"))

    def record(self, connection, sid: str) -> dict | None:
        """The session record as the app's store reads it (an expired one is the app's to delete)."""
        store_id = self.store._get_store_id(sid)
        if not self.sql:
            return self.store._retrieve_session_data(store_id)  # Redis: no app context needed
        row = self.store.fetch(connection, store_id)
        return (
            self.store.serializer.decode(bytes(row.data))
            if row and self.store.is_live(row)
            else None
        )

    def user_row(self, connection, user_id: int) -> tuple | None:
        row = connection.execute(self.user_read, {"uid": user_id}).first()
        return tuple(row) if row is not None else None

    def holds(self, proof: Proof, environ: dict) -> bool:
        """Say whether the page kept with ``proof`` is still the one the app would make now.

        A store that cannot be read is noted in ``environ``: the app then answers 503 without
        waiting for the store a second time.
        """
        if time.time() >= proof.until:
            return False
        try:
            with self.engine.connect() as connection:
                try:
                    record = self.record(connection, proof.sid)
                except SERVICE_ERRORS as error:
                    environ[STORE_FAILED] = error
                    return False
                if record != proof.record:
                    return False
                return self.user_row(connection, int(record["_user_id"])) == proof.user_row
        except SERVICE_ERRORS:
            return False  # the database: the app meets the same error and answers for it
        except Exception:  # noqa: BLE001 (a cache must never be why a request fails)
            _log.exception("replay check failed; the app answers instead")
            return False

    def proof(self, response: Response) -> Proof | None:
        """The proof of this request's response, if it may be replayed (called when finished)."""
        noted = g.get(_NOTED)
        # A response setting a cookie is refused by the response cache itself, in both its modes.
        if noted is None or response.status_code != 200 or session.modified or session.stored:
            return None
        record, user_row = noted
        login_at, stored_at = record.get(LOGIN_AT), record.get(STORED_AT)
        if not isinstance(login_at, int) or not isinstance(stored_at, int):
            return None
        until = min(stored_at + self.refresh_after, login_at + self.absolute_lifetime)
        return Proof(sid=session.sid, record=record, user_row=user_row, until=until)


def init_app(app: Flask, *, enabled: bool) -> Checker:
    """Note the proof of every replayable response once the app finished it (session saved).

    The privacy notice says within how many minutes a kept page may be shown again
    (``page_copy_minutes``; None when pages are not replayed).
    """
    checker = Checker(app)
    minutes = math.ceil(checker.refresh_after / 60) if enabled else None
    app.jinja_env.globals["page_copy_minutes"] = minutes

    def finished(sender: Flask, response: Response, **_extra: Any) -> None:
        proof = checker.proof(response)
        if proof is not None:
            request.environ[REPLAYABLE] = proof

    # Held weakly by the signal and strongly by the app: an app that is dropped (tests build many)
    # takes its receiver with it.
    request_finished.connect(finished, app)
    app.extensions["prospectra.session_replay"] = (checker, finished)
    return checker
