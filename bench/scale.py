"""Cost as data grows: the same measures at several sizes of the real schema, on SQLite and PostgreSQL.

For each back-end and size, a fresh database (a SQLite file in a temporary folder; a PostgreSQL
schema of its own in database ``test``, dropped afterwards) is migrated to head by
``prospectra.create_app`` and seeded through SQLAlchemy Core bulk inserts: users (one real argon2
hash shared by all), a login session per user (store record and index row, 10 % expired), five
consent records per user spread over four years (a quarter past the three-year retention), and
daily page-view counts over 30 months (a sixth past the 25-month retention). Then, measured:
login (POST /login through the test client, a different seeded user each time), the dashboard
and the account page (median ms), the three purge commands cron runs (their click commands run in
this process: seconds and rows deleted, without the start-up) and the CLI start-up (a real
``flask --app wsgi`` process, with nothing left to purge). Everything stays on 127.0.0.1. See
bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from argon2 import PasswordHasher  # noqa: E402
from sqlalchemy import MetaData  # noqa: E402
from sqlalchemy import Table  # noqa: E402
from sqlalchemy import insert  # noqa: E402
from sqlalchemy import text  # noqa: E402

from prospectra import create_app  # noqa: E402
from prospectra.extensions import db  # noqa: E402
from prospectra.models import ConsentRecord  # noqa: E402
from prospectra.models import LoginSession  # noqa: E402
from prospectra.models import PageView  # noqa: E402
from prospectra.models import User  # noqa: E402
from tests import backends  # noqa: E402
from tests.served import environment  # noqa: E402

PASSWORD = "correct horse battery staple"
FLASK = Path(sys.executable).parent / "flask"
NOW = datetime.datetime.now(datetime.UTC)
CHUNK = 10_000  # rows per transaction
CSRF_FIELD = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')
PURGES = {  # column: the command cron runs
    "sessions purge": ["sessions", "purge"],
    "privacy purge-consents": ["privacy", "purge-consents"],
    "analytics purge": ["analytics", "purge"],
}


def main() -> int:
    args = _arguments()
    rows = []
    for backend in args.backends:
        for size in args.sizes:
            started = time.perf_counter()
            with _database(backend) as settings:
                row = {"back-end": backend, "users": size}
                row |= _seed(settings, size)
                row |= _pages(settings, size, args.repeat)
                row |= _commands(settings)
            row["load"] = os.getloadavg()[0]  # other work on the machine slows every column
            row["set-up + run, s"] = time.perf_counter() - started
            rows.append(row)
            print(_table(rows[-1:]), file=sys.stderr, flush=True)  # progress
    print(_table(rows))
    return 0


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default="10,10000,200000",
        type=lambda s: [int(n) for n in s.split(",")],
        help="numbers of users",
    )
    parser.add_argument(
        "--backends",
        default="sqlite,postgresql",
        type=lambda s: s.split(","),
        help="sqlite, postgresql or both",
    )
    parser.add_argument(
        "--repeat",
        default=15,
        type=int,
        help="logins and page views measured at each size (median reported)",
    )
    args = parser.parse_args()
    if set(args.backends) - {"sqlite", "postgresql"}:
        parser.error("--backends: sqlite, postgresql")
    return args


@contextmanager
def _database(backend: str) -> Iterator[dict]:
    """Settings for a fresh app whose database is removed afterwards."""
    with ExitStack() as stack:
        folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="prospectra-scale-"))
        settings: dict = {"app": {"instance_path": str(Path(folder) / "instance")}}
        if backend == "postgresql":
            settings["database"] = {"url": stack.enter_context(backends.postgres_schema())}
        yield settings


def _seed(settings: dict, size: int) -> dict:
    """Fill the tables for ``size`` users; return the rows seeded and how long it took."""
    started = time.perf_counter()
    app = create_app(settings)  # migrates the empty database to head
    password_hash = PasswordHasher().hash(PASSWORD)
    idle = datetime.timedelta(minutes=app.config["PROSPECTRA"]["session"]["idle_timeout_minutes"])
    with app.app_context():
        store = Table("sessions", MetaData(), autoload_with=db.engine)  # Flask-Session's table
        _insert(
            User,
            (
                {"email": _email(n), "password_hash": password_hash, "created_at": NOW}
                for n in range(size)
            ),
        )
        first_id = db.session.execute(text("SELECT min(id) FROM users")).scalar_one()
        # Every tenth session expired: its record past its expiry, its listing idle too long.
        expired = [n % 10 == 0 for n in range(size)]
        naive_now = NOW.replace(tzinfo=None)  # Flask-Session keeps naive UTC
        _insert(
            store,
            (
                {
                    "session_id": f"session:{secrets.token_urlsafe(32)}",
                    "data": b"\x80",
                    "expiry": naive_now + (-idle if old else idle),
                }
                for old in expired
            ),
        )
        _insert(
            LoginSession,
            (
                {
                    "sid_hash": secrets.token_hex(32),
                    "sealed_sid": "0",
                    "user_id": first_id + n,
                    "device": "Firefox on Linux",
                    "created_at": NOW - (3 * idle if old else idle / 2),
                    "last_seen_at": NOW - (2 * idle if old else idle / 2),
                }
                for n, old in enumerate(expired)
            ),
        )
        # Consent ids are random, as the banner makes them (consent/decision.py): their index is
        # written in no particular order, which is what a purge of old records pays for.
        consents = 5 * size
        span = datetime.timedelta(days=4 * 365)
        _insert(
            ConsentRecord,
            (
                {
                    "consent_id": secrets.token_urlsafe(16),
                    "policy_version": "1",
                    "action": "refuse_all",
                    "choices": {},
                    "created_at": NOW - span + span * (n / consents),
                }
                for n in range(consents)
            ),
        )
        pages, days = min(max(size // 1000, 5), 200), 30 * 30
        _insert(
            PageView,
            (
                {"day": (NOW - datetime.timedelta(days=d)).date(), "page": f"/page/{p}", "views": 1}
                for d in range(days, 0, -1)
                for p in range(pages)
            ),
        )
        db.session.execute(text("ANALYZE"))  # what autovacuum (PostgreSQL) or ops would run
        db.session.commit()
        db.engine.dispose()
    return {
        "consents": consents,
        "page views": pages * days,
        "seed, s": time.perf_counter() - started,
    }


def _email(n: int) -> str:
    return f"user{n}@example.org"


def _insert(table, rows: Iterator[dict]) -> None:
    """Insert in chunks, one executemany and one transaction each (a multi-row VALUES statement
    of thousands of rows is slower: SQLAlchemy compiles it anew every time)."""
    chunk: list[dict] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == CHUNK:
            db.session.execute(insert(table), chunk)
            db.session.commit()
            chunk = []
    if chunk:
        db.session.execute(insert(table), chunk)
        db.session.commit()


def _pages(settings: dict, size: int, repeat: int) -> dict:
    """Median ms of a login, of the dashboard and of the account page, as a browser gets them."""
    app = create_app(settings)
    logins, dashboards, accounts = [], [], []
    client = None
    for n in range(repeat):
        # A different user each time, across the whole table, from an address of its own (the
        # per-address login limit counts only wrong passwords; a browser of its own all the same).
        client = app.test_client()
        client.environ_base.update(HTTP_REFERER="https://localhost/", REMOTE_ADDR=f"10.0.{n}.1")
        token = CSRF_FIELD.search(client.get("/login").get_data(as_text=True)).group(1)
        form = {
            "csrf_token": token,
            "email": _email(size - 1 - n * size // repeat),
            "password": PASSWORD,
        }
        logins.append(_timed(client.post, "/login", 303, data=form))
    client.get("/dashboard")  # the first page after login may record the policy notice seen
    for _ in range(repeat):
        dashboards.append(_timed(client.get, "/dashboard", 200))
        accounts.append(_timed(client.get, "/account", 200))
    with app.app_context():
        db.engine.dispose()
    return {
        "login, ms": statistics.median(logins),
        "dashboard, ms": statistics.median(dashboards),
        "account, ms": statistics.median(accounts),
    }


def _timed(method, path: str, status: int, **kwargs) -> float:
    """Milliseconds one request took; the run stops if it was not answered ``status``."""
    started = time.perf_counter()
    response = method(path, **kwargs)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != status:
        sys.exit(f"bench: {path} answered {response.status_code}, not {status}")
    return elapsed


def _commands(settings: dict) -> dict:
    """Each purge as cron runs it, minus the start-up: the click command run in this process
    (seconds, rows deleted); then the start-up, a real `flask` process with nothing left to do."""
    app = create_app(settings)
    runner = app.test_cli_runner()
    measures: dict = {}
    for label, command in PURGES.items():
        started = time.perf_counter()
        result = runner.invoke(args=command)
        elapsed = time.perf_counter() - started
        if result.exit_code != 0:
            sys.exit(f"bench: flask {label} failed:\n{result.output}")
        print(f"  {label}: {result.output.strip()} ({elapsed:.2f} s)", file=sys.stderr)
        deleted = sum(int(n) for n in re.findall(r"Deleted (\d+)", result.output))
        measures[f"{label}: s (rows)"] = f"{elapsed:.2f} ({deleted:,})"
    with app.app_context():
        db.engine.dispose()
    env = environment(settings)
    again = PURGES["privacy purge-consents"]
    measures["CLI start-up, s"] = statistics.median(_flask(env, again) for _ in range(3))
    return measures


def _flask(env: dict[str, str], command: list[str]) -> float:
    """Wall time of a real `flask --app wsgi` process running ``command``."""
    started = time.perf_counter()
    result = subprocess.run(
        [str(FLASK), "--app", "wsgi", *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"bench: flask {' '.join(command)} failed:\n{result.stderr}")
    return elapsed


def _table(rows: list[dict]) -> str:
    columns = list(rows[0])
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        cells = [
            f"{v:,.1f}" if isinstance(v, float) else f"{v:,}" if isinstance(v, int) else v
            for v in row.values()
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
