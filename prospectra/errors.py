"""Error pages: every error gets a page in the site's layout, never a stack trace."""

from __future__ import annotations

from flask import Flask
from flask import current_app
from flask import render_template
from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import InternalServerError

from .i18n import localized

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
    app.register_error_handler(HTTPException, render_error)
    app.register_error_handler(Exception, _unexpected)


def render_error(error: HTTPException):
    """Render errors/error.html for the error's status code, keeping the headers it carries."""
    code = error.code or 500
    title, message = MESSAGES.get(code, (error.name, error.description))
    response = error.get_response()
    body = render_template(localized("errors/error.html"), code=code, title=title, message=message)
    response.set_data(body)
    response.mimetype = "text/html"
    return response


def _csrf_error(error: CSRFError):
    # No CSRF cookie at all means the browser does not keep cookies (or dropped ours): explain
    # that, rather than the bare "CSRF token missing" (policy section 5).
    if current_app.config["CSRF_COOKIE_NAME"] not in request.cookies:
        return render_template(localized("errors/cookies_blocked.html")), 400
    return render_template(localized("errors/form_expired.html"), reason=error.description), 400


def _unexpected(error: Exception):
    current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
    return render_error(InternalServerError())
