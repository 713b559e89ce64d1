"""Behind a TLS-terminating proxy: HTTPS detection, HSTS and __Host- cookies still hold.

The app is in production mode with one trusted proxy ([proxy] x_for = x_proto = x_host = 1), and the
requests arrive over plain http carrying the X-Forwarded-* headers the proxy sets.
"""

from __future__ import annotations

import pytest
from flask import request

from tests.helpers import LEGAL_HOSTING
from tests.helpers import LEGAL_SERVICE
from tests.helpers import MAIL_KEY
from tests.helpers import PASSWORD
from tests.helpers import cookies_set
from tests.helpers import csrf_token

DOMAIN = "app.prospectra.example"
FROM_PROXY = {
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": DOMAIN,
    "X-Forwarded-For": "203.0.113.7",
}


@pytest.fixture
def proxied(app_factory, settings):
    settings["app"] |= {"environment": "production", "secret_key": "p" * 40}
    settings["service"] = {"domain": DOMAIN, **LEGAL_SERVICE}
    settings["hosting"] = LEGAL_HOSTING
    settings["proxy"] = {"x_for": 1, "x_proto": 1, "x_host": 1}
    settings["mail"] = {"encryption_key": MAIL_KEY}
    app = app_factory(settings)

    @app.get("/test-remote-address")
    def remote_address():
        return request.remote_addr

    client = app.test_client()
    client.environ_base["HTTP_REFERER"] = f"https://{DOMAIN}/login"
    return app, client


def test_forwarded_https_is_trusted_and_gets_hsts(proxied):
    _, client = proxied
    response = client.get("/login", base_url="http://10.0.0.5:8000", headers=FROM_PROXY)
    assert response.status_code == 200
    assert response.headers["Strict-Transport-Security"].startswith("max-age=63072000")
    cookie = cookies_set(response)["__Host-csrf"]
    assert cookie["secure"] is True and cookie["path"] == "/" and "domain" not in cookie


def test_plain_http_without_the_proxy_header_is_redirected_to_https(proxied):
    _, client = proxied
    headers = {"X-Forwarded-Host": DOMAIN}
    response = client.get("/login", base_url="http://10.0.0.5:8000", headers=headers)
    assert response.status_code == 301
    assert response.headers["Location"] == f"https://{DOMAIN}/login"
    assert response.headers.getlist("Set-Cookie") == []


def test_login_through_the_proxy_sets_a_secure_host_prefixed_session_cookie(proxied):
    app, client = proxied
    from prospectra.accounts import create_user

    with app.app_context():
        create_user("ada@example.org", PASSWORD)
    base = "http://10.0.0.5:8000"
    token = csrf_token(client.get("/login", base_url=base, headers=FROM_PROXY))
    response = client.post(
        "/login", base_url=base, headers=FROM_PROXY,
        data={"csrf_token": token, "email": "ada@example.org", "password": PASSWORD},
    )  # fmt: skip
    assert response.status_code == 303 and response.headers["Location"] == "/dashboard"
    cookie = cookies_set(response)["__Host-session"]
    assert cookie["secure"] is True and cookie["httponly"] is True
    assert cookie["path"] == "/" and "domain" not in cookie
    assert client.get("/dashboard", base_url=base, headers=FROM_PROXY).status_code == 200


def test_only_the_address_added_by_the_trusted_proxy_counts(proxied):
    _, client = proxied
    spoofed = FROM_PROXY | {"X-Forwarded-For": "198.51.100.1, 203.0.113.7"}
    response = client.get("/test-remote-address", base_url="http://10.0.0.5:8000", headers=spoofed)
    assert response.get_data(as_text=True) == "203.0.113.7"
