"""gunicorn settings: `gunicorn -c python:prospectra.gunicorn_conf prospectra.wsgi:app`.

Behind a TLS proxy. `python:` makes gunicorn import this module by name, so it works from an
installed package as from a checkout, whatever the current directory.
"""

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


# A worker still busy after `timeout` seconds is killed and the client gets gunicorn's own bare
# 500. The app's slow calls have deadlines of their own, [mail] timeout_seconds (the whole SMTP
# conversation) and [assist] timeout_seconds (the whole call to the writing assistant); the
# settings refuse either unless it ends at least 5 s before this timeout, so a slow relay or
# provider gets the app's page ("try again later", the text kept), never a killed worker. Raise
# [server] worker_timeout_seconds, not --timeout, to give them longer.
timeout = _worker_timeout()
graceful_timeout = 20
# The proxy in front is trusted for X-Forwarded-* by the app's [proxy] settings (ProxyFix);
# gunicorn's own forwarded-header handling is limited to the local proxy.
forwarded_allow_ips = "127.0.0.1"
accesslog = "-"
errorlog = "-"
# One line per request: client, time, method, path, status, bytes, milliseconds, user agent.
# %(h)s is REMOTE_ADDR as the app's ProxyFix sets it (it rewrites the environ gunicorn logs): the
# address the trusted proxy reports in X-Forwarded-For, counted per [proxy] x_for, the same one the
# login throttle keys on; without a proxy ([proxy] x_for = 0) the peer's. Not the raw
# X-Forwarded-For header: its leftmost entries are whatever the client sent. No query string
# (%(U)s, not %(r)s), no Referer (a same-origin Referer carries one too) and no Cookie: a token or
# a session id never reaches the log.
access_log_format = '%(h)s - - %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms "%(a)s"'
# No control socket (gunicorn 25.1+). Its default is one path per user ($XDG_RUNTIME_DIR or
# ~/.gunicorn/gunicorn.ctl): a second instance run by the same user took it over and deleted it on
# exit. Nothing here uses gunicornc: systemd or the operator manages the master by signals (HUP
# reloads, TERM stops, TTIN/TTOU adjust workers), and a socket would be one more control channel
# to secure.
control_socket_disable = True


def on_starting(server):
    """Refuse to start, in the master, when a setting is invalid or does not fit the workers.

    Without this each worker fails on import (prospectra/wsgi.py exits with status 1), and gunicorn restarts
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
