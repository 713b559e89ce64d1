"""gunicorn settings: `gunicorn -c config/gunicorn.conf.py wsgi:app` (behind a TLS proxy)."""

import os
import sys

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
worker_class = "sync"  # one connection per request: no keep-alive pinning behind a proxy


def _worker_timeout() -> int:
    """[server] worker_timeout_seconds: one number, which the app checks its own deadlines against.

    Read from the app's settings (not set here) so that [mail] and [assist] timeout_seconds are
    compared at start with the timeout gunicorn really applies. An invalid setting stops here,
    with the same one line as on_starting below, before anything listens.
    """
    from prospectra.config import ConfigError
    from prospectra.config import load_settings

    try:
        return load_settings()["server"]["worker_timeout_seconds"]
    except ConfigError as error:
        sys.exit(f"prospectra: configuration error: {error}")


timeout = _worker_timeout()
graceful_timeout = 20
# The proxy in front is trusted for X-Forwarded-* by the app's [proxy] settings (ProxyFix);
# gunicorn's own forwarded-header handling is limited to the local proxy.
forwarded_allow_ips = "127.0.0.1"
accesslog = "-"
errorlog = "-"


def on_starting(server):
    """Refuse to start, in the master, when a setting is invalid or does not fit the workers.

    Without this each worker fails on import (wsgi.py exits with status 1), and gunicorn restarts
    workers that exit with 1 forever. Here nothing is listening and no worker exists yet; an
    exception raised in this hook is not caught by gunicorn 27, so SystemExit ends the master.
    The worker count is gunicorn's own (GUNICORN_WORKERS, or -w on the command line).
    """
    from prospectra.config import ConfigError
    from prospectra.config import check_workers
    from prospectra.config import load_settings

    try:
        check_workers(load_settings(), server.cfg.workers)
    except ConfigError as error:
        sys.exit(f"prospectra: configuration error: {error}")
