"""The counters behind every limit: password checks, sends and generations, one-call-at-a-time slots.

They are the ``limits`` library's (the engine Flask-Limiter is built on), used directly: no route is
limited by a decorator, every limit is counted where it applies (:mod:`prospectra.auth.throttle`,
:mod:`prospectra.mail.views`), so Flask-Limiter's Flask layer would only add its three hooks to
every request (about 50 µs of a logged-in page, a twentieth of it; bench/README.md).

The storage is ``[limits] storage_uri``: ``memory://`` counts in each process apart, a
``redis://`` URL shares the counters between workers and hosts. A storage that cannot be reached
raises the client's error, which the error pages turn into the 503 page.
"""

from __future__ import annotations

from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter
from limits.strategies import RateLimiter


def build(storage_uri: str) -> RateLimiter:
    """Counters in fixed windows (Flask-Limiter's default strategy) kept in ``storage_uri``."""
    return FixedWindowRateLimiter(storage_from_string(storage_uri))
