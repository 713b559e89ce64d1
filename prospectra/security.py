"""Security headers (Flask-Talisman), CSRF protection (Flask-WTF) and the headers Talisman lacks."""

from __future__ import annotations

import datetime

from flask import Flask
from flask import Response
from flask import abort
from flask import current_app
from flask import g
from flask import request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from flask_wtf.csrf import same_origin

from .config import public_origin
from .consent import decision
from .extensions import csrf
from .extensions import talisman

# Only what the pages use: own scripts, styles and images (favicon); forms post to the app.
# A measurement provider's origins are added only in responses to visitors it may measure.
CONTENT_SECURITY_POLICY = {
    "default-src": "'none'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
    "base-uri": "'none'",
    "object-src": "'none'",
}
# Every powerful feature is denied: no page of Prospectra uses one.
PERMISSIONS_POLICY = {
    feature: "()"
    for feature in (
        "accelerometer", "autoplay", "browsing-topics", "camera", "display-capture",
        "encrypted-media", "fullscreen", "geolocation", "gyroscope", "hid", "magnetometer",
        "microphone", "midi", "payment", "picture-in-picture", "publickey-credentials-get",
        "screen-wake-lock", "serial", "sync-xhr", "usb", "xr-spatial-tracking",
    )
}  # fmt: skip


def init_app(app: Flask) -> None:
    """Install the security headers and CSRF protection, configured from the settings."""
    settings = app.config["PROSPECTRA"]
    talisman.init_app(
        app,
        force_https=settings["app"]["environment"] == "production",
        force_https_permanent=True,
        strict_transport_security=True,
        strict_transport_security_max_age=settings["security"]["hsts_max_age"],
        strict_transport_security_include_subdomains=True,
        content_security_policy=None,  # set per response by _add_headers (depends on consent)
        frame_options="DENY",
        referrer_policy="strict-origin-when-cross-origin",
        # As one string: Talisman would join the dict again on every response.
        permissions_policy=", ".join(f"{k}={v}" for k, v in PERMISSIONS_POLICY.items()),
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        session_cookie_http_only=True,
        session_cookie_samesite=app.config["SESSION_COOKIE_SAMESITE"],
        x_content_type_options=True,
    )
    app.before_request(_refuse_cross_site_writes)  # before Flask-WTF's own check
    csrf.init_app(app)
    app.before_request(_check_referrer)  # after Flask-WTF's token check
    app.after_request(_add_headers)
    app.jinja_env.filters["datetime_utc"] = _datetime_utc


def _datetime_utc(epoch: int) -> str:
    return datetime.datetime.fromtimestamp(epoch, datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def _refuse_cross_site_writes() -> None:
    """Defence in depth beside the CSRF tokens: a state-changing request from another site is
    refused, by Fetch Metadata (``Sec-Fetch-Site``) or, from browsers without it, by ``Origin``."""
    if request.method in SAFE_METHODS:
        return
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        if site == "cross-site":
            abort(403)
        return
    origin = request.headers.get("Origin")
    if origin is not None and origin != _expected_origin():
        abort(403)


def _expected_origin() -> str:
    """Production: the configured public origin; development: the request's own host."""
    return public_origin(current_app.config["PROSPECTRA"]) or request.host_url.rstrip("/")


def _check_referrer() -> None:
    """Production's strict Referer check, as Flask-WTF's WTF_CSRF_SSL_STRICT does it (turned off
    there), but against the configured origin rather than the Host the proxy forwards.

    It runs exactly where Flask-WTF validated a token on this request (``g.csrf_valid``), so
    exempt views and safe methods are treated as Flask-WTF treats them; the answer on failure is
    Flask-WTF's own error. Development keeps Flask-WTF's check (WTF_CSRF_SSL_STRICT on).
    """
    expected = public_origin(current_app.config["PROSPECTRA"])
    if expected is None or not g.get("csrf_valid", False):
        return
    if not request.referrer:
        raise CSRFError("The referrer header is missing.")
    if not same_origin(request.referrer, expected + "/"):
        raise CSRFError("The referrer does not match the host.")


_FIXED_POLICY = "; ".join(f"{name} {value}" for name, value in CONTENT_SECURITY_POLICY.items())


def content_security_policy() -> str:
    """The CSP for this response: the fixed policy plus the origins of the tags it carries."""
    active = decision.current().active
    if not any(provider.origins for provider in active):
        return _FIXED_POLICY  # most responses: no tag from another origin
    directives = {name: [value] for name, value in CONTENT_SECURITY_POLICY.items()}
    for provider in active:
        for name in ("script-src", "connect-src", "img-src") if provider.origins else ():
            directives.setdefault(name, ["'self'"]).extend(provider.origins)
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def _add_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = content_security_policy()
    # Talisman 1.1 has no option for these two (wntrblm/flask-talisman#26).
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    # Pages for a logged-in user, and pages carrying a CSRF token, are never stored by a cache.
    if "csrf_token" in g or current_user.is_authenticated:
        response.headers["Cache-Control"] = "no-store"
    return response
