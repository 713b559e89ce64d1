"""Flask-Session's SQL store, reading a record with one Core query instead of the ORM.

Flask-Session 0.8 reads the record through the legacy ``Model.query`` API and an ORM instance on
every request: about 0.6 ms of a logged-in page on SQLite, the largest single cost after rendering.
A backend overrides ``_retrieve_session_data`` (Flask-Session's per-backend hook), so this class
changes only that read and the start (no table created); writes, deletion and the model stay
Flask-Session's.

Unlike the shipped read, a failure is not retried three times with sleeps (0.9 s): the request is
answered 503 at once, as for the Redis store (see :mod:`prospectra.privacy.session_interface`).

The cleanup that Flask-Session runs inside a request now and then (``[session]
cleanup_every_n_requests``) deletes one small batch of expired records, not all of them in one
transaction: with 100,000 expired records that took 1.3 s, during which every other write waited.
The backlog is the hourly ``sessions purge``'s, in batches too.
"""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from typing import Any

from flask import Flask
from flask_session.base import ServerSideSessionInterface
from flask_session.defaults import Defaults
from flask_session.sqlalchemy import SqlAlchemySessionInterface
from flask_session.sqlalchemy.sqlalchemy import create_session_model
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import bindparam
from sqlalchemy import delete
from sqlalchemy import select
from sqlalchemy.sql import Select

from .database import delete_one_batch

# Expired records deleted by one in-request cleanup: about a millisecond through the expiry index.
REQUEST_CLEANUP_BATCH = 100


class SqlSessionStore(SqlAlchemySessionInterface):
    _read: Select  # the record's data and expiry, by session id

    def __init__(self, app: Flask, client: SQLAlchemy) -> None:
        """Flask-Session's SQL store, from the same settings Flask-Session reads, minus one step.

        Flask-Session's constructor also creates its table, which connects to the database while
        the worker boots: a database down at that moment stopped the worker, and gunicorn then
        halted every worker. Here the table comes from the migrations (``db upgrade``, or the
        upgrade at first contact), so the rest of that constructor is all this one does.
        """
        config = app.config
        self.client = client
        self.sql_session_model = create_session_model(
            client, config.get("SESSION_SQLALCHEMY_TABLE", Defaults.SESSION_SQLALCHEMY_TABLE)
        )
        table = self.sql_session_model.__table__
        # Built once: SQLAlchemy then reuses the compiled statement from its cache.
        self._read = select(table.c.data, table.c.expiry).where(
            table.c.session_id == bindparam("sid")
        )
        ServerSideSessionInterface.__init__(
            self,
            app,
            key_prefix=config.get("SESSION_KEY_PREFIX", Defaults.SESSION_KEY_PREFIX),
            use_signer=config.get("SESSION_USE_SIGNER", Defaults.SESSION_USE_SIGNER),
            permanent=config.get("SESSION_PERMANENT", Defaults.SESSION_PERMANENT),
            sid_length=config.get("SESSION_ID_LENGTH", Defaults.SESSION_ID_LENGTH),
            serialization_format=config.get(
                "SESSION_SERIALIZATION_FORMAT", Defaults.SESSION_SERIALIZATION_FORMAT
            ),
            cleanup_n_requests=config.get(
                "SESSION_CLEANUP_N_REQUESTS", Defaults.SESSION_CLEANUP_N_REQUESTS
            ),
        )

    def fetch(self, executor, store_id: str):
        """The record's (data, expiry) row, or None; ``executor`` is a Session or a Connection."""
        return executor.execute(self._read, {"sid": store_id}).first()

    @staticmethod
    def is_live(row) -> bool:
        # Naive UTC, as Flask-Session writes it.
        return row.expiry is not None and row.expiry > datetime.now(UTC).replace(tzinfo=None)

    def _delete_expired_sessions(self) -> None:
        """Delete at most one batch of expired records: the cleanup some requests run."""
        model = self.sql_session_model
        now = datetime.now(UTC).replace(tzinfo=None)
        try:
            delete_one_batch(model, model.expiry <= now, REQUEST_CLEANUP_BATCH)
        except Exception:
            self.client.session.rollback()
            raise

    def _retrieve_session_data(self, store_id: str) -> dict[str, Any] | None:
        db_session = self.client.session
        row = self.fetch(db_session, store_id)
        if row is None:
            return None
        if not self.is_live(row):
            try:
                table = self.sql_session_model.__table__
                db_session.execute(delete(table).where(table.c.session_id == store_id))
                db_session.commit()
            except Exception:
                db_session.rollback()
                raise
            return None
        return self.serializer.decode(bytes(row.data))
