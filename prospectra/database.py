"""The application database: SQLAlchemy, Alembic migrations, and the upgrade at start."""

from __future__ import annotations

import fcntl
from pathlib import Path

from flask import Flask
from flask_migrate import upgrade

from .config import PROJECT_ROOT
from .extensions import db
from .extensions import migrate

MIGRATIONS = PROJECT_ROOT / "migrations"


def init_app(app: Flask) -> None:
    """Bind SQLAlchemy and Flask-Migrate; upgrade the schema to head if the settings ask for it.

    The upgrade runs before the session store is set up, so that the store's table comes from the
    migrations; a file lock keeps several workers starting at once from racing.
    """
    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS))
    if app.config["PROSPECTRA"]["database"]["auto_upgrade"]:
        upgrade_to_head(app)


def upgrade_to_head(app: Flask) -> None:
    """Apply every migration not yet applied, holding the instance folder's migration lock."""
    lock_path = Path(app.instance_path) / "migrate.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("w") as lock, app.app_context():
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            upgrade(directory=str(MIGRATIONS))
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
