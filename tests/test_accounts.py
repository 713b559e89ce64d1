"""Account functions shared by the views and the CLI: equal work on every failed login, changes."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from prospectra import accounts
from tests.helpers import PASSWORD


@pytest.fixture
def verify_calls(monkeypatch) -> list[str]:
    """Every argon2 verification the accounts module runs, by the hash it checked against."""
    calls: list[str] = []
    verify = PasswordHasher.verify

    def spy(self, hash_: str, password: str) -> bool:
        calls.append(hash_)
        return verify(self, hash_, password)

    # On the class: the hasher instance has __slots__, its methods cannot be replaced one by one.
    monkeypatch.setattr(PasswordHasher, "verify", spy)
    return calls


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("nobody@example.org", PASSWORD),
        ("ada@example.org", "wrong password!!"),
        ("not an address", PASSWORD),
    ],
)
def test_every_failed_login_runs_exactly_one_argon2_verification(
    app, make_user, verify_calls, email, password
):
    make_user()
    with app.app_context():
        assert accounts.authenticate(email, password) is None
    assert len(verify_calls) == 1
    assert verify_calls[0].startswith("$argon2")  # a real hash: the same cost as a real check


def test_unknown_email_and_wrong_password_take_the_same_path_through_the_login_form(
    client, make_user, auth, verify_calls
):
    make_user()
    auth.login(email="nobody@example.org")
    auth.login(password="wrong password!!")
    assert len(verify_calls) == 2
    assert verify_calls[0] == accounts._dummy_hash() and verify_calls[1] != accounts._dummy_hash()


def test_change_password_keeps_the_bounds_of_account_creation(app, make_user):
    make_user()
    with app.app_context():
        user = accounts.find_user("ada@example.org")
        for bad in ("x" * (accounts.MIN_PASSWORD - 1), "x" * (accounts.MAX_PASSWORD + 1)):
            with pytest.raises(accounts.AccountError):
                accounts.change_password(user, bad)
        accounts.change_password(user, "x" * accounts.MIN_PASSWORD)
        assert accounts.authenticate("ada@example.org", "x" * accounts.MIN_PASSWORD) is not None


def test_change_email_refuses_an_invalid_address(app, make_user):
    make_user()
    with app.app_context():
        with pytest.raises(accounts.AccountError):
            accounts.change_email(accounts.find_user("ada@example.org"), "not an address")


def test_set_password_command_ends_every_session(app, runner, make_user, auth, client):
    make_user()
    auth.login()
    result = runner.invoke(args=["users", "set-password", "ada@example.org"], input="y" * 20 + "\n")
    assert result.exit_code == 0, result.output
    assert "ended 1 session" in result.output
    assert client.get("/dashboard").status_code == 302
