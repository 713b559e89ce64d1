"""Health checks for the load balancer and the orchestrator; they set no cookie.

``/healthz`` (liveness) says the process answers and asks nothing of any other service, so that
an outage of PostgreSQL or Redis never gets healthy workers restarted. ``/readyz`` (readiness) says
whether pages can be served: the database and the session store both answer within their
connect timeouts; otherwise 503 with Retry-After, and the body names the service that failed.
Both answer over plain http too: health checks come from inside, not through the TLS proxy.
"""

from __future__ import annotations

from flask import Blueprint
from flask import current_app
from flask import jsonify
from sqlalchemy import text

from ..extensions import db
from ..extensions import talisman
from ..outages import RETRY_AFTER_SECONDS
from ..outages import SERVICE_ERRORS
from ..outages import Unavailable
from ..sessions import store

bp = Blueprint("health", __name__)
NO_STORE = {"Cache-Control": "no-store"}


@bp.get("/healthz")
@talisman(force_https=False)
def healthz():
    """The process is alive (no dependency is checked)."""
    return jsonify(status="ok"), 200, NO_STORE


@bp.get("/readyz")
@talisman(force_https=False)
def readyz():
    """The database and the session store answer: this process can serve pages."""
    checks = {"database": _check(_ping_database), "session_store": _check(_ping_session_store)}
    if all(result == "ok" for result in checks.values()):
        return jsonify(status="ok", **checks), 200, NO_STORE
    headers = NO_STORE | {"Retry-After": str(RETRY_AFTER_SECONDS)}
    return jsonify(status="unavailable", **checks), 503, headers


def _check(ping) -> str:
    try:
        ping()
    except (Unavailable, *SERVICE_ERRORS) as error:
        current_app.logger.warning("readiness: %s: %s", type(error).__name__, error)
        return "unreachable"
    return "ok"


def _ping_database() -> None:
    with db.engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def _ping_session_store() -> None:
    store.current().ping()
