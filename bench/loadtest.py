"""Load and soak: simulated users log in, browse and log out against two gunicorn workers.

Starts a private redis-server, a PostgreSQL schema of its own and gunicorn
(prospectra/gunicorn_conf.py, 2 sync workers, production settings behind a simulated TLS proxy,
Redis sessions, PostgreSQL data). Each simulated user has an account and an address of its own, and loops until the time is
up: log in, browse logged-in and public pages with a think time, log out. Passes (exit 0) when:
no 5xx, no lost session (a logged-in page never sends a logged-in user to the login form), no
request error, and Redis holds exactly the sessions of the users logged in when the time is up
(and none once they have all logged out).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402

from prospectra import create_app  # noqa: E402
from prospectra.accounts import create_user  # noqa: E402
from prospectra.extensions import db  # noqa: E402
from tests import backends  # noqa: E402
from tests.faults import RedisServer  # noqa: E402
from tests.helpers import LEGAL_HOSTING  # noqa: E402
from tests.helpers import LEGAL_SERVICE  # noqa: E402
from tests.helpers import MAIL_KEY  # noqa: E402 (production requires it; nothing is sealed)
from tests.helpers import public_pages  # noqa: E402
from tests.served import Gunicorn  # noqa: E402
from tests.wire import Visitor  # noqa: E402

PASSWORD = "correct horse battery staple"
LOGGED_IN_PAGES = ["/dashboard", "/account"]
PUBLIC_PAGES = list(public_pages())  # from the app: the views marked public
PREFIX = "load:session:"


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.statuses: Counter[int] = Counter()
        self.counts: Counter[str] = Counter()
        self.logged_in: set[int] = set()
        self.visitors: dict[int, Visitor] = {}
        self.problems: list[str] = []

    def status(self, status: int) -> None:
        with self.lock:
            self.statuses[status] += 1

    def count(self, what: str, user: int | None = None, logged_in: bool | None = None) -> None:
        with self.lock:
            self.counts[what] += 1
            if logged_in is True:
                self.logged_in.add(user)
            elif logged_in is False:
                self.logged_in.discard(user)

    def problem(self, text: str) -> None:
        with self.lock:
            self.counts["problems"] += 1
            if len(self.problems) < 20:
                self.problems.append(text)


def user_loop(n: int, port: int, deadline: float, think: float, tally: Tally) -> None:
    email = f"user{n}@example.org"
    visitor = tally.visitors[n] = Visitor(port, address=f"10.{n // 250}.{n % 250}.1")
    rng = random.Random(n)
    time.sleep(rng.uniform(0, 2))  # users do not all arrive in the same millisecond

    def ask(method: str, path: str, form: dict | None = None):
        reply = visitor.request(method, path, form)
        tally.status(reply.status)
        if reply.status >= 500:
            tally.problem(f"user {n}: {method} {path} -> {reply.status}")
        return reply

    while time.monotonic() < deadline:
        try:
            token = visitor.form_token("/login")
            tally.status(200)
            reply = ask(
                "POST", "/login", {"csrf_token": token, "email": email, "password": PASSWORD}
            )
            if reply.status != 303:
                tally.problem(f"user {n}: login -> {reply.status}")
                continue
            tally.count("logins", n, logged_in=True)
            for _ in range(rng.randint(3, 8)):
                time.sleep(rng.uniform(0.5, 1.5) * think)
                path = rng.choice(LOGGED_IN_PAGES + PUBLIC_PAGES)
                reply = ask("GET", path)
                if path in LOGGED_IN_PAGES and reply.status == 302:
                    tally.count("lost_sessions")
                    tally.problem(f"user {n}: {path} sent a logged-in user to the login form")
                if time.monotonic() >= deadline:
                    return  # stays logged in: counted in the live sessions
            token = visitor.form_token("/dashboard")
            tally.status(200)
            if ask("POST", "/logout", {"csrf_token": token}).status != 303:
                tally.problem(f"user {n}: logout failed")
                continue
            tally.count("logouts", n, logged_in=False)
            if ask("GET", "/dashboard").status != 302:
                tally.problem(f"user {n}: still logged in after logout")
        except (OSError, AssertionError) as e:
            tally.problem(f"user {n}: {type(e).__name__}: {e}")
            tally.count("request_errors")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-u", "--users", type=int, default=200)
    parser.add_argument("-d", "--duration", type=int, default=60, help="seconds of load")
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds between pages")
    parser.add_argument("-w", "--workers", type=int, default=2)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, backends.postgres_schema() as pg_url:
        tmp = Path(tmp)
        redis_server = RedisServer(tmp, persistent=False)
        redis_server.start()
        settings = {
            "app": {"environment": "production", "secret_key": "l" * 48,
                    "instance_path": str(tmp / "instance")},
            "service": {"domain": "app.prospectra.example", **LEGAL_SERVICE},
            "hosting": LEGAL_HOSTING,  # production refuses to start without the legal mentions
            "proxy": {"x_for": 1, "x_proto": 1, "x_host": 1},
            "mail": {"encryption_key": MAIL_KEY},  # required in production; no password saved
            "session": {"store": "redis", "redis_url": redis_server.url, "key_prefix": PREFIX},
            "database": {"url": pg_url},
            # Several workers share the login counters (production refuses memory:// then).
            "limits": {"storage_uri": redis_server.url},
        }  # fmt: skip
        server = Gunicorn(settings, tmp / "access.log", workers=args.workers)
        try:
            print(f"creating {args.users} accounts...", flush=True)
            app = create_app(settings)
            with app.app_context():
                for n in range(args.users):
                    create_user(f"user{n}@example.org", PASSWORD)
                db.engine.dispose()
            server.start()
            print(f"{args.users} users for {args.duration} s against {args.workers} workers",
                  flush=True)  # fmt: skip
            tally = Tally()
            deadline = time.monotonic() + args.duration
            threads = [
                threading.Thread(
                    target=user_loop, args=(n, server.port, deadline, args.think, tally)
                )
                for n in range(args.users)
            ]
            started = time.monotonic()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.monotonic() - started
            store = redis.Redis.from_url(redis_server.url)
            stored = sum(1 for _ in store.scan_iter(match=PREFIX + "*"))
            live = len(tally.logged_in)
            for n in sorted(tally.logged_in):  # everyone still in logs out: nothing must remain
                tally.visitors[n].logout()
            left = sum(1 for _ in store.scan_iter(match=PREFIX + "*"))
        finally:
            server.stop()
            redis_server.kill()

    requests = sum(tally.statuses.values())
    five_xx = sum(c for s, c in tally.statuses.items() if s >= 500)
    print(f"\nrequests: {requests} in {elapsed:.0f} s ({requests / elapsed:.0f}/s); statuses: "
          f"{dict(sorted(tally.statuses.items()))}")  # fmt: skip
    print(f"logins: {tally.counts['logins']}, logouts: {tally.counts['logouts']}, "
          f"5xx: {five_xx}, lost sessions: {tally.counts['lost_sessions']}, "
          f"request errors: {tally.counts['request_errors']}")  # fmt: skip
    print(f"sessions in Redis at the end: {stored}; users logged in at the end: {live}; "
          f"left after they logged out: {left}")  # fmt: skip
    for problem in tally.problems:
        print("  problem:", problem)
    ok = five_xx == 0 and tally.counts["problems"] == 0 and stored == live and left == 0
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
