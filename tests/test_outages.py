"""Redis or PostgreSQL down: quick, clear 503 pages, no cookie change, nothing lost, self-recovery.

Real services are stopped and started: a private redis-server (tests/faults.py) and a relay in
front of the machine's PostgreSQL that drops and refuses connections like a stopped server.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import pytest
import redis

from prospectra import create_app
from prospectra.extensions import db
from tests import backends
from tests.faults import RedisServer
from tests.faults import TcpRelay
from tests.helpers import AuthActions
from tests.helpers import BufferedClient
from tests.helpers import csrf_token

SESSION = "__Host-session"
QUICK = 1.5  # seconds: a refused connection must not cost more (the configured timeouts are 2 s)


@pytest.fixture
def redis_server(tmp_path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.kill()


@pytest.fixture
def relay() -> Iterator[TcpRelay]:
    backends.require_services()
    relay = TcpRelay(("127.0.0.1", 5432))
    relay.start()
    yield relay
    relay.stop()


@pytest.fixture
def outage_app(tmp_path, redis_server, relay, caplog) -> Iterator:
    """Redis sessions on the private server, PostgreSQL data through the relay."""
    backends.require_services()
    with backends.postgres_schema() as url:
        settings = {
            "app": {"instance_path": str(tmp_path / "instance")},
            "database": {"url": url.replace(":5432/", f":{relay.port}/")},
            "session": {"store": "redis", "redis_url": redis_server.url,
                        "redis_timeout_seconds": 0.5},
        }  # fmt: skip
        app = create_app(settings, testing=True)
        app.test_client_class = BufferedClient
        yield app
        with app.app_context():
            db.engine.dispose()
        app.config["SESSION_REDIS"].close()


def new_client(app):
    client = app.test_client()
    client.environ_base["HTTP_REFERER"] = "https://localhost/"
    return client


def logged_in(app, email="ada@example.org"):
    from prospectra.accounts import create_user

    with app.app_context():
        create_user(email, "correct horse battery staple")
    client = new_client(app)
    assert AuthActions(client).login(email=email).status_code == 303
    return client


def timed(call, *args, **kwargs):
    start = time.monotonic()
    response = call(*args, **kwargs)
    return response, time.monotonic() - start


def assert_unavailable_page(response, elapsed: float, limit: float = QUICK) -> None:
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert elapsed < limit, f"took {elapsed:.2f}s"
    assert int(response.headers["Retry-After"]) > 0
    assert "Service temporarily unavailable" in html and '<footer class="site-footer">' in html
    assert "Traceback" not in html and "redis" not in html.lower() and "psycopg" not in html
    assert response.headers.getlist("Set-Cookie") == []
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")


def test_redis_stopped_gives_503_pages_then_sessions_come_back_untouched(
    outage_app, redis_server, caplog
):
    app = outage_app
    client = logged_in(app)
    sid = client.get_cookie(SESSION).value
    visitor = new_client(app)
    token = csrf_token(visitor.get("/login"))

    redis_server.stop()
    for call in (
        lambda: client.get("/dashboard"),
        lambda: client.get("/login"),  # any page but a public one, with the session cookie
        lambda: client.post("/logout", data={"csrf_token": "x"}),  # must not end the session
        lambda: visitor.post("/login", data={"csrf_token": token, "email": "ada@example.org",
                                             "password": "correct horse battery staple"}),
    ):  # fmt: skip
        assert_unavailable_page(*timed(call))
    assert new_client(app).get("/legal/cookies").status_code == 200  # needs no session: served
    public = client.get("/")  # a public page: shown as to a visitor, with a one-line notice
    assert public.status_code == 200 and public.headers.getlist("Set-Cookie") == []
    assert "Your account is temporarily unavailable" in public.get_data(as_text=True)
    assert client.get("/static/style.css").status_code == 200  # never reads the session
    assert new_client(app).get("/healthz").status_code == 200
    ready = new_client(app).get("/readyz")
    assert ready.status_code == 503 and ready.json["session_store"] == "unreachable"
    assert ready.json["database"] == "ok"

    redis_server.start()  # same data folder: what Redis had is back
    assert client.get("/dashboard").status_code == 200  # no restart of the app needed
    assert client.get_cookie(SESSION).value == sid
    assert new_client(app).get("/readyz").status_code == 200
    assert AuthActions(new_client(app)).login().status_code == 303
    assert "Traceback" not in caplog.text and "AttributeError" not in caplog.text


def test_redis_hung_costs_one_timeout_not_more(outage_app, redis_server):
    client = logged_in(outage_app)
    redis_server.pause()
    try:
        response, elapsed = timed(client.get, "/dashboard")
    finally:
        redis_server.resume()
    assert_unavailable_page(response, elapsed, limit=2 * 0.5 - 0.05)  # one 0.5 s timeout, not two
    assert elapsed >= 0.5  # it did wait for the configured timeout
    assert client.get("/dashboard").status_code == 200


def test_postgresql_unreachable_gives_503_pages_then_everything_comes_back(
    outage_app, relay, caplog
):
    app = outage_app
    client = logged_in(app)
    visitor = new_client(app)
    token = csrf_token(visitor.get("/login"))

    relay.stop()  # every connection dropped, new ones refused
    # The dashboard needs only the session record, account snapshot included (Redis is up).
    dashboard = client.get("/dashboard")
    assert dashboard.status_code == 200 and "ada@example.org" in dashboard.get_data(as_text=True)
    for call in (
        lambda: client.get("/account"),
        lambda: visitor.post("/login", data={"csrf_token": token, "email": "ada@example.org",
                                             "password": "correct horse battery staple"}),
    ):  # fmt: skip
        assert_unavailable_page(*timed(call))
    ready = new_client(app).get("/readyz")
    assert ready.status_code == 503 and ready.json["database"] == "unreachable"
    assert new_client(app).get("/healthz").status_code == 200

    relay.start()
    assert client.get("/dashboard").status_code == 200  # same session, same account
    assert AuthActions(visitor).login().status_code == 303
    assert new_client(app).get("/readyz").status_code == 200
    assert "Traceback" not in caplog.text and "AttributeError" not in caplog.text


def test_store_failing_while_saving_turns_the_page_into_a_503_without_cookie(
    outage_app, monkeypatch, caplog
):
    app = outage_app
    from prospectra.accounts import create_user

    with app.app_context():
        create_user("ada@example.org", "correct horse battery staple")

    def down(*args):
        raise redis.ConnectionError("Connection refused")

    monkeypatch.setattr(app.session_interface.store, "_upsert_session", down)
    response, elapsed = timed(AuthActions(new_client(app)).login)
    assert_unavailable_page(response, elapsed)
    assert "Location" not in response.headers
    # One line names the outage and its cause; no traceback (an outage is not a bug).
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.getMessage() for r in errors] == [
        "service unavailable on POST /login: session store: write failed: "
        "ConnectionError: Connection refused"
    ]
    assert not any(r.exc_info for r in caplog.records)


def test_outage_reaching_only_the_500_handler_still_gets_the_503_page(outage_app):
    app = outage_app
    app.testing = False  # as in production: Flask hands the error to the 500 handler
    raised = []

    @app.after_request
    def fail_once(response):
        if not raised:
            raised.append(1)
            raise redis.ConnectionError("Connection refused")
        return response

    assert_unavailable_page(*timed(new_client(app).get, "/"))
