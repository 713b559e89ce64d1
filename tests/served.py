"""The app under real gunicorn (prospectra/gunicorn_conf.py), set up by PROSPECTRA_* variables."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from prospectra.paths import PROJECT_ROOT
from tests.faults import free_port
from tests.wire import Visitor

GUNICORN = Path(sys.executable).parent / "gunicorn"
ACCESS_FORMAT = "%(p)s %(m)s %(U)s %(s)s"  # worker pid first: which worker served what


def environment(settings: dict) -> dict[str, str]:
    """Nested settings as PROSPECTRA_TABLE__KEY variables, as ops would set them."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROSPECTRA_")}
    for table, values in settings.items():
        for key, value in values.items():
            name = f"PROSPECTRA_{table.upper()}__{key.upper()}"
            env[name] = value if isinstance(value, str) else str(value).lower()
    return env


class Gunicorn:
    """gunicorn with ``workers`` sync workers on a free 127.0.0.1 port; access log in ``log``.

    The access log is written in ``access_format``, by default the tests' own (worker pid first,
    read by ``served_by``); ``None`` keeps the one of prospectra/gunicorn_conf.py, as production logs.
    """

    def __init__(
        self,
        settings: dict,
        log: Path,
        workers: int = 2,
        app: str = "prospectra.wsgi:app",
        nice: int = 0,
        access_format: str | None = ACCESS_FORMAT,
        env: dict[str, str] | None = None,
    ) -> None:
        self.settings, self.log, self.workers, self.app = settings, log, workers, app
        self.nice, self.access_format = nice, access_format
        self.env = env or {}  # beside the settings: variables another app reads (bench peers)
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> None:
        env = {
            **environment(self.settings),
            **self.env,
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "GUNICORN_WORKERS": str(self.workers),
        }
        log_format = ["--access-logformat", self.access_format] if self.access_format else []
        self.process = subprocess.Popen(
            ["nice", "-n", str(self.nice), str(GUNICORN), "-c", "python:prospectra.gunicorn_conf",
             "--access-logfile", str(self.log), *log_format,
             "--error-logfile", str(self.log) + ".errors", self.app],
            cwd=PROJECT_ROOT, env=env,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.errors()}")
            try:
                if Visitor(self.port, timeout=2).get("/healthz").status == 200:
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"gunicorn did not answer: {self.errors()}")
            time.sleep(0.1)

    def stop(self) -> None:
        """Stop gracefully (SIGTERM: workers finish their request, then exit)."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def errors(self) -> str:
        path = Path(str(self.log) + ".errors")
        return path.read_text()[-3000:] if path.exists() else ""

    def served_by(self, path: str, status: int = 200) -> list[int]:
        """The worker pids that answered ``path`` with ``status``, from the access log."""
        pids = []
        for line in self.log.read_text().splitlines():
            pid, _, served, code = line.split(" ")[:4]
            if served == path and int(code) == status:
                pids.append(int(pid.strip("<>")))
        return pids
