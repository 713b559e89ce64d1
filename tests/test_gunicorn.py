"""Production serving: several gunicorn workers share the sessions, which survive a restart.

Real gunicorn (config/gunicorn.conf.py, sync workers) on a free port, Redis sessions, PostgreSQL
data, production settings behind a simulated TLS proxy (X-Forwarded-* headers).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from prospectra.accounts import create_user
from tests import backends
from tests.helpers import MAIL_KEY
from tests.helpers import PASSWORD
from tests.served import Gunicorn
from tests.wire import Visitor


@pytest.fixture
def production(tmp_path):
    backends.require_services()
    with backends.postgres_schema() as url, backends.redis_prefix() as prefix:
        yield {
            "app": {"environment": "production", "secret_key": "g" * 48,
                    "instance_path": str(tmp_path / "instance")},
            "service": {"domain": "app.prospectra.example"},
            "mail": {"encryption_key": MAIL_KEY},
            "proxy": {"x_for": 1, "x_proto": 1, "x_host": 1},
            "session": {"store": "redis", "redis_url": backends.REDIS_URL, "key_prefix": prefix},
            "database": {"url": url},
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
