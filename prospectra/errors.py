"""Error pages: every error gets a page in the site's layout, never a stack trace.

If that page itself cannot be rendered, the visitor gets a short static page instead (built from
no template and nothing the request sent) that still carries the app's security headers; the
failure is logged once. Without it, a template that breaks on some input broke its own error
page too, and gunicorn answered its bare 500 with none of the headers.

An outage of the database or the session store is not a bug: the page says the service is
temporarily unavailable (503, with Retry-After), changes no cookie, and the next request after
the service is back works again (connections are re-made by the pools, nothing is cached broken).
"""

from __future__ import annotations

import logging

from flask import Flask
from flask import current_app
from flask import render_template
from flask import request
from flask.globals import request_ctx
from flask.wrappers import Response
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import InternalServerError

from .extensions import login_manager
from .i18n import localized
from .outages import SERVICE_ERRORS
from .outages import Unavailable
from .security import CONTENT_SECURITY_POLICY
from .security import PERMISSIONS_POLICY

MESSAGES = {
    400: (
        _l("Bad request"),
        _l("The request could not be understood. Please go back and try again."),
    ),
    403: (_l("Forbidden"), _l("You are not allowed to see this page.")),
    404: (_l("Page not found"), _l("There is no page at this address.")),
    405: (_l("Method not allowed"), _l("This page cannot be used this way.")),
    413: (_l("Request too large"), _l("What you sent is larger than Prospectra accepts.")),
    429: (
        _l("Too many attempts"),
        _l(
            "There have been too many attempts from your connection or on this account. "
            "Wait a few minutes, then try again."
        ),
    ),
    500: (_l("Something went wrong"), _l("An error occurred on our side. Please try again later.")),
    503: (
        _l("Service temporarily unavailable"),
        _l(
            "Prospectra cannot serve this page right now. Nothing you saved is lost; please try "
            "again in a minute."
        ),
    ),
}


def init_app(app: Flask) -> None:
    """Register one renderer for every HTTP error, the CSRF failure pages, and the last resort."""
    app.register_error_handler(CSRFError, _csrf_error)
    for error_class in (Unavailable, *SERVICE_ERRORS):
        app.register_error_handler(error_class, _outage)
    app.register_error_handler(HTTPException, render_error)
    app.register_error_handler(Exception, _unexpected)
    app.logger.addFilter(_OutageTraceback())


def render_error(error: HTTPException, *, cause: Exception | None = None):
    """Render errors/error.html for the error's status code, keeping the headers it carries.

    ``cause``: the exception already logged for this request, so a page failing the same way adds
    one line to the log, not a second traceback.
    """
    # Flask hands an error raised while saving the session (or in an after_request hook) only to
    # the 500 handler, wrapped (flask-session#172): an outage found there still gets the 503 page.
    if isinstance(getattr(error, "original_exception", None), (Unavailable, *SERVICE_ERRORS)):
        return _outage(error.original_exception)
    code = error.code or 500
    title, message = MESSAGES.get(code, (error.name, error.description))
    response = error.get_response()
    body = _render_or_none(
        "errors/error.html", code, cause, code=code, title=title, message=message
    )
    if body is None:
        return last_resort(response)
    response.set_data(body)
    response.mimetype = "text/html"
    return response


def _csrf_error(error: CSRFError):
    # No CSRF cookie at all means the browser does not keep cookies (or dropped ours): explain
    # that, rather than the bare "CSRF token missing" (policy section 5).
    if current_app.config["CSRF_COOKIE_NAME"] not in request.cookies:
        body = _render_or_none("errors/cookies_blocked.html", 400, None)
    else:
        body = _render_or_none("errors/form_expired.html", 400, None, reason=error.description)
    return (body, 400) if body is not None else last_resort(error.get_response())


def _render_or_none(
    template: str, status: int, cause: Exception | None, /, **context
) -> str | None:
    """The error page in the site's layout, or None (logged once) if it cannot be rendered."""
    _bind_links_of_a_refused_host()
    try:
        return render_template(localized(template), **context)
    except Exception as failure:  # noqa: BLE001 (whatever broke it, the visitor gets a page)
        same = cause is not None and (type(failure), str(failure)) == (type(cause), str(cause))
        current_app.logger.error(
            "the %s page could not be rendered on %s %s (%s): the static page was sent instead",
            status, request.method, request.path, _one_line(failure), exc_info=not same,
        )  # fmt: skip
        return None


def _bind_links_of_a_refused_host() -> None:
    # Flask builds no URL adapter for a request whose Host is not trusted (TRUSTED_HOSTS), so
    # url_for would fail on its 400 page. The page's links are relative: bind them to the domain.
    ctx = request_ctx._get_current_object()
    if ctx.url_adapter is None:
        domain = current_app.config["PROSPECTRA"]["service"]["domain"]
        ctx.url_adapter = current_app.url_map.bind(domain, url_scheme="https")


LAST_RESORT_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Error {code} · Prospectra</title></head>
<body>
<h1>Error {code}</h1>
<p>Prospectra could not show this page. Please try again later.</p>
<p lang="fr">Prospectra n'a pas pu afficher cette page. Veuillez réessayer plus tard.</p>
<p><a href="/">Prospectra</a></p>
</body>
</html>
"""


def last_resort(response: Response) -> Response:
    """Turn ``response`` (an error's, keeping its status and headers) into the static page.

    The security headers are set here, not left to the ``after_request`` hooks, which may be what
    failed: the base CSP (no provider's origins), HSTS in production, and the rest as every page.
    """
    code = response.status_code
    response.set_data(LAST_RESORT_PAGE.format(code=int(code)))
    response.mimetype = "text/html"
    settings = current_app.config["PROSPECTRA"]
    headers = response.headers
    headers["Content-Security-Policy"] = "; ".join(
        f"{name} {value}" for name, value in CONTENT_SECURITY_POLICY.items()
    )
    if settings["app"]["environment"] == "production":
        headers["Strict-Transport-Security"] = (
            f"max-age={settings['security']['hsts_max_age']}; includeSubDomains"
        )
    headers["X-Frame-Options"] = "DENY"
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    headers["Permissions-Policy"] = ", ".join(f"{k}={v}" for k, v in PERMISSIONS_POLICY.items())
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Cross-Origin-Resource-Policy"] = "same-origin"
    headers["Cache-Control"] = "no-store"
    return response


def _unexpected(error: Exception):
    current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
    return render_error(InternalServerError(), cause=error)


def _outage(error: Exception):
    current_app.logger.error(
        "service unavailable on %s %s: %s", request.method, request.path, _one_line(error)
    )
    # The page is rendered for an anonymous visitor: Flask-Login would otherwise ask the
    # database that just failed for the user again (templates, the Cache-Control hook).
    login_manager._update_request_context_with_user()
    return render_error(error if isinstance(error, Unavailable) else Unavailable())


class _OutageTraceback(logging.Filter):
    """Drop Flask's traceback for an outage found while saving the session: it is no bug, and
    :func:`_outage` logs it in one line (Flask logs every error it hands to the 500 handler)."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(error, (Unavailable, *SERVICE_ERRORS))


def _one_line(error: Exception) -> str:
    if isinstance(error, Unavailable) and error.__cause__ is not None:
        return f"{error.description}: {_one_line(error.__cause__)}"
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"
