"""Flask-Session's SQL store, reading a record with one Core query instead of the ORM.

Flask-Session 0.8 reads the record through the legacy ``Model.query`` API and an ORM instance on
every request: about 0.6 ms of a logged-in page on SQLite, the largest single cost after rendering.
A backend overrides ``_retrieve_session_data`` (Flask-Session's per-backend hook), so this class
changes only that read; writes, deletion and the table stay Flask-Session's.

Unlike the shipped read, a failure is not retried three times with sleeps (0.9 s): the request is
answered 503 at once, as for the Redis store (see :mod:`prospectra.privacy.session_interface`).
"""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from typing import Any

from flask_session.sqlalchemy import SqlAlchemySessionInterface
from sqlalchemy import bindparam
from sqlalchemy import delete
from sqlalchemy import select
from sqlalchemy.sql import Select


class SqlSessionStore(SqlAlchemySessionInterface):
    _read: Select  # the record's data and expiry, by session id

    @classmethod
    def adopt(cls, interface: SqlAlchemySessionInterface) -> SqlSessionStore:
        """Give the interface Flask-Session built (model, table, settings) this class's read.

        Built by Flask-Session, not here: constructing a second interface would declare its model
        class a second time on the same metadata.
        """
        interface.__class__ = cls
        table = interface.sql_session_model.__table__
        # Built once: SQLAlchemy then reuses the compiled statement from its cache.
        interface._read = select(table.c.data, table.c.expiry).where(
            table.c.session_id == bindparam("sid")
        )
        return interface

    def fetch(self, executor, store_id: str):
        """The record's (data, expiry) row, or None; ``executor`` is a Session or a Connection."""
        return executor.execute(self._read, {"sid": store_id}).first()

    @staticmethod
    def is_live(row) -> bool:
        # Naive UTC, as Flask-Session writes it.
        return row.expiry is not None and row.expiry > datetime.now(UTC).replace(tzinfo=None)

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
