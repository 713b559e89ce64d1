"""The Set-Cookie guard: a cookie outside the registry never reaches a browser."""

from __future__ import annotations

import logging

import pytest
from flask import make_response

from prospectra import create_app
from prospectra.privacy.guard import UndeclaredCookieError
from prospectra.privacy.guard import problems
from tests.helpers import LEGAL_HOSTING
from tests.helpers import LEGAL_SERVICE
from tests.helpers import MAIL_KEY

DECLARED = {
    "__Host-csrf": {
        "secure": True,
        "http_only": True,
        "same_site": "Lax",
        "path": "/",
        "max_age": None,
    }
}


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("__Host-csrf=abc; Secure; HttpOnly; Path=/; SameSite=Lax", []),
        ("__Host-csrf=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Secure; HttpOnly; Path=/; SameSite=Lax", []),
        ("tracker=1; Secure; HttpOnly; Path=/; SameSite=Lax", ["cookie 'tracker' is not declared in the registry"]),
        ("__Host-csrf=abc; HttpOnly; Path=/; SameSite=Lax", ["cookie '__Host-csrf' lacks Secure"]),
        ("__Host-csrf=abc; Secure; Path=/; SameSite=Lax", ["cookie '__Host-csrf' lacks HttpOnly"]),
        ("__Host-csrf=abc; Secure; HttpOnly; Path=/; SameSite=None", ["cookie '__Host-csrf' SameSite is 'None', declared 'Lax'"]),
        ("__Host-csrf=abc; Secure; HttpOnly; Path=/app; SameSite=Lax", ["cookie '__Host-csrf' Path is '/app', declared '/'"]),
        ("__Host-csrf=abc; Domain=example.org; Secure; HttpOnly; Path=/; SameSite=Lax", ["cookie '__Host-csrf' has a Domain attribute"]),
        ("__Host-csrf=abc; Max-Age=3600; Secure; HttpOnly; Path=/; SameSite=Lax", ["cookie '__Host-csrf' persists beyond the browser session"]),
    ],
)  # fmt: skip
def test_guard_compares_each_attribute_with_the_registry(header, expected):
    assert problems(header, DECLARED) == expected


def _app_setting_a_tracker(tmp_path, *, testing: bool, environment: str = "development"):
    settings = {"app": {"instance_path": str(tmp_path), "environment": environment}}
    if environment == "production":
        settings["app"]["secret_key"] = "s" * 32
        settings["service"] = {"domain": "app.prospectra.eu", **LEGAL_SERVICE}
        settings["hosting"] = LEGAL_HOSTING
        settings["mail"] = {"encryption_key": MAIL_KEY}
    app = create_app(settings, testing=testing)

    @app.get("/tracker")
    def tracker():
        response = make_response("hello")
        response.set_cookie("_ga", "GA1.1.123", max_age=3600 * 24 * 400)
        return response

    return app


@pytest.mark.undeclared_cookies  # what the guard is tested on
def test_undeclared_cookie_raises_in_tests_and_development(tmp_path):
    app = _app_setting_a_tracker(tmp_path, testing=True)
    with pytest.raises(UndeclaredCookieError, match="'_ga' is not declared"):
        app.test_client().get("/tracker")


@pytest.mark.undeclared_cookies  # what the guard is tested on
def test_undeclared_cookie_is_dropped_and_logged_in_production(tmp_path, caplog):
    app = _app_setting_a_tracker(tmp_path, testing=False, environment="production")
    with caplog.at_level(logging.ERROR, logger="prospectra.privacy.guard"):
        response = app.test_client().get("/tracker", base_url="https://app.prospectra.eu")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "hello"
    assert response.headers.getlist("Set-Cookie") == []
    assert "'_ga' is not declared" in caplog.text


@pytest.mark.undeclared_cookies  # what the guard is tested on
def test_declared_cookie_with_wrong_attributes_is_refused(tmp_path):
    app = create_app({"app": {"instance_path": str(tmp_path)}}, testing=True)

    @app.get("/weak")
    def weak():
        response = make_response("weak")
        response.set_cookie(app.config["CSRF_COOKIE_NAME"], "x", secure=False, path="/")
        return response

    with pytest.raises(UndeclaredCookieError, match="lacks Secure"):
        app.test_client().get("/weak")
