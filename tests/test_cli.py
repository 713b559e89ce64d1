"""The CLI: creating and deleting accounts, purging expired sessions."""

from __future__ import annotations

import datetime

import time_machine
from sqlalchemy import text

from prospectra import accounts
from prospectra.extensions import db
from tests.helpers import PASSWORD


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


def test_sessions_purge_deletes_only_expired_records(app, runner, make_user, auth):
    make_user()
    with time_machine.travel(
        datetime.datetime(2026, 11, 29, 9, 0, tzinfo=datetime.UTC), tick=False
    ) as clock:
        auth.login()
        clock.shift(datetime.timedelta(minutes=10))
        fresh = app.test_client()
        fresh.environ_base["HTTP_REFERER"] = "https://localhost/"
        from tests.helpers import AuthActions

        AuthActions(fresh).login()
        clock.shift(datetime.timedelta(minutes=25))  # the first is idle 35 min, the second 25
        result = runner.invoke(args=["sessions", "purge"])
    assert result.exit_code == 0
    assert "Deleted 1 expired session record(s)." in result.output
    with app.app_context():
        assert db.session.execute(text("SELECT count(*) FROM sessions")).scalar_one() == 1
