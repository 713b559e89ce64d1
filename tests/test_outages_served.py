"""Outages under real gunicorn: a dependency down never takes the service down.

gunicorn's master halts every worker when one cannot boot, so a worker must boot without
PostgreSQL or Redis; pages then answer 503 until the service is back, with no restart. With the
session store down, static files and public pages are still served to a logged-in browser.
Real services are stopped and started: a relay in front of the machine's PostgreSQL that refuses
connections like a stopped server, and a private redis-server (tests/faults.py).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator

import pytest

from prospectra.accounts import create_user
from tests import backends
from tests.faults import RedisServer
from tests.faults import TcpRelay
from tests.helpers import LEGAL_HOSTING
from tests.helpers import LEGAL_SERVICE
from tests.helpers import MAIL_KEY
from tests.helpers import PASSWORD
from tests.served import Gunicorn
from tests.wire import Visitor

UNAVAILABLE = "Service temporarily unavailable"
NOTICE = "Your account is temporarily unavailable"


def production(tmp_path, database_url: str, redis_url: str, prefix: str) -> dict:
    return {
        "app": {"environment": "production", "secret_key": "g" * 48,
                "instance_path": str(tmp_path / "instance")},
        "service": {"domain": "app.prospectra.example", **LEGAL_SERVICE}, "hosting": LEGAL_HOSTING,
        "mail": {"encryption_key": MAIL_KEY},
        "proxy": {"x_for": 1, "x_proto": 1, "x_host": 1},
        "session": {"store": "redis", "redis_url": redis_url, "key_prefix": prefix,
                    "redis_timeout_seconds": 0.5},
        "database": {"url": database_url, "connect_timeout_seconds": 1},
        "limits": {"storage_uri": backends.REDIS_URL},  # memory:// is refused: 2 workers
    }  # fmt: skip


@pytest.fixture
def relay() -> Iterator[TcpRelay]:
    """PostgreSQL through a relay that is NOT started: connections are refused until it is."""
    backends.require_services()
    relay = TcpRelay(("127.0.0.1", 5432))
    yield relay
    relay.stop()


@pytest.fixture
def served(tmp_path, relay) -> Iterator[tuple[Gunicorn, dict]]:
    with backends.postgres_schema() as url, backends.redis_prefix() as prefix:
        settings = production(
            tmp_path, url.replace(":5432/", f":{relay.port}/"), backends.REDIS_URL, prefix
        )
        server = Gunicorn(settings, tmp_path / "access.log", workers=2)
        yield server, settings
        server.stop()


def workers(server: Gunicorn) -> set[int]:
    out = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(server.process.pid)],
        capture_output=True, text=True, check=False,
    ).stdout  # fmt: skip
    return {int(pid) for pid in out.split()}


def wait_for(condition, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.1)


def answers(server: Gunicorn, path: str = "/healthz") -> int:
    try:
        return Visitor(server.port, timeout=5).get(path).status
    except OSError:
        return 0


def assert_still_serving(server: Gunicorn, master: int, count: int = 2) -> None:
    assert server.process.poll() is None and server.process.pid == master, "the master halted"
    wait_for(lambda: len(workers(server)) == count and answers(server) == 200)


def test_postgresql_down_at_start_gives_healthz_and_503_pages_then_everything_without_restart(
    served, relay, app_factory
):
    server, settings = served
    server.start()  # waits for /healthz: the workers booted without the database
    master = server.process.pid
    visitor = Visitor(server.port)
    for path in ("/", "/legal/cookies", "/login"):
        reply = visitor.get(path)
        assert reply.status == 503, path
        assert UNAVAILABLE in reply.body and reply.header("Retry-After")
        assert reply.set_cookies() == []
    assert visitor.get("/static/style.css").status == 200  # the 503 page keeps its stylesheet
    ready = visitor.get("/readyz")
    assert ready.status == 503 and '"database":"unreachable"' in ready.body.replace(" ", "")

    # A reload (HUP) and a worker that dies both boot new workers, still without the database.
    old = workers(server)
    server.process.send_signal(signal.SIGHUP)
    wait_for(lambda: workers(server) and not workers(server) & old)
    assert_still_serving(server, master)
    os.kill(next(iter(workers(server))), signal.SIGKILL)
    assert_still_serving(server, master)
    assert visitor.get("/").status == 503

    relay.start()  # PostgreSQL is back: the next request upgrades the schema and records the policy
    assert visitor.get("/").status == 200
    assert visitor.get("/legal/cookies").status == 200
    with app_factory(settings).app_context():
        create_user("ada@example.org", PASSWORD)
    assert visitor.login("ada@example.org", PASSWORD).status == 303
    assert visitor.get("/dashboard").status == 200
    assert visitor.get("/readyz").status == 200
    assert server.process.pid == master and "Traceback" not in server.errors()
    assert "Reason: Worker failed to boot" not in server.errors()


def test_redis_down_serves_public_pages_as_anonymous_and_static_files_but_503_for_the_account(
    tmp_path, app_factory
):
    backends.require_services()
    redis_server = RedisServer(tmp_path)
    redis_server.start()
    with backends.postgres_schema() as url:
        settings = production(tmp_path, url, redis_server.url, "outage:")
        server = Gunicorn(settings, tmp_path / "access.log", workers=2)
        try:
            server.start()
            master = server.process.pid
            with app_factory(settings).app_context():
                create_user("ada@example.org", PASSWORD)
            browser = Visitor(server.port)
            assert browser.login("ada@example.org", PASSWORD).status == 303
            session = browser.cookies["__Host-session"]

            redis_server.stop()
            for path in ("/", "/legal/cookies", "/help/"):
                page = browser.get(path)
                assert page.status == 200, path
                assert NOTICE in page.body, path
                assert 'href="/dashboard"' not in page.body, path  # the menu of a visitor
                assert 'href="/login"' in page.body, path
                assert page.set_cookies() == [], path  # the session is left as it is
            assert browser.get("/static/style.css").status == 200
            for path in ("/dashboard", "/account", "/mail/"):
                page = browser.get(path)
                assert page.status == 503 and UNAVAILABLE in page.body, path
                assert page.set_cookies() == [], path
            assert browser.cookies["__Host-session"] == session
            assert NOTICE not in Visitor(server.port).get("/").body  # nothing shared the notice

            redis_server.start()  # same data folder: the session is back
            wait_for(lambda: browser.get("/dashboard").status == 200)
            assert NOTICE not in browser.get("/").body
            assert browser.cookies["__Host-session"] == session
            assert server.process.pid == master
        finally:
            server.stop()
            redis_server.kill()


def test_redis_down_at_start_the_workers_boot_and_logins_work_once_it_is_back(
    tmp_path, app_factory
):
    backends.require_services()
    redis_server = RedisServer(tmp_path)  # not started: connections are refused
    with backends.postgres_schema() as url:
        settings = production(tmp_path, url, redis_server.url, "outage:")
        server = Gunicorn(settings, tmp_path / "access.log", workers=2)
        try:
            server.start()  # waits for /healthz
            master = server.process.pid
            with app_factory(settings).app_context():
                create_user("ada@example.org", PASSWORD)
            visitor = Visitor(server.port)
            assert visitor.get("/").status == 200  # no cookie: no session to read
            assert visitor.get("/static/style.css").status == 200
            reply = visitor.login("ada@example.org", PASSWORD)
            assert reply.status == 503 and UNAVAILABLE in reply.body
            assert "__Host-session" not in visitor.cookies
            assert_still_serving(server, master)

            redis_server.start()
            assert visitor.login("ada@example.org", PASSWORD).status == 303
            assert visitor.get("/dashboard").status == 200
            assert server.process.pid == master
        finally:
            server.stop()
            redis_server.kill()
