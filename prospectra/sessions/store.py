"""The session store: Flask-Session's Redis or SQL backend, behind a small public seam.

This is the only module that knows Flask-Session's internals (the per-backend hooks
``_get_store_id``, ``_retrieve_session_data``, ``_delete_session``, ``_delete_expired_sessions``,
``_generate_sid``). It subclasses the two backends and adds what the rest of the app uses:

- :meth:`Store.store_id`, :meth:`Store.new_session`, :meth:`Store.regenerate`,
  :meth:`Store.delete`, :meth:`Store.discard`, :meth:`Store.live`, :meth:`Store.due`,
  :meth:`Store.purge_expired`, :meth:`Store.ping`;
- Flask's own ``open_session`` / ``save_session``, used by :mod:`prospectra.sessions.interface`.

Every failure of the backend (Redis or the database down) comes out as one exception,
:class:`StoreUnavailable`, which the error handlers render as the 503 page.

Decided here rather than by Flask-Session:

- **When to write.** Flask-Session writes the store on every request (one fsync each on SQLite).
  A record is rewritten when its data changed, or when it is older than a tenth of the idle
  timeout; a logged-in page otherwise costs one store read and no write. The idle timeout is
  checked by the app against the time the record was last written (``STORED_AT``), so it can only
  end a session earlier than configured (by at most that tenth), never later.
- **The record's key.** The store never holds the session id itself, only an HMAC-SHA256 of it
  under a key derived from the secret key: a copy of the SQLite file or a Redis dump lists no id
  a browser could present. After a change of secret key, a record still keyed under a previous
  one (``[app] previous_secret_keys``, Flask's ``SECRET_KEY_FALLBACKS``) is found and moved to the
  current key on its session's next request: a key rotation logs nobody out.
- **An unreadable record** (Flask-Session cannot decode it) ends that session, rather than showing
  an error on every page until it expires.
- **SQL reads** use one prepared Core query instead of Flask-Session's ORM read through the legacy
  ``Model.query`` API (about 0.6 ms of a logged-in page on SQLite), with no retry-and-sleep on
  failure (0.9 s); no table is created at start (the migrations make it: a database down while a
  worker booted stopped every worker); the in-request cleanup deletes one small batch, not every
  expired record in one transaction (1.3 s with 100,000 expired, while other writes waited).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC
from datetime import datetime
from typing import Any

import redis
from flask import Flask
from flask import Request
from flask import current_app
from flask.wrappers import Response
from flask_session.defaults import Defaults
from flask_session.redis import RedisSessionInterface
from flask_session.redis.redis import RedisSession
from flask_session.sqlalchemy import SqlAlchemySessionInterface
from flask_session.sqlalchemy.sqlalchemy import SqlAlchemySession
from flask_session.sqlalchemy.sqlalchemy import create_session_model
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy import bindparam
from sqlalchemy import delete
from sqlalchemy import select

from .. import vary
from ..database import delete_in_batches
from ..database import delete_one_batch
from ..extensions import db
from ..outages import SERVICE_ERRORS
from ..outages import Unavailable
from .split import STORED_AT
from .split import CsrfOutside

REFRESH_FRACTION = 0.1  # rewrite an unchanged record once it is this much of the idle timeout old
# Expired records deleted by one in-request cleanup (SQL): about a millisecond through the index.
REQUEST_CLEANUP_BATCH = 100
_STORE_ID_CONTEXT = b"prospectra-session-store-id"


class StoreUnavailable(Unavailable):
    """The session store cannot be reached: the request is answered 503, nothing is changed."""


class RedisStoreSession(CsrfOutside, RedisSession):
    pass


class SqlStoreSession(CsrfOutside, SqlAlchemySession):
    pass


class Store:
    """What both backends add to Flask-Session (mixed in before the backend's class)."""

    kind: str
    _id_keys_for: Any = None
    _last_ids: tuple[str, tuple[str, ...]] | None = None

    def _setup(self, app: Flask) -> None:
        self.refresh_after = app.permanent_session_lifetime.total_seconds() * REFRESH_FRACTION

    # -- the seam -------------------------------------------------------------------------------

    def store_id(self, sid: str) -> str:
        """The store's key for session ``sid``: the key prefix, then a keyed hash of the id."""
        return self._store_ids(sid)[0]

    def _store_ids(self, sid: str) -> tuple[str, ...]:
        """The key under the current secret key, then under each previous one."""
        secrets = (self.app.secret_key, *(self.app.config.get("SECRET_KEY_FALLBACKS") or ()))
        if self._id_keys_for != secrets:
            self._id_keys = [
                hmac.new(
                    key.encode() if isinstance(key, str) else key, _STORE_ID_CONTEXT, hashlib.sha256
                ).digest()
                for key in secrets
            ]
            self._id_keys_for = secrets
            self._last_ids = None
        last = self._last_ids  # a request reads and then saves its record under the same keys
        if last is not None and last[0] == sid:
            return last[1]
        ids = tuple(
            self.key_prefix + hmac.new(key, sid.encode(), hashlib.sha256).hexdigest()
            for key in self._id_keys
        )
        self._last_ids = (sid, ids)
        return ids

    def new_session(self) -> CsrfOutside:
        """An empty session under a fresh id (nothing stored until it holds something)."""
        return self.session_class(sid=self._generate_sid(self.sid_length), permanent=self.permanent)

    def regenerate(self, session: CsrfOutside) -> None:
        """Give ``session`` a fresh id; the record under the old one is deleted."""
        with _outage("regenerate"):
            super().regenerate(session)

    def delete(self, sid: str) -> None:
        """Delete the record of session ``sid``: its cookie is anonymous on its next request."""
        with _outage("delete"):
            for store_id in self._store_ids(sid):  # one, unless previous secret keys are kept
                self._delete_session(store_id)

    def discard(self, sids: list[str], key: str) -> None:
        """Remove ``key`` from the records of these sessions, keeping their expiry.

        A record that is gone stays gone, and one without the key is not rewritten.
        """
        raise NotImplementedError

    def live(self, sids: list[str]) -> set[str]:
        """Which of these sessions still have a record: one query or one round trip for all."""
        raise NotImplementedError

    def due(self, session: CsrfOutside) -> bool:
        """Whether saving ``session`` now writes its record: changed, marked for a rewrite, or a
        tenth of the idle timeout old. (An empty session is never written, only deleted.)"""
        stored_at = dict.get(session, STORED_AT)
        return (
            session.modified
            or session.rewrite
            or not isinstance(stored_at, int)
            or int(time.time()) - stored_at >= self.refresh_after
        )

    def purge_expired(self, batch_size: int) -> int:
        """Delete expired records in batches; return how many (Redis expires keys by itself)."""
        return 0

    def ping(self) -> None:
        """Raise :class:`StoreUnavailable` unless the store answers."""
        raise NotImplementedError

    # -- Flask's session interface, with outages as one exception ----------------------------------

    def open_session(self, app: Flask, request: Request) -> CsrfOutside:
        # Flask-Session's open_session, plus the records keyed under a previous secret key (and
        # without its deprecated signed ids, which Prospectra never sets).
        sid = request.cookies.get(self.get_cookie_name(app))
        if not sid:
            return self.new_session()
        try:
            current, *previous = self._store_ids(sid)
            data = self._retrieve_session_data(current)
            for old in previous if data is None else ():
                if (data := self._retrieve_session_data(old)) is not None:
                    self._delete_session(old)
                    session = self.session_class(data, sid=sid)
                    session.modified = True  # written under the current key when saved
                    return session
        except SERVICE_ERRORS as error:
            raise StoreUnavailable("session store: read failed") from error
        except Exception:  # noqa: BLE001 (Flask-Session could not decode the record)
            app.logger.exception("session record unreadable: the session is ended")
            try:
                self.delete(sid)
            except StoreUnavailable:
                pass  # it expires by itself; the cookie is removed all the same
            return self.new_session()
        return self.new_session() if data is None else self.session_class(data, sid=sid)

    def save_session(self, app: Flask, session: CsrfOutside, response: Response) -> None:
        if session and not self.due(session):
            # Most logged-in pages: nothing to write, and Flask-Session would only add this.
            if session.accessed:
                vary.add(response, "Cookie")
            return
        with _outage("write"):
            super().save_session(app, session, response)

    # -- Flask-Session's hooks ----------------------------------------------------------------

    def _get_store_id(self, sid: str) -> str:
        return self.store_id(sid)

    def should_set_storage(self, app: Flask, session: CsrfOutside) -> bool:
        if self.due(session):
            dict.__setitem__(session, STORED_AT, int(time.time()))  # a plain write: no Set-Cookie
            session.stored = True
            return True
        return False


@contextmanager
def _outage(step: str) -> Iterator[None]:
    """Turn a backend failure during ``step`` into :class:`StoreUnavailable`."""
    try:
        yield
    except SERVICE_ERRORS as error:
        raise StoreUnavailable(f"session store: {step} failed") from error


class RedisStore(Store, RedisSessionInterface):
    kind = "redis"
    session_class = RedisStoreSession

    def __init__(self, app: Flask, settings: dict[str, Any]) -> None:
        timeout = settings["redis_timeout_seconds"]
        client = redis.Redis.from_url(
            settings["redis_url"],
            socket_connect_timeout=timeout,
            socket_timeout=timeout,
            # One immediate retry replaces a pooled connection that died with a Redis restart;
            # redis-py's default (3 retries with backoff, timeouts included) made a stopped Redis
            # cost 4 s a page. A timeout is not retried: a hung Redis costs one timeout, no more.
            retry=Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,)),
        )
        app.config["SESSION_REDIS"] = client  # Flask-Session's documented key for the client
        RedisSessionInterface.__init__(self, app, client=client, **_options(app))
        self._setup(app)

    def live(self, sids: list[str]) -> set[str]:
        keys = {key: sid for sid in sids for key in self._store_ids(sid)}
        if not keys:
            return set()
        with _outage("read"):
            pipeline = self.client.pipeline(transaction=False)
            for key in keys:
                pipeline.exists(key)  # Redis drops a record at its expiry by itself
            found = pipeline.execute()
        return {sid for sid, hit in zip(keys.values(), found, strict=True) if hit}

    def discard(self, sids: list[str], key: str) -> None:
        def drop(pipeline: redis.client.Pipeline, store_id: str) -> None:
            # WATCHed: should the session itself write its record in between, Redis refuses
            # this write and redis-py runs it again on the record as that write left it.
            raw = pipeline.get(store_id)
            data = self.serializer.decode(raw) if raw else None
            pipeline.multi()
            if data is not None and data.pop(key, None) is not None:
                pipeline.set(store_id, self.serializer.encode(data), keepttl=True)

        with _outage("write"):
            for store_id in (i for sid in sids for i in self._store_ids(sid)):
                self.client.transaction(lambda pipeline, i=store_id: drop(pipeline, i), store_id)

    def ping(self) -> None:
        with _outage("ping"):
            self.client.ping()


