"""The application database: SQLAlchemy, Alembic migrations, and what waits for it to answer.

The instance folder and a SQLite database's files are the service user's alone (0700, 0600): the
database holds password hashes, sealed relay passwords and the session store.
"""

from __future__ import annotations

import fcntl
import os
import stat
import threading
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask
from flask import current_app
from flask import request
from sqlalchemy import ColumnElement
from sqlalchemy import Engine
from sqlalchemy import any_
from sqlalchemy import delete
from sqlalchemy import event
from sqlalchemy import func
from sqlalchemy import make_url
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError

from . import invocation
from .extensions import db
from .outages import SERVICE_ERRORS
from .outages import Unavailable

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Any fixed 64-bit number, the same on every host: PostgreSQL's advisory locks are keyed by it.
MIGRATION_LOCK_KEY = 0x70726F7370656374  # "prospect"
PRIVATE_FOLDER, PRIVATE_FILE = 0o700, 0o600
FIRST_CONTACT = "prospectra.first_contact"  # steps that wait for the database to answer
# PostgreSQL says "relation does not exist" (ProgrammingError) when the schema was never upgraded
# ([database] auto_upgrade = false and the release step not run yet).
SCHEMA_BEHIND = "database schema not upgraded: run `flask --app prospectra.wsgi db upgrade`"
_first_contact_lock = threading.Lock()
# SQLite's companions of a database file, created by it with the database file's own mode.
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def init_app(app: Flask) -> None:
    """Bind SQLAlchemy and Flask-Migrate; upgrade the schema to head if the settings ask for it.

    The upgrade is the first step of first contact (see :func:`on_first_contact`), so the session
    store's table comes from the migrations; a lock keeps several workers (or hosts, on
    PostgreSQL) starting at once from racing.

    When the CLI only shows its help, nothing may reach the configured database: the app binds to
    an empty in-memory one (Flask-Session creates its table there as it binds) and creates and
    upgrades nothing; the steps waiting for first contact never run.
    """
    start = not invocation.only_help()
    app.extensions[FIRST_CONTACT] = []
    if start:
        _keep_files_private(app)
    else:
        app.config.update(SQLALCHEMY_DATABASE_URI="sqlite://", SQLALCHEMY_ENGINE_OPTIONS={})
    db.init_app(app)
    if app.config["PROSPECTRA"]["database"]["auto_upgrade"] or not invocation.runs_app_command():
        _bind_migrations(app)
    if not start:
        return
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _sqlite_pragmas)
    if app.config["PROSPECTRA"]["database"]["auto_upgrade"]:
        on_first_contact(app, upgrade_to_head)
    app.before_request(_make_first_contact)


def on_first_contact(app: Flask, step: Callable[[Flask], None]) -> None:
    """Run ``step`` once, as soon as the database answers: at start, or before a later request.

    A worker boots without the database (gunicorn halts every worker when one cannot boot), so
    what needs it at start (the upgrade, the policy version) is a step done at first contact:
    tried when the app is built, and while it has not succeeded, before each request except
    static files and health checks, which then answer 503 through the outage handler.
    """
    app.extensions[FIRST_CONTACT].append(step)


def make_first_contact(app: Flask) -> None:
    """Try the pending steps now (the end of create_app); an outage leaves them for later.

    Not for a command that only lists, nor for Flask-Migrate's `db` group: against a schema not
    upgraded yet the steps would fail, and the next page runs them anyway.
    """
    if invocation.only_help() or invocation.manages_schema():
        return
    try:
        _run_pending(app)
    except SERVICE_ERRORS as error:
        app.logger.warning(
            "database unreachable at start (%s): pages answer 503 until it answers", _said(error)
        )
    except ProgrammingError as error:
        app.logger.warning("%s (%s): pages answer 503 until it is", SCHEMA_BEHIND, _said(error))


def _make_first_contact() -> None:
    if not current_app.extensions[FIRST_CONTACT]:
        return
    if request.endpoint == "static" or request.blueprint == "health":
        return
    try:
        _run_pending(current_app._get_current_object())
    except ProgrammingError as error:  # an outage (SERVICE_ERRORS) reaches the 503 handler
        current_app.logger.error("%s (%s)", SCHEMA_BEHIND, _said(error))
        raise Unavailable("database schema not upgraded") from None


def _said(error: Exception) -> str:
    first = str(error).splitlines()[0] if str(error) else ""
    return f"{type(error).__name__}: {first}"


def _run_pending(app: Flask) -> None:
    pending = app.extensions[FIRST_CONTACT]
    with _first_contact_lock, app.app_context():
        while pending:
            pending[0](app)  # raises while the database is down; the step stays pending
            pending.pop(0)


