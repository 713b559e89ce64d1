"""Bad input gets a clear 4xx page in the site's layout: never a 500, a stack trace or a new cookie."""

from __future__ import annotations

import pytest

from tests.helpers import PASSWORD
from tests.helpers import cookies_set
from tests.helpers import csrf_token

BLOCKED = "Logging in needs only two cookies, both strictly necessary"


def assert_clear_page(response, status: int) -> str:
    html = response.get_data(as_text=True)
    assert response.status_code == status
    assert response.mimetype == "text/html"
    assert '<footer class="site-footer">' in html  # the site's layout
    assert "Traceback" not in html and "werkzeug" not in html.lower()
    return html


def test_login_without_the_csrf_cookie_explains_that_cookies_are_needed(app):
    # A browser that blocks cookies gets the form but never sends the cookie back.
    client = app.test_client(use_cookies=False)
    client.environ_base["HTTP_REFERER"] = "https://localhost/"
    token = csrf_token(client.get("/login"))
    response = client.post(
        "/login", data={"csrf_token": token, "email": "a@b.org", "password": "x"}
    )
    html = assert_clear_page(response, 400)
    assert BLOCKED in html
    assert "CSRF token" not in html
    assert response.headers.getlist("Set-Cookie") == []


def test_tampered_csrf_cookie_is_treated_as_missing(client):
    token = csrf_token(client.get("/login"))
    client.set_cookie("__Host-csrf", "forged.value", secure=True, httponly=True)
    response = client.post(
        "/login", data={"csrf_token": token, "email": "a@b.org", "password": "x"}
    )
    assert_clear_page(response, 400)


def test_form_without_its_token_gets_the_expired_form_page(client):
    client.get("/login")
    response = client.post("/login", data={"email": "a@b.org", "password": "x"})
    html = assert_clear_page(response, 400)
    assert "The form has expired" in html


def test_token_from_another_visitor_is_refused(app, client):
    other = app.test_client()
    token = csrf_token(other.get("/login"))
    client.get("/login")
    response = client.post(
        "/login", data={"csrf_token": token, "email": "a@b.org", "password": "x"}
    )
    assert_clear_page(response, 400)


def test_post_without_same_origin_referer_is_refused_over_https(client):
    token = csrf_token(client.get("/login"))
    response = client.post(
        "/login",
        data={"csrf_token": token, "email": "a@b.org", "password": "x"},
        headers={"Referer": "https://evil.example/"},
    )
    assert_clear_page(response, 400)


@pytest.mark.parametrize(
    "value",
    ["garbage", "", "x" * 4000, "../../etc/passwd", "%00%ff", "\u00e9t\u00e9", "a" * 43],
)
def test_garbage_session_cookie_is_anonymous_and_gets_expired(client, value):
    client.set_cookie("__Host-session", value, secure=True, httponly=True)
    response = client.get("/dashboard")
    assert response.status_code == 302
    if value:
        assert cookies_set(response)["__Host-session"]["max-age"] == "0"


def test_oversized_form_gets_the_413_page(client):
    token = csrf_token(client.get("/login"))
    response = client.post(
        "/login", data={"csrf_token": token, "email": "a@b.org", "password": "p" * 70_000}
    )
    assert_clear_page(response, 413)


def test_overlong_password_is_a_validation_error_not_a_crash(client, make_user):
    make_user()
    token = csrf_token(client.get("/login"))
    response = client.post(
        "/login", data={"csrf_token": token, "email": "ada@example.org", "password": "p" * 5000}
    )
    assert response.status_code == 200
    assert "Field cannot be longer than 256 characters." in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("method", "path"), [("PUT", "/login"), ("DELETE", "/"), ("POST", "/legal/cookies")]
)
def test_wrong_method_gets_the_405_page(client, method, path):
    response = client.open(path, method=method)
    html = assert_clear_page(response, 405)
    assert "Allow" in response.headers
    assert "Method not allowed" in html


def test_unknown_page_gets_the_404_page_without_cookie(client):
    response = client.get("/nowhere")
    assert "Page not found" in assert_clear_page(response, 404)
    assert response.headers.getlist("Set-Cookie") == []


def test_unexpected_error_gets_the_500_page_without_details(app, client, caplog):
    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    app.testing = False  # as in production: errors are handled, not propagated
    response = client.get("/boom")
    html = assert_clear_page(response, 500)
    assert "secret internals" not in html
    assert "secret internals" in caplog.text


def test_login_page_survives_invalid_utf8_in_the_form(client, make_user):
    make_user()
    token = csrf_token(client.get("/login"))
    body = b"csrf_token=" + token.encode() + b"&email=%ff%fe&password=" + PASSWORD.encode()
    response = client.post("/login", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code in (200, 400)


@pytest.mark.parametrize("code", [400, 403, 404, 405, 413, 429, 500, 503])
def test_every_error_page_uses_the_layout_and_sets_no_cookie(app, client, code):
    from flask import abort

    @app.get("/fail")
    def fail():
        abort(code)

    response = client.get("/fail")
    assert_clear_page(response, code)
    assert response.headers.getlist("Set-Cookie") == []


@pytest.mark.parametrize("value", ["é|x", "1|" + "ü" * 40, "garbage"])
def test_a_remember_cookie_sent_by_a_client_is_ignored(client, value):
    # Found by the fuzz test: Flask-Login decoded it and crashed on non-ASCII.
    client.set_cookie("remember_token", value, secure=True)
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert client.get("/dashboard").status_code == 302
