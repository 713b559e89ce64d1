"""What an outage of a backing service is, for every layer: the errors it raises, the 503 it becomes.

Low-level on purpose: the database, the session store, the health probes and the error pages all
need these, and none of them should import another to get them.
"""

from __future__ import annotations

from redis.exceptions import RedisError
from sqlalchemy.exc import InterfaceError
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import ServiceUnavailable

# What a stopped, unreachable or overloaded Redis or PostgreSQL raises (never a bug of ours).
SERVICE_ERRORS = (RedisError, OperationalError, InterfaceError, PoolTimeoutError)
RETRY_AFTER_SECONDS = 30


class Unavailable(ServiceUnavailable):
    """A backing service cannot serve this request: the 503 page, with Retry-After.

    The error handlers (:mod:`prospectra.errors`) render it, log one line and change no cookie.
    """

    def __init__(self, reason: str = "") -> None:
        super().__init__(reason or None, retry_after=RETRY_AFTER_SECONDS)
