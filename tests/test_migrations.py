"""Migrations are the schema: an empty database upgrades to head and matches the models."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect
from sqlalchemy import select

from prospectra.extensions import db
from prospectra.models import LoginSession


def test_app_upgrades_an_empty_database_at_first_start(app):
    with app.app_context():
        inspector = inspect(db.engine)
        assert {"alembic_version", "users", "sessions"} <= set(inspector.get_table_names())
        indexes = {i["name"] for i in inspector.get_indexes("sessions")}
        assert "ix_sessions_expiry" in indexes


def test_models_match_the_migrations(runner):
    # `flask db check` (alembic check) exits non-zero when a model differs from the migrations.
    result = runner.invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output


def test_session_table_from_the_migration_has_flask_sessions_columns(app):
    model_columns = {
        c.name for c in app.session_interface.store.sql_session_model.__table__.columns
    }
    with app.app_context():
        columns = {c["name"] for c in inspect(db.engine).get_columns("sessions")}
    assert columns == model_columns


def test_migration_check_notices_a_model_without_migration(app, runner):
    from sqlalchemy import Column
    from sqlalchemy import Integer
    from sqlalchemy import Table

    unmigrated = Table("not_migrated", db.metadata, Column("id", Integer, primary_key=True))
    try:
        assert runner.invoke(args=["db", "check"]).exit_code != 0
    finally:
        db.metadata.remove(unmigrated)


def test_the_release_step_upgrades_an_empty_postgresql_database_and_pages_follow(tmp_path):
    # auto_upgrade = false (the production example): the schema is the release step's, run by
    # `flask db upgrade`; a worker started before it answers 503, then pages once it has run.
    import subprocess

    from prospectra import create_app
    from tests import backends
    from tests.served import GUNICORN
    from tests.served import environment

    backends.require_services()
    with backends.postgres_schema() as url:
        settings = {
            "app": {"instance_path": str(tmp_path / "instance")},
            "database": {"url": url, "auto_upgrade": False},
        }
        app = create_app(settings, testing=True)
        client = app.test_client()
        early = client.get("/legal/cookies")
        assert early.status_code == 503 and "Retry-After" in early.headers

        result = subprocess.run(
            [str(GUNICORN.parent / "flask"), "--app", "prospectra.wsgi", "db", "upgrade"],
            env=environment(settings), capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr and "WARNING" not in result.stderr

        assert client.get("/legal/cookies").status_code == 200  # no restart
        with app.app_context():
            db.engine.dispose()


@pytest.mark.both_backends
def test_the_fernet_migration_keeps_sessions_open_at_the_upgrade_listed(app_factory, settings):
    # Revision 8b2f4c6d1e90 re-seals each listed session id, sealed until then with an XOR pad, with
    # Fernet: a session open at the upgrade can still be ended from the account page.
    import hashlib
    import hmac

    from flask_migrate import upgrade
    from sqlalchemy import text

    from prospectra.sessions import index

    settings["database"] = {"auto_upgrade": False}
    app = app_factory(settings)
    sid = "s" * 43
    sid_hash = hashlib.sha256(sid.encode()).hexdigest()
    with app.app_context():
        upgrade(revision="3c9d5e1a7b42")
        pad = hmac.new(
            app.secret_key.encode(), b"prospectra-session-index" + sid_hash.encode(), hashlib.sha512
        ).digest()
        old_seal = bytes(a ^ b for a, b in zip(sid.encode(), pad, strict=False)).hex()
        with db.engine.begin() as connection:
            connection.execute(
                text("INSERT INTO users (email, password_hash, is_admin, created_at) "
                     "VALUES ('ada@example.org', 'x', false, CURRENT_TIMESTAMP)")
            )  # fmt: skip
            for digest, sealed in ((sid_hash, old_seal), ("f" * 64, "00" * 43)):
                connection.execute(
                    text("INSERT INTO login_sessions (sid_hash, sealed_sid, user_id, created_at, "
                         "last_seen_at, device) VALUES (:h, :s, 1, CURRENT_TIMESTAMP, "
                         "CURRENT_TIMESTAMP, 'Firefox on Linux')"),
                    {"h": digest, "s": sealed},
                )  # fmt: skip
        upgrade()
        (row,) = db.session.scalars(select(LoginSession)).all()  # the unreadable one is gone
        assert row.sealed_sid.startswith("gAAAAA")  # a Fernet token
        assert index._unseal(row) == sid