def _keep_files_private(app: Flask) -> None:
    """Create a SQLite file 0600 (its folder 0700 if missing) before anything opens it.

    SQLite gives its -wal, -shm and -journal files the database file's mode, so they follow. Files
    an earlier version left readable by others are narrowed to 0600, and the log says so.
    """
    _narrow(app, Path(app.instance_path), PRIVATE_FOLDER)
    path = _sqlite_file(app.config["SQLALCHEMY_DATABASE_URI"], Path(app.instance_path))
    if path is None:
        return  # no folder is created for PostgreSQL: the app may run on a read-only disk
    _private_folder(path.parent)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    except FileExistsError:
        pass
    for file in (path, *(Path(f"{path}{suffix}") for suffix in SQLITE_COMPANIONS)):
        _narrow(app, file, PRIVATE_FILE)


def _sqlite_file(url: str, instance_path: Path) -> Path | None:
    """The database file of a SQLite URL; None for other databases and in-memory ones."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    if parsed.query.get("uri") or parsed.database.startswith("file:"):
        return None  # a SQLite URI: its options (mode=memory...) are SQLite's to read
    return instance_path / parsed.database  # Flask-SQLAlchemy's rule: relative to the instance


def _private_folder(path: Path) -> None:
    path.mkdir(mode=PRIVATE_FOLDER, parents=True, exist_ok=True)


def _narrow(app: Flask, path: Path, mode: int) -> None:
    """Take group and other permissions off an existing file or folder (it may not exist)."""
    try:
        current = stat.S_IMODE(path.stat().st_mode)
        if current & ~mode:
            os.chmod(path, current & mode)
            app.logger.warning("%s was mode %o, now %o", path, current, current & mode)
    except FileNotFoundError:
        pass
    except OSError as error:  # not ours to change: say so, and start all the same
        app.logger.warning("%s could not be made private: %s", path, error)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL: readers never wait for the writer, and a commit appends to the log instead of
    # rewriting pages and syncing twice; synchronous=NORMAL syncs at checkpoints only, which in
    # WAL mode keeps the database consistent (a power cut may lose the last commits, not corrupt).
    cursor = dbapi_connection.cursor()
    if dbapi_connection.execute("PRAGMA database_list").fetchone()[2]:  # a file, not :memory:
        cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _bind_migrations(app: Flask) -> None:
    """Flask-Migrate, for `flask db` and the upgrade at first contact.

    Imported here, not at the top: it imports Alembic (0.3-0.6 s here), which a command of the
    app's own groups (`sessions purge` from cron...) never uses when the upgrade is the release
    step's (``auto_upgrade = false``, as in production).
    """
    from flask_migrate import Migrate

    Migrate(app, db, directory=str(MIGRATIONS))


def upgrade_to_head(app: Flask) -> None:
    """Apply every migration not yet applied, holding the migration lock."""
    from flask_migrate import upgrade  # see _bind_migrations

    with app.app_context(), _migration_lock(app, db.engine):
        upgrade(directory=str(MIGRATIONS))


@contextmanager
def _migration_lock(app: Flask, engine: Engine) -> Iterator[None]:
    """Let one process at a time upgrade: the others wait, then find nothing left to do."""
    if engine.dialect.name == "postgresql":
        # Workers on several hosts share the database, not a folder: a session-level advisory
        # lock, released at unlock or when the connection drops (a crashed upgrader frees it).
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
            connection.commit()
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK_KEY})
                connection.commit()
        return
    lock_path = Path(app.instance_path) / "migrate.lock"
    _private_folder(lock_path.parent)
    with os.fdopen(os.open(lock_path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE), "w") as lock:
        _narrow(app, lock_path, PRIVATE_FILE)
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def delete_in_batches(model, condition: ColumnElement[bool], batch_size: int = 1000) -> int:
    """Delete the rows of ``model`` matching ``condition``; return how many.

    One short transaction per ``batch_size`` rows, so that a large backlog never holds a long
    lock on a table that logged-in requests read.
    """
    total = 0
    while True:
        deleted = delete_one_batch(model, condition, batch_size)
        total += deleted
        if deleted < batch_size:
            return total


def delete_one_batch(model, condition: ColumnElement[bool], batch_size: int) -> int:
    """Delete at most ``batch_size`` rows of ``model`` matching ``condition``, in one transaction.

    One statement, so that SQLite never has to turn a read transaction into a write one (which
    fails at once if another worker wrote meanwhile). Its select finds the rows through the index
    on the condition's column; on PostgreSQL the ids are handed over as an array
    (``id = ANY(ARRAY(...))``), which the planner resolves through the primary key, where
    ``id IN (subquery)`` may be joined by scanning the whole table once per batch.
    ``tests/test_scale_purges.py`` checks both plans.
    """
    ids = select(model.id).where(condition).limit(batch_size)
    if db.session.get_bind().dialect.name == "postgresql":
        matching = model.id == any_(func.array(ids.scalar_subquery()))
    else:
        matching = model.id.in_(ids.scalar_subquery())
    deleted = db.session.execute(
        delete(model).where(matching), execution_options={"synchronize_session": False}
    ).rowcount
    db.session.commit()
    return deleted
