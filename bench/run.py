"""Benchmark Prospectra under gunicorn against a bare Flask page of the same size, in one run.

Starts, all on 127.0.0.1: a private redis-server, Prospectra twice (embedded: SQLite data and
sessions; scaled-out: Redis sessions and PostgreSQL data), both in production mode behind a
simulated TLS proxy, and bench/bare_app.py; every server under the same gunicorn settings
(prospectra/gunicorn_conf.py). wrk loads each target for a bounded time, in interleaved rounds; the
best round of each label is reported (other load only slows a run down), with the server's CPU
per request, and ratios to the bare page of the same size. Then a 60 s mixed run against both
apps, with the workers' RSS before and after. See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from prospectra import create_app  # noqa: E402
from prospectra.accounts import create_user  # noqa: E402
from prospectra.extensions import db  # noqa: E402
from tests import backends  # noqa: E402
from tests.faults import RedisServer  # noqa: E402
from tests.helpers import LEGAL_HOSTING  # noqa: E402
from tests.helpers import LEGAL_SERVICE  # noqa: E402
from tests.helpers import MAIL_KEY  # noqa: E402 (production requires it; nothing is sealed)
from tests.served import Gunicorn  # noqa: E402
from tests.wire import Visitor  # noqa: E402

HERE = Path(__file__).resolve().parent
EMAIL, PASSWORD = "bench@example.org", "correct horse battery staple"
TARGETS = {  # label: (server, path, logged in?, minimum ratio to the bare page)
    "anonymous /legal/cookies": ("embedded", "/legal/cookies", False, 0.8),
    "login form /login": ("embedded", "/login", False, None),
    "dashboard, SQLite sessions": ("embedded", "/dashboard", True, None),
    "dashboard, Redis sessions": ("redis", "/dashboard", True, None),
    "dashboard, Redis sessions + PostgreSQL data": ("redis-pg", "/dashboard", True, None),
    "account page, SQLite sessions": ("embedded", "/account", True, None),
    "account page, Redis sessions": ("redis", "/account", True, None),
    "mail page, SQLite sessions": ("embedded", "/mail/", True, None),
    "mail page, Redis sessions": ("redis", "/mail/", True, None),
    # The same app with its page caches off (bench/uncached_wsgi.py): what the caches are worth.
    "anonymous /legal/cookies, caches off": ("uncached", "/legal/cookies", False, None),
    "dashboard, SQLite sessions, caches off": ("uncached", "/dashboard", True, None),
    # The peer: the same page written as a Flask team would (bench/conventional_app.py).
    "conventional dashboard, SQLite sessions": ("conventional-sqlite", "/dashboard", True, None),
    "conventional dashboard, Redis sessions": ("conventional-redis", "/dashboard", True, None),
}
# Issue 16's targets, between rows of the same run: (row, reference row, minimum ratio), in req/s
# and in CPU per request both.
RELATIVE: list[tuple[str, str, float | None]] = [
    ("dashboard, SQLite sessions", "conventional dashboard, SQLite sessions", 1.25),
    ("dashboard, Redis sessions", "conventional dashboard, Redis sessions", 1.25),
    ("account page, SQLite sessions", "dashboard, SQLite sessions", 0.5),
    ("account page, Redis sessions", "dashboard, Redis sessions", 0.5),
    ("mail page, SQLite sessions", "dashboard, SQLite sessions", 0.5),
    ("mail page, Redis sessions", "dashboard, Redis sessions", 0.5),
    # Not targets: what the page caches are worth (keep them only where they pay).
    ("anonymous /legal/cookies", "anonymous /legal/cookies, caches off", None),
    ("dashboard, SQLite sessions", "dashboard, SQLite sessions, caches off", None),
]
TICKS = os.sysconf("SC_CLK_TCK")


def main() -> int:
    args = _arguments()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install -y wrk")
    out = HERE / "results" / datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    out.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as tmp, backends.postgres_schema() as pg_url:
        tmp = Path(tmp)
        redis_server = RedisServer(tmp, persistent=False)
        redis_server.start()
        servers: dict[str, Gunicorn] = {}
        try:
            settings = _settings(tmp, redis_server.url, pg_url)
            for name, s in settings.items():
                _create_account(s)
                servers[name] = Gunicorn(s, tmp / f"{name}.log", args.workers, nice=args.nice)
            servers["uncached"] = Gunicorn(settings["embedded"], tmp / "uncached.log",
                                           args.workers, "bench.uncached_wsgi:app", nice=args.nice)  # fmt: skip
            servers["bare"] = Gunicorn({}, tmp / "bare.log", args.workers, "bench.bare_app:app",
                                       nice=args.nice)  # fmt: skip
            for store, env in _peers(tmp, redis_server.url).items():
                _create_peer_account(env)
                servers[store] = Gunicorn({}, tmp / f"{store}.log", args.workers,
                                          "bench.conventional_app:app", nice=args.nice, env=env)  # fmt: skip
            for server in servers.values():
                server.start()
            cookies = {name: _session_cookie(servers[name].port)
                       for name in [*settings, "uncached", *_peers(tmp, redis_server.url)]}  # fmt: skip
            plan = _plan(servers, cookies)
            results = _rounds(plan, servers, redis_server, args)
            table = _table(plan, results)
            # The soak's mix is Prospectra's pages: the peers are left out.
            ours = {name: cookies[name] for name in settings}
            soak = _soak(servers, ours, args)
        finally:
            for server in servers.values():
                server.stop()
            redis_server.kill()
    report = table + "\n" + soak
    (out / "summary.md").write_text(report)
    (out / "raw.json").write_text(json.dumps(results, indent=1))
    print(report)
    print(f"results in {out.relative_to(ROOT)}")
    return 0


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-d", "--duration", type=int, default=10, help="seconds per measured run")
    parser.add_argument("-r", "--rounds", type=int, default=3, help="interleaved rounds")
    parser.add_argument("-c", "--connections", type=int, default=32)
    parser.add_argument("-t", "--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("-w", "--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--warmup", type=int, default=2, help="seconds before each measured run")
    parser.add_argument("--soak", type=int, default=60, help="seconds of the memory run")
    parser.add_argument("--nice", type=int, default=0, help="niceness of servers and wrk")
    return parser.parse_args()


def _settings(tmp: Path, redis_url: str, pg_url: str) -> dict[str, dict]:
    production = {
        "service": {"domain": "app.prospectra.example", **LEGAL_SERVICE},
        "hosting": LEGAL_HOSTING,  # production refuses to start without the legal mentions
        "proxy": {"x_for": 1, "x_proto": 1, "x_host": 1},
        "mail": {"encryption_key": MAIL_KEY},
        # Several workers share the login counters (production refuses memory:// then).
        "limits": {"storage_uri": redis_url},
    }

    def app(name: str, **tables) -> dict:
        secret = {"environment": "production", "secret_key": "b" * 48}
        return production | {"app": secret | {"instance_path": str(tmp / name)}} | tables

    redis_sessions = {"store": "redis", "redis_url": redis_url}
    return {  # the first two differ only by their session store; the third is a full deployment
        "embedded": app("embedded"),
        "redis": app("redis", session=redis_sessions | {"key_prefix": "bench-sqlite:"}),
        "redis-pg": app("redis-pg", session=redis_sessions, database={"url": pg_url}),
    }  # fmt: skip


def _peers(tmp: Path, redis_url: str) -> dict[str, dict[str, str]]:
    """The conventional peer on each store, configured as bench/conventional_app.py reads it."""
    common = {"CONVENTIONAL_SECRET_KEY": "c" * 48, "CONVENTIONAL_REDIS_URL": redis_url}
    return {
        "conventional-sqlite": common | {"CONVENTIONAL_STORE": "sqlite",
                                         "CONVENTIONAL_DATABASE": str(tmp / "peer-sqlite.db")},
        "conventional-redis": common | {"CONVENTIONAL_STORE": "redis",
                                        "CONVENTIONAL_DATABASE": str(tmp / "peer-redis.db")},
    }  # fmt: skip


def _create_peer_account(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "bench.conventional_app", "create-user", EMAIL, PASSWORD],
        cwd=ROOT, env=os.environ | env, check=True, capture_output=True,
    )  # fmt: skip


def _create_account(settings: dict) -> None:
    app = create_app(settings)
    with app.app_context():
        create_user(EMAIL, PASSWORD)
        db.engine.dispose()


def _session_cookie(port: int) -> str:
    """The Cookie header of a logged-in browser: its session and, once a form was shown, CSRF."""
    visitor = Visitor(port)
    if visitor.login(EMAIL, PASSWORD).status != 303:
        sys.exit("bench: could not log in")
    visitor.request("GET", "/dashboard")  # the logout form: the browser now holds __Host-csrf
    return "; ".join(f"{name}={value}" for name, value in visitor.cookies.items())


def _plan(servers: dict[str, Gunicorn], cookies: dict[str, str]) -> list[dict]:
    """Every target, probed once (its status and body size), plus a bare page of each size."""
    plan, sizes = [], []
    for label, (server, path, logged_in, target) in TARGETS.items():
        headers = {"X-Forwarded-Proto": "https"}
        if logged_in:
            headers["Cookie"] = cookies[server]
        size = _probe(servers[server].port, path, headers)
        # Logged in: a header of its own on every request, as a browser's clicks differ.
        script = "per_request.lua" if logged_in else "report.lua"
        plan.append(dict(label=label, server=server, path=path, headers=headers, size=size,
                         target=target, script=script))  # fmt: skip
        sizes.append(size)
    for size in sorted(set(sizes)):
        plan.append(dict(label=f"bare page {size} B", server="bare", path=f"/page/{size}",
                         headers={}, size=size, target=None, script="report.lua"))  # fmt: skip
    return plan


def _probe(port: int, path: str, headers: dict) -> int:
    result = subprocess.run(
        ["curl", "-s", "-o", "-", "-w", "\n%{http_code}", f"http://127.0.0.1:{port}{path}",
         *[x for k, v in headers.items() for x in ("-H", f"{k}: {v}")]],
        capture_output=True, check=True,
    )  # fmt: skip
    body, _, status = result.stdout.rpartition(b"\n")
    if status != b"200":
        sys.exit(f"bench: {path} answered {status.decode()}")
    return len(body)


def _rounds(plan, servers, redis_server, args) -> list[dict]:
    results = []
    for round_ in range(args.rounds):
        order = plan[round_ % len(plan) :] + plan[: round_ % len(plan)]
        for target in order:
            url = f"http://127.0.0.1:{servers[target['server']].port}{target['path']}"
            pids = _tree(servers[target["server"]].process.pid)
            if "redis" in target["server"]:
                pids.append(redis_server.process.pid)
            _wrk(url, target["headers"], args.warmup, args, target["script"])
            before = _cpu(pids)
            run = _wrk(url, target["headers"], args.duration, args, target["script"])
            run.update(label=target["label"], round=round_ + 1,
                       cpu_ms=(_cpu(pids) - before) * 1000 / TICKS / max(run["requests"], 1))  # fmt: skip
            print(f"round {round_ + 1} {target['label']}: {run['rps']:.0f} req/s", flush=True)
            results.append(run)
    return results


def _wrk(url: str, headers: dict, duration: int, args, script: str = "report.lua") -> dict:
    command = ["nice", "-n", str(args.nice), "wrk", f"-t{args.threads}",
               f"-c{args.connections}", f"-d{duration}s", "-s", str(HERE / script), url]  # fmt: skip
    for key, value in headers.items():
        command += ["-H", f"{key}: {value}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    run = json.loads([line for line in output.splitlines() if line.startswith("{")][-1])
    run["rps"] = run["requests"] / (run["duration_us"] / 1e6)
    run["errors"] = sum(run[k] for k in ("connect", "read", "write", "status", "timeout"))
    return run


def _tree(pid: int) -> list[int]:
    """The pid and its children (gunicorn's master and workers)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return [pid, *children]


def _cpu(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks
    return total


def _rss_kb(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


def _table(plan: list[dict], results: list[dict]) -> str:
    best = {}
    for run in results:
        if run["label"] not in best or run["rps"] > best[run["label"]]["rps"]:
            best[run["label"]] = run
    bare = {t["size"]: best[t["label"]] for t in plan if t["server"] == "bare"}
    errors = sum(r["errors"] for r in results)
    lines = [
        "| label | page B | req/s | p50 ms | p99 ms | cpu ms/req | x/bare req/s | x/bare cpu | target |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for target in plan:
        run, yard = best[target["label"]], bare[target["size"]]
        ratio, cpu_ratio = run["rps"] / yard["rps"], yard["cpu_ms"] / max(run["cpu_ms"], 1e-9)
        goal = target["target"]
        verdict = "" if goal is None else f"≥ {goal}: {'met' if ratio >= goal else 'MISSED'}"
        lines.append(
            f"| {target['label']} | {target['size']} | {run['rps']:.0f} | {run['p50_ms']:.1f} | "
            f"{run['p99_ms']:.1f} | {run['cpu_ms']:.2f} | {ratio:.2f} | {cpu_ratio:.2f} | {verdict} |"
        )
    lines.append(f"\n{len(results)} runs, best of {max(r['round'] for r in results)} rounds; "
                 f"errors (connect/read/write/timeout/non-2xx-3xx) in all runs: {errors}")  # fmt: skip
    lines += ["", "| row | against | x req/s | x cpu/req | target |", "|---|---|---:|---:|---|"]
    for row, reference, goal in RELATIVE:
        run, ref = best[row], best[reference]
        ratio, cpu_ratio = run["rps"] / ref["rps"], ref["cpu_ms"] / max(run["cpu_ms"], 1e-9)
        verdict = (
            ""
            if goal is None
            else (f"≥ {goal}: {'met' if min(ratio, cpu_ratio) >= goal else 'MISSED'}")
        )
        lines.append(f"| {row} | {reference} | {ratio:.2f} | {cpu_ratio:.2f} | {verdict} |")
    return "\n".join(lines) + "\n"


def _soak(servers: dict[str, Gunicorn], cookies: dict[str, str], args) -> str:
    """Both apps under mixed load at once for args.soak seconds; RSS of their workers around it."""
    trees = {name: _tree(servers[name].process.pid) for name in cookies}
    before = {name: _rss_kb(pids) for name, pids in trees.items()}
    runs = {}
    for name in cookies:
        env = os.environ | {"SESSION_COOKIE": cookies[name]}
        url = f"http://127.0.0.1:{servers[name].port}/"
        runs[name] = subprocess.Popen(
            ["nice", "-n", str(args.nice), "wrk", "-t1", f"-c{args.connections // 2}",
             f"-d{args.soak}s", "-s", str(HERE / "soak.lua"), url],
            env=env, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
    lines = [f"\nMemory over a {args.soak} s mixed run (/, /login, /dashboard, /legal/cookies, "
             "/help/), both apps at once:\n", "| app | requests | errors | RSS before | RSS after |",
             "|---|---:|---:|---:|---:|"]  # fmt: skip
    for name, process in runs.items():
        output, _ = process.communicate()
        time.sleep(0.5)
        run = json.loads([line for line in output.splitlines() if line.startswith("{")][-1])
        errors = sum(run[k] for k in ("connect", "read", "write", "status", "timeout"))
        after = _rss_kb(trees[name])
        lines.append(f"| {name} | {run['requests']} | {errors} | {before[name] / 1024:.1f} MiB | "
                     f"{after / 1024:.1f} MiB |")  # fmt: skip
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
