"""Migrations are the schema: an empty database upgrades to head and matches the models."""

from __future__ import annotations

from sqlalchemy import inspect

from prospectra.extensions import db


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
    model_columns = {c.name for c in app.session_interface.sql_session_model.__table__.columns}
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
