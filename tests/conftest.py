"""Fixtures in flaskr's shape: app, client, runner, auth, make_user."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from prospectra import create_app
from prospectra.accounts import create_user
from prospectra.extensions import db
from prospectra.models import User
from tests.helpers import PASSWORD
from tests.helpers import AuthActions
from tests.helpers import BufferedClient


@pytest.fixture(autouse=True)
def _no_ambient_config(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests see only the settings they give: no PROSPECTRA_* variable of the machine leaks in."""
    import os

    for name in list(os.environ):
        if name.startswith("PROSPECTRA_"):
            monkeypatch.delenv(name)


@pytest.fixture
def settings(tmp_path) -> dict:
    """Settings overrides for a fresh application with its own instance folder and database."""
    return {"app": {"instance_path": str(tmp_path / "instance")}}


@pytest.fixture
def app(settings: dict) -> Flask:
    app = create_app(settings, testing=True)
    app.test_client_class = BufferedClient
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    # https://localhost (PREFERRED_URL_SCHEME), with the same-origin Referer a browser sends on a
    # form POST: Flask-WTF checks it over https.
    client = app.test_client()
    client.environ_base["HTTP_REFERER"] = "https://localhost/"
    return client


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


@pytest.fixture
def make_user(app: Flask) -> Callable[..., User]:
    def make(email: str = "ada@example.org", password: str = PASSWORD) -> User:
        with app.app_context():
            user = create_user(email, password)
            db.session.refresh(user)
            db.session.expunge(user)  # usable after the context ends
            return user

    return make


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def make_user_in() -> Callable[..., None]:
    """Create an account in an app a test built itself."""

    def make(
        app: Flask, email: str = "ada@example.org", password: str = PASSWORD, admin: bool = False
    ) -> None:
        with app.app_context():
            create_user(email, password, admin=admin)

    return make


def pytest_terminal_summary(terminalreporter):
    """Say how many hostile requests the fuzz test sent (it runs FUZZ_EXAMPLES of them)."""
    fuzz = __import__("sys").modules.get("tests.test_fuzz")
    if fuzz is not None and fuzz.CASES["count"]:
        terminalreporter.write_line(fuzz.pytest_terminal_summary_line())
