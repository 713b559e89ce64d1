"""Trust the TLS proxy in front for the X-Forwarded-* headers ``[proxy]`` names (werkzeug's ProxyFix).

Behind it, the client's address (the password throttle's key), the scheme and the host are the
ones the browser used; with 0 hops (no proxy) the headers are ignored, as a client could forge them.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


def wrap(app: Flask) -> ProxyFix:
    """ProxyFix in front of ``app``'s WSGI application, trusting as many proxies as configured."""
    proxy = app.config["PROSPECTRA"]["proxy"]
    return ProxyFix(
        app.wsgi_app, x_for=proxy["x_for"], x_proto=proxy["x_proto"], x_host=proxy["x_host"]
    )
