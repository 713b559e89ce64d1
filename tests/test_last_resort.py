"""An error page that cannot be rendered still answers: a static page with the security headers.

Before, a template failing on some input failed its own error page too; Flask then handed the
request to gunicorn, whose bare 500 carries no CSP, HSTS or X-Frame-Options, and the log had three
tracebacks for one request.
"""

from __future__ import annotations

import logging

import pytest
from flask import abort

from prospectra.errors import LAST_RESORT_PAGE
from prospectra.outages import Unavailable
from tests.helpers import LEGAL_HOSTING
from tests.helpers import LEGAL_SERVICE
from tests.helpers import MAIL_KEY

DOMAIN = "app.prospectra.example"
BASE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
HEADERS = {
    "Content-Security-Policy": BASE_CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def break_every_page(app) -> None:
    """Make the layout itself fail, as the language switcher did on ``?endpoint=x``."""

    def broken() -> list:
        raise TypeError("url_for() got multiple values for argument 'endpoint'")

    app.jinja_env.globals["other_languages"] = broken


@pytest.fixture
def broken_app(app):
    break_every_page(app)
    app.testing = False  # as in production: errors are handled, not propagated
    return app


def assert_last_resort(response, status: int) -> None:
    assert response.status_code == status
    assert response.mimetype == "text/html"
    assert response.get_data(as_text=True) == LAST_RESORT_PAGE.format(code=status)
    for name, value in HEADERS.items():
        assert response.headers.getlist(name) == [value], name
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert response.headers.getlist("Set-Cookie") == []


def test_a_page_whose_error_page_also_fails_gets_the_static_500(broken_app, caplog):
    response = broken_app.test_client().get("/legal/cookies?<script>=1")
    assert_last_resort(response, 500)
    assert "<script>" not in response.get_data(as_text=True)  # nothing of the request
    tracebacks = [r for r in caplog.records if r.exc_info]
    assert len(tracebacks) == 1  # the cause, once; the error page's failure is one more line
    assert any("static page was sent instead" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(("code", "header"), [(404, None), (405, "Allow"), (503, "Retry-After")])
def test_the_static_page_keeps_the_status_and_headers_of_the_error(
    broken_app, caplog, code, header
):
    @broken_app.route("/fail", methods=["GET"])
    def fail():
        if code == 503:
            raise Unavailable()
        abort(code)

    client = broken_app.test_client()
    response = client.post("/fail") if code == 405 else client.get("/fail")
    assert_last_resort(response, code)
    if header:
        assert response.headers[header]
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
    tracebacks = [r for r in failures if r.exc_info]
    assert len(tracebacks) == 1  # the broken template, logged once
    # An outage adds its one line, without a traceback; nothing else is logged as an error.
    assert len(failures) == 1 + (code == 503)


def test_the_csrf_pages_fall_back_to_the_static_page_too(broken_app):
    client = broken_app.test_client(use_cookies=False)
    response = client.post("/login", data={"email": "a@b.org"}, base_url="https://localhost")
    assert_last_resort(response, 400)


def test_in_production_the_static_page_carries_hsts(app_factory, settings, caplog):
    settings["app"] |= {"environment": "production", "secret_key": "p" * 40}
    settings["service"] = {"domain": DOMAIN, **LEGAL_SERVICE}
    settings["hosting"] = LEGAL_HOSTING
    settings["mail"] = {"encryption_key": MAIL_KEY}
    app = app_factory(settings)
    break_every_page(app)
    app.testing = False
    response = app.test_client().get("/", base_url=f"https://{DOMAIN}")
    assert_last_resort(response, 500)
    assert response.headers["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains"


def test_development_static_page_has_no_hsts(broken_app):
    response = broken_app.test_client().get("/", base_url="http://127.0.0.1:5000")
    assert_last_resort(response, 500)
    assert "Strict-Transport-Security" not in response.headers
