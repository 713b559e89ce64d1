"""Health probes answer whatever Host they send; every other page answers only the service's domain.

An orchestrator probes a worker by its address (``Host: 10.0.0.5:8000``), which production's
TRUSTED_HOSTS would refuse with a 400, and the service would be taken for down. The two health
paths build no link and echo nothing of the request, so they are shown the configured domain
instead of the probe's Host. Hand-written: Flask's host check has no per-endpoint exception.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable

from flask import Flask

PATHS = frozenset({"/healthz", "/readyz"})


class AnyHostForProbes:
    """WSGI middleware, outside ProxyFix: a forwarded host must not replace the domain either."""

    def __init__(self, wsgi_app: Callable, domain: str) -> None:
        self.wsgi_app = wsgi_app
        self.domain = domain

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO") in PATHS:
            environ = {**environ, "HTTP_HOST": self.domain}
            environ.pop("HTTP_X_FORWARDED_HOST", None)
        return self.wsgi_app(environ, start_response)


def wrap(app: Flask) -> AnyHostForProbes:
    """The probes' exception in front of ``app``'s WSGI application, for ``[service] domain``."""
    return AnyHostForProbes(app.wsgi_app, app.config["PROSPECTRA"]["service"]["domain"])
