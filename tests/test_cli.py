"""The CLI: creating and deleting accounts, purging expired sessions."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from sqlalchemy import event

from prospectra import accounts
from prospectra.extensions import db
from tests.helpers import PASSWORD
from tests.helpers import AuthActions
from tests.helpers import stored_sessions

pytestmark = pytest.mark.both_backends
SQL_STORES = pytest.mark.parametrize("backend", ["embedded", "postgresql"], indirect=True)


def test_users_create_reads_the_password_from_standard_input(app, runner):
    result = runner.invoke(args=["users", "create", "Grace@Example.org"], input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "Created the account grace@example.org." in result.output
    with app.app_context():
        assert accounts.authenticate("grace@example.org", PASSWORD) is not None


def test_users_create_refuses_a_short_password_and_a_duplicate(runner, make_user):
    make_user()
    short = runner.invoke(args=["users", "create", "bob@example.org"], input="short\n")
    assert short.exit_code == 1 and "between 12 and 256 characters" in short.output
    dup = runner.invoke(args=["users", "create", "ada@example.org"], input=PASSWORD + "\n")
    assert dup.exit_code == 1 and "already exists" in dup.output


def test_users_create_refuses_an_invalid_address(runner):
    result = runner.invoke(args=["users", "create", "not-an-address"], input=PASSWORD + "\n")
    assert result.exit_code == 1 and "Not a valid e-mail address" in result.output


def test_users_delete_removes_the_account(app, runner, make_user):
    make_user()
    result = runner.invoke(args=["users", "delete", "ada@example.org"])
    assert result.exit_code == 0 and "Deleted the account" in result.output
    with app.app_context():
        assert accounts.find_user("ada@example.org") is None
    again = runner.invoke(args=["users", "delete", "ada@example.org"])
    assert again.exit_code == 1 and "No account has the address" in again.output


@SQL_STORES
def test_sessions_purge_deletes_only_expired_records(app, runner, make_user, auth):
    make_user()
    with time_machine.travel(
        datetime.datetime(2026, 11, 29, 9, 0, tzinfo=datetime.UTC), tick=False
    ) as clock:
        auth.login()
        clock.shift(datetime.timedelta(minutes=10))
        fresh = app.test_client()
        fresh.environ_base["HTTP_REFERER"] = "https://localhost/"
        AuthActions(fresh).login()
        clock.shift(datetime.timedelta(minutes=25))  # the first is idle 35 min, the second 25
        result = runner.invoke(args=["sessions", "purge"])
    assert result.exit_code == 0
    assert "Deleted 1 expired session record(s)." in result.output
    assert stored_sessions(app) == 1


@SQL_STORES
def test_sessions_purge_deletes_in_bounded_batches(app, runner):
    model = app.session_interface.store.sql_session_model
    past = datetime.datetime(2020, 1, 1)
    future = datetime.datetime(2100, 1, 1)
    with app.app_context():
        db.session.add_all(
            [model(f"session:old{n}", b"", past) for n in range(5)]
            + [model("session:live", b"", future)]
        )
        db.session.commit()
        deletes: list[str] = []

        def count(conn, cursor, statement, *args):
            if statement.lstrip().upper().startswith("DELETE FROM SESSIONS"):
                deletes.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            result = runner.invoke(args=["sessions", "purge", "--batch-size", "2"])
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
    assert "Deleted 5 expired session record(s)." in result.output
    assert len(deletes) == 3  # 2 + 2 + 1 rows
    assert stored_sessions(app) == 1


@pytest.mark.parametrize("backend", ["redis-postgresql"], indirect=True)
def test_sessions_purge_leaves_redis_to_expire_keys_itself(app, runner, make_user, auth):
    make_user()
    auth.login()
    result = runner.invoke(args=["sessions", "purge"])
    assert result.exit_code == 0 and "Redis, which deletes expired ones by itself" in result.output
    (key,) = app.config["SESSION_REDIS"].scan_iter(match=app.config["SESSION_KEY_PREFIX"] + "*")
    ttl = app.config["SESSION_REDIS"].ttl(key)
    assert 0 < ttl <= 30 * 60  # the idle timeout, never longer
