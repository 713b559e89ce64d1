"""Security headers: exact values, on every kind of response."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest

from prospectra import create_app
from tests.helpers import JSON
from tests.helpers import LEGAL_HOSTING
from tests.helpers import LEGAL_SERVICE
from tests.helpers import MAIL_KEY
from tests.helpers import pages
from tests.helpers import public_pages

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
EXPECTED = {
    "Content-Security-Policy": CSP,
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
PATHS = [*public_pages(login=True), *pages(JSON), "/static/style.css", "/no-such-page"]


@pytest.mark.parametrize("path", PATHS)
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)
    for name, value in EXPECTED.items():
        assert response.headers.getlist(name) == [value], name
    assert "Access-Control-Allow-Origin" not in response.headers


def test_csp_never_allows_inline_code_eval_or_other_origins(client):
    csp = client.get("/").headers["Content-Security-Policy"]
    for forbidden in ("unsafe-inline", "unsafe-eval", "data:", "http:", "https:", "*"):
        assert forbidden not in csp


def test_permissions_policy_denies_unused_features(client):
    policy = client.get("/").headers["Permissions-Policy"]
    for feature in (
        "camera=()",
        "microphone=()",
        "geolocation=()",
        "browsing-topics=()",
        "payment=()",
    ):
        assert feature in policy


def test_pages_contain_no_inline_script_or_style(client):
    for path in public_pages(login=True):
        html = client.get(path).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), path
        assert "<style" not in html and " style=" not in html and " on" + "click=" not in html, path


def test_own_script_carries_a_matching_subresource_integrity_hash(client):
    html = client.get("/login").get_data(as_text=True)
    src, integrity = re.search(r'<script src="([^"]+)" integrity="([^"]+)"', html).groups()
    body = client.get(src).data
    assert integrity == "sha384-" + base64.b64encode(hashlib.sha384(body).digest()).decode()


def test_authenticated_pages_are_never_cached(client, make_user, auth):
    make_user()
    auth.login()
    for path in ("/dashboard", "/account"):
        assert client.get(path).headers["Cache-Control"] == "no-store"


def test_pages_with_a_csrf_token_are_never_cached(client):
    assert client.get("/login").headers["Cache-Control"] == "no-store"


def test_production_redirects_plain_http_to_https(tmp_path):
    app = create_app(
        {
            "app": {
                "instance_path": str(tmp_path),
                "environment": "production",
                "secret_key": "p" * 32,
            },
            "service": {"domain": "app.prospectra.eu", **LEGAL_SERVICE},
            "hosting": LEGAL_HOSTING,
            "mail": {"encryption_key": MAIL_KEY},
        },
        testing=True,
    )
    response = app.test_client().get("/legal/cookies", base_url="http://app.prospectra.eu")
    assert response.status_code == 301
    assert response.headers["Location"] == "https://app.prospectra.eu/legal/cookies"
    assert response.headers.getlist("Set-Cookie") == []


def test_hsts_is_sent_only_over_https(tmp_path):
    app = create_app({"app": {"instance_path": str(tmp_path)}}, testing=True)
    response = app.test_client().get("/", base_url="http://127.0.0.1:5000")
    assert response.status_code == 200  # development serves plain http on loopback
    assert "Strict-Transport-Security" not in response.headers


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Sec-Fetch-Site": "cross-site"}, 403),
        ({"Sec-Fetch-Site": "cross-site", "Origin": "https://localhost"}, 403),
        ({"Origin": "https://evil.example"}, 403),
        ({"Origin": "null"}, 403),
        ({"Sec-Fetch-Site": "same-origin", "Origin": "https://localhost"}, 200),
        ({"Origin": "https://localhost"}, 200),
        ({}, 200),  # neither header (old browser, curl): the CSRF token still decides
    ],
)
def test_state_changing_requests_from_another_site_are_refused(client, headers, status):
    from tests.helpers import csrf_token

    token = csrf_token(client.get("/login"))
    response = client.post(
        "/login", data={"csrf_token": token, "email": "a@b.org", "password": "x"}, headers=headers
    )
    assert response.status_code == status
