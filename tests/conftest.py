"""Fixtures in flaskr's shape: app, client, runner, auth, make_user; and the back-ends.

A test module marked ``pytest.mark.both_backends`` runs each test that builds an app twice: on the
embedded default (SQLite for data and sessions) and on Redis sessions + PostgreSQL data. A test can
also ask for one back-end: ``@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)``
(PostgreSQL for data and sessions).
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from flask import Flask
from flask.testing import FlaskClient

from prospectra import create_app
from prospectra.accounts import create_user
from prospectra.extensions import db
from prospectra.models import User
from tests import backends
from tests.browsers import CHROME
from tests.browsers import DECLARED
from tests.browsers import FIREFOX
from tests.browsers import Browser
from tests.helpers import PASSWORD
from tests.helpers import AuthActions
from tests.helpers import BufferedClient
from tests.mail_forms import LOOPBACK_RELAYS

# Every test fails if an app answers with a cookie the registry does not declare.
pytest_plugins = ["prospectra.testing", "pytester"]


@pytest.fixture(autouse=True)
def _no_ambient_config(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests see only the settings they give: no PROSPECTRA_* variable of the machine leaks in."""
    import os

    for name in list(os.environ):
        if name.startswith("PROSPECTRA_"):
            monkeypatch.delenv(name)


BACKENDS = ("embedded", "redis-postgresql")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" not in metafunc.fixturenames:
        return
    if not metafunc.definition.get_closest_marker("both_backends"):
        return
    chosen = any(
        "backend" in str(m.args[0]) for m in metafunc.definition.iter_markers("parametrize")
    )
    if not chosen:
        metafunc.parametrize("backend", BACKENDS, indirect=True)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """Where data and sessions live: "embedded", "redis-postgresql" or "postgresql"."""
    return getattr(request, "param", "embedded")


@pytest.fixture
def settings(tmp_path, backend: str) -> Iterator[dict]:
    """Settings overrides for a fresh application with its own instance folder and database.

    On PostgreSQL the database is a schema of its own, on Redis the sessions are keys under a
    prefix of their own; both are removed after the test. The fake SMTP relays on 127.0.0.1 are
    allowed (``LOOPBACK_RELAYS``); a test of the relay checks gives its own ``mail`` table.
    """
    settings: dict = {
        "app": {"instance_path": str(tmp_path / "instance")},
        "mail": dict(LOOPBACK_RELAYS),
    }
    with ExitStack() as stack:
        if backend != "embedded":
            backends.require_services()
            settings["database"] = {"url": stack.enter_context(backends.postgres_schema())}
        if backend == "redis-postgresql":
            settings["session"] = {
                "store": "redis",
                "redis_url": backends.REDIS_URL,
                "key_prefix": stack.enter_context(backends.redis_prefix()),
            }
        yield settings


@pytest.fixture
def app_factory() -> Iterator[Callable[[dict], Flask]]:
    """Build apps from settings; their connections are closed after the test."""
    apps: list[Flask] = []

    def make(settings: dict) -> Flask:
        app = create_app(settings, testing=True)
        app.test_client_class = BufferedClient
        apps.append(app)
        return app

    yield make
    for app in apps:  # before the test's schema is dropped
        with app.app_context():
            db.engine.dispose()
        if app.config.get("SESSION_REDIS") is not None:
            app.config["SESSION_REDIS"].close()


@pytest.fixture
def app(app_factory, settings: dict) -> Flask:
    return app_factory(settings)


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


@pytest.fixture
def two_browsers(app, make_user):
    """Ada logged in twice: on a Linux laptop (Firefox) and on Windows (Chrome); no third cookie."""
    make_user()
    laptop, phone = Browser(app, FIREFOX), Browser(app, CHROME)
    assert laptop.login().status_code == 303 and phone.login().status_code == 303
    yield laptop, phone
    assert laptop.cookie_names | phone.cookie_names <= DECLARED  # no new cookie, ever


def pytest_terminal_summary(terminalreporter):
    """Say how many hostile requests the fuzz test sent (it runs FUZZ_EXAMPLES of them)."""
    fuzz = __import__("sys").modules.get("tests.test_fuzz")
    if fuzz is not None and fuzz.CASES["count"]:
        terminalreporter.write_line(fuzz.pytest_terminal_summary_line())


@pytest.fixture
def smtp_relay():
    """A plain SMTP relay (aiosmtpd) on 127.0.0.1 that keeps what it receives."""
    from tests.peers import SmtpRelay

    with SmtpRelay() as relay:
        yield relay


@pytest.fixture
def provider():
    """An OpenAI-compatible chat-completions endpoint on 127.0.0.1 that records each call."""
    from tests.peers import FakeProvider

    with FakeProvider() as fake:
        yield fake