class SqlStore(Store, SqlAlchemySessionInterface):
    kind = "sqlalchemy"
    session_class = SqlStoreSession

    def __init__(self, app: Flask, settings: dict[str, Any]) -> None:
        # Flask-Session declares its model anew each time it is bound; let it redeclare the table
        # when one process builds several apps (tests), instead of failing on the second.
        name = app.config.get("SESSION_SQLALCHEMY_TABLE", Defaults.SESSION_SQLALCHEMY_TABLE)
        if (table := db.metadata.tables.get(name)) is not None:
            db.metadata.remove(table)
        # Not SqlAlchemySessionInterface.__init__: it creates the table (see the docstring).
        self.client = db
        self.sql_session_model = create_session_model(db, name)
        self.table = self.sql_session_model.__table__
        # Built once: SQLAlchemy then reuses the compiled statement from its cache.
        self._read = select(self.table.c.data, self.table.c.expiry).where(
            self.table.c.session_id == bindparam("sid")
        )
        options = _options(app)
        options["cleanup_n_requests"] = app.config.get(
            "SESSION_CLEANUP_N_REQUESTS", Defaults.SESSION_CLEANUP_N_REQUESTS
        )
        super(SqlAlchemySessionInterface, self).__init__(app, **options)
        self._setup(app)

    def live(self, sids: list[str]) -> set[str]:
        keys = {key: sid for sid in sids for key in self._store_ids(sid)}
        if not keys:
            return set()
        query = select(self.table.c.session_id).where(
            self.table.c.session_id.in_(keys), self.table.c.expiry > _naive_utcnow()
        )
        with _outage("read"):
            return {keys[key] for key in db.session.scalars(query)}

    def discard(self, sids: list[str], key: str) -> None:
        table = self.table
        with _outage("write"):
            ids = [i for sid in sids for i in self._store_ids(sid)]
            rows = db.session.execute(
                select(table.c.session_id, table.c.data).where(table.c.session_id.in_(ids))
            ).all()
            for row in rows:
                data = self.serializer.decode(bytes(row.data))
                if data.pop(key, None) is not None:
                    db.session.execute(
                        table.update()
                        .where(table.c.session_id == row.session_id)
                        .values(data=self.serializer.encode(data))
                    )
            db.session.commit()

    def purge_expired(self, batch_size: int) -> int:
        model = self.sql_session_model
        with _outage("purge"):
            return delete_in_batches(model, model.expiry <= _naive_utcnow(), batch_size)

    def ping(self) -> None:
        with _outage("ping"), db.engine.connect() as connection:
            connection.execute(self.table.select().limit(1))  # migrated, and can be read

    def _delete_expired_sessions(self) -> None:
        """Delete at most one batch of expired records: the cleanup some requests run."""
        model = self.sql_session_model
        try:
            delete_one_batch(model, model.expiry <= _naive_utcnow(), REQUEST_CLEANUP_BATCH)
        except Exception:
            db.session.rollback()
            raise

    def _retrieve_session_data(self, store_id: str) -> dict[str, Any] | None:
        row = db.session.execute(self._read, {"sid": store_id}).first()
        if row is None:
            return None
        if row.expiry is None or row.expiry <= _naive_utcnow():
            try:
                db.session.execute(delete(self.table).where(self.table.c.session_id == store_id))
                db.session.commit()
            except Exception:
                db.session.rollback()
                raise
            return None
        return self.serializer.decode(bytes(row.data))


def current() -> Store:
    """The store of the app handling this request (held by its session interface)."""
    return current_app.session_interface.store


def build(app: Flask) -> Store:
    """The configured store (``[session] store``), bound to ``app``."""
    settings = app.config["PROSPECTRA"]["session"]
    return RedisStore(app, settings) if settings["store"] == "redis" else SqlStore(app, settings)


def _options(app: Flask) -> dict[str, Any]:
    """The settings every Flask-Session backend takes, read from the same keys Flask-Session reads."""
    config = app.config
    return {
        "key_prefix": config.get("SESSION_KEY_PREFIX", Defaults.SESSION_KEY_PREFIX),
        "use_signer": config.get("SESSION_USE_SIGNER", Defaults.SESSION_USE_SIGNER),
        "permanent": config.get("SESSION_PERMANENT", Defaults.SESSION_PERMANENT),
        "sid_length": config.get("SESSION_ID_LENGTH", Defaults.SESSION_ID_LENGTH),
        "serialization_format": config.get(
            "SESSION_SERIALIZATION_FORMAT", Defaults.SESSION_SERIALIZATION_FORMAT
        ),
    }


def _naive_utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)  # Flask-Session keeps naive UTC
