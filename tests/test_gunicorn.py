"""Production serving: several gunicorn workers share the sessions, which survive a restart.

Real gunicorn (prospectra/gunicorn_conf.py, sync workers) on a free port, Redis sessions, PostgreSQL
data, production settings behind a simulated TLS proxy (X-Forwarded-* headers).
"""

from __future__ import annotations

import socket
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from prospectra.accounts import create_user
from prospectra.paths import PROJECT_ROOT
from tests import backends
from tests.faults import free_port
from tests.helpers import LEGAL_HOSTING
from tests.helpers import LEGAL_SERVICE
from tests.helpers import MAIL_KEY
from tests.helpers import PASSWORD
from tests.served import GUNICORN
from tests.served import Gunicorn
from tests.served import environment
from tests.wire import Visitor


@pytest.fixture
def production(tmp_path):
    backends.require_services()
    with backends.postgres_schema() as url, backends.redis_prefix() as prefix:
        yield {
            "app": {"environment": "production", "secret_key": "g" * 48,
                    "instance_path": str(tmp_path / "instance")},
            "service": {"domain": "app.prospectra.example", **LEGAL_SERVICE},
            "hosting": LEGAL_HOSTING,
            "mail": {"encryption_key": MAIL_KEY},
            "proxy": {"x_for": 1, "x_proto": 1, "x_host": 1},
            "session": {"store": "redis", "redis_url": backends.REDIS_URL, "key_prefix": prefix},
            "database": {"url": url},
            "limits": {"storage_uri": backends.REDIS_URL},  # memory:// is refused: 2 workers
        }  # fmt: skip


@pytest.fixture
def server(production, tmp_path):
    server = Gunicorn(production, tmp_path / "access.log", workers=2)
    yield server
    server.stop()


def dashboards(server: Gunicorn, visitor: Visitor, n: int = 24) -> list[int]:
    """Ask for the dashboard n times, 4 at a time, so that both workers get some."""
    copies = [Visitor(server.port, cookies=dict(visitor.cookies)) for _ in range(n)]
    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(lambda v: v.get("/dashboard").status, copies))


def test_a_session_is_honoured_by_every_worker_and_survives_a_restart(
    server, production, app_factory
):
    server.start()  # two workers upgrade the empty database at once: the lock makes them wait
    with app_factory(production).app_context():
        create_user("ada@example.org", PASSWORD)
    visitor = Visitor(server.port)
    response = visitor.login("ada@example.org", PASSWORD)
    assert response.status == 303 and "__Host-session" in visitor.cookies
    sid = visitor.cookies["__Host-session"]

    assert dashboards(server, visitor) == [200] * 24
    first_workers = set(server.served_by("/dashboard"))
    assert len(first_workers) == 2, "the session was used by both workers"

    server.stop()
    server.start()
    assert dashboards(server, visitor) == [200] * 24
    assert set(server.served_by("/dashboard")) - first_workers, "new workers answered"
    assert visitor.cookies["__Host-session"] == sid  # no new cookie was needed
    assert visitor.logout().status == 303
    assert Visitor(server.port, cookies=dict(visitor.cookies)).get("/dashboard").status == 302


FLASK = GUNICORN.parent / "flask"
REFUSED = "prospectra: configuration error: consent.banner: must be one of 'auto', 'on', 'off'"


@pytest.mark.parametrize(
    "command",
    [
        [str(GUNICORN), "-c", "python:prospectra.gunicorn_conf", "prospectra.wsgi:app"],
        [str(FLASK), "--app", "prospectra.wsgi", "privacy", "status"],
        [str(FLASK), "--app", "wsgi", "run"],
    ],
    ids=["gunicorn", "flask-privacy-status", "flask-run"],
)
def test_an_invalid_setting_stops_the_service_with_one_line_and_no_worker(command):
    port = str(free_port())
    env = environment({"consent": {"banner": "sometimes"}}) | {
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "FLASK_RUN_PORT": port,
    }
    # Before the on_starting hook, gunicorn restarted the failing workers forever: the timeout
    # is the bound on that loop.
    result = subprocess.run(
        command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=30
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0
    said = [line for line in result.stderr.splitlines() if "] [INFO] Starting gunicorn" not in line]
    assert said == [REFUSED]
    assert "Traceback" not in output
    assert "Booting worker" not in output
    assert "Listening at" not in output and "Running on" not in output


def on_sqlite(tmp_path, name: str) -> dict:
    """Production behind the simulated proxy, one worker on SQLite: no PostgreSQL or Redis needed."""
    return {
        "app": {"environment": "production", "secret_key": "g" * 48,
                "instance_path": str(tmp_path / name)},
        "service": {"domain": "app.prospectra.example", **LEGAL_SERVICE}, "hosting": LEGAL_HOSTING,
        "mail": {"encryption_key": MAIL_KEY},
        "proxy": {"x_for": 1, "x_proto": 1, "x_host": 1},
    }  # fmt: skip


def test_two_instances_create_no_control_socket_and_leave_another_ones_alone(tmp_path, monkeypatch):
    # gunicorn's default is one socket per user (~/.gunicorn/gunicorn.ctl without
    # XDG_RUNTIME_DIR): a second instance took it over and deleted it on exit.
    with tempfile.TemporaryDirectory(prefix="gh", dir="/tmp") as name:  # short: AF_UNIX limit
        home = Path(name)
        monkeypatch.setenv("HOME", name)
        monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
        (home / ".gunicorn").mkdir()
        default = home / ".gunicorn" / "gunicorn.ctl"
        with socket.socket(socket.AF_UNIX) as someone_elses:
            someone_elses.bind(str(default))
            first = Gunicorn(on_sqlite(tmp_path, "first"), tmp_path / "first.log", workers=1)
            second = Gunicorn(on_sqlite(tmp_path, "second"), tmp_path / "second.log", workers=1)
            try:
                first.start()
                second.start()
                first.stop()
                assert Visitor(second.port).get("/healthz").status == 200
            finally:
                first.stop()
                second.stop()
            assert default.is_socket()
            assert sorted(home.rglob("*")) == [home / ".gunicorn", default]
    assert "Control socket" not in first.errors() + second.errors()


def test_the_access_log_names_the_client_the_proxy_reports_and_no_secret(tmp_path):
    # access_format=None: the log format of prospectra/gunicorn_conf.py, as production logs.
    server = Gunicorn(
        on_sqlite(tmp_path, "instance"), tmp_path / "access.log", workers=1, access_format=None
    )
    server.start()
    try:
        # Sent from 127.0.0.1 (the proxy) with X-Forwarded-For as nginx sets it.
        visitor = Visitor(server.port, cookies={"__Host-session": "secret-session-id"})
        assert visitor.get("/login?next=/dashboard%3Ftoken%3Dsecret-token").status == 200
        spoofed = Visitor(server.port, address="198.51.100.1, 203.0.113.7")
        assert spoofed.get("/legal/cookies").status == 200
    finally:
        server.stop()
    lines = [line for line in server.log.read_text().splitlines() if "/healthz" not in line]
    assert len(lines) == 2
    assert all(line.startswith("203.0.113.7 - - [") for line in lines)
    assert '"GET /login HTTP/1.1" 200 ' in lines[0]
    assert '"GET /legal/cookies HTTP/1.1" 200 ' in lines[1]
    log = "\n".join(lines)
    assert "127.0.0.1" not in log and "198.51.100.1" not in log
    assert "secret" not in log and "next=" not in log
