"""prospectra.testing: the helpers testers reuse fail on what they promise to catch."""

from __future__ import annotations

import pytest
from werkzeug.wrappers import Response

from prospectra.testing import assert_only_declared_cookies
from tests.helpers import LEGAL_HOSTING
from tests.helpers import LEGAL_SERVICE
from tests.helpers import MAIL_KEY

CSRF_ATTRIBUTES = "Secure; HttpOnly; Path=/; SameSite=Lax"


def response_setting(*headers: str) -> Response:
    response = Response("")
    for header in headers:
        response.headers.add("Set-Cookie", header)
    return response


@pytest.mark.parametrize(
    ("header", "complaint"),
    [
        ("tracker=1; " + CSRF_ATTRIBUTES, "tracker: not declared"),
        ("__Host-csrf=x; Secure; Path=/; SameSite=Lax", "__Host-csrf: HttpOnly is False, declared True"),
        ("__Host-csrf=x; HttpOnly; Path=/; SameSite=Lax", "__Host-csrf: Secure is False, declared True"),
        ("__Host-csrf=x; " + CSRF_ATTRIBUTES.replace("Lax", "None"), "SameSite is 'None', declared 'Lax'"),
        ("__Host-csrf=x; Domain=example.org; " + CSRF_ATTRIBUTES, "Domain=example.org, declared host-only"),
        ("__Host-csrf=x; Max-Age=3600; " + CSRF_ATTRIBUTES, "persistent, declared for the browser session"),
        ("not a cookie", "unreadable Set-Cookie header"),
    ],
)  # fmt: skip
def test_assertion_names_each_departure_from_the_registry(app, header, complaint):
    with pytest.raises(AssertionError, match=complaint):
        assert_only_declared_cookies(response_setting(header), app)


def test_assertion_accepts_declared_cookies_and_their_deletion(app):
    set_it = "__Host-csrf=abc; " + CSRF_ATTRIBUTES
    delete_it = "__Host-session=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; " + (
        CSRF_ATTRIBUTES
    )
    cookies = assert_only_declared_cookies(response_setting(set_it, delete_it), app)
    assert cookies["__Host-csrf"].value == "abc" and cookies["__Host-session"]["max-age"] == "0"


TRACKING_APP = (
    f"MAIL_KEY = {MAIL_KEY!r}\n"
    f"LEGAL_SERVICE = {LEGAL_SERVICE!r}\n"
    f"LEGAL_HOSTING = {LEGAL_HOSTING!r}\n"
    + """
import pytest
from flask import make_response
from prospectra import create_app

pytest_plugins = ["prospectra.testing"]


@pytest.fixture
def app(tmp_path):
    # Production: the guard drops the cookie on its way out, so only the fixture can notice.
    app = create_app({"app": {"instance_path": str(tmp_path), "environment": "production",
                              "secret_key": "s" * 32},
                       "service": {"domain": "app.example.org", **LEGAL_SERVICE}, "hosting": LEGAL_HOSTING,
                       "mail": {"encryption_key": MAIL_KEY}})

    @app.get("/tracker")
    def tracker():
        response = make_response("hello")
        response.set_cookie("_ga", "GA1.1.123", max_age=3600)
        return response

    return app
"""
)


@pytest.mark.undeclared_cookies  # the inner run's app sets one, seen from here too
def test_fixture_fails_a_test_in_which_the_app_sets_an_undeclared_cookie(pytester):
    pytester.makeconftest(TRACKING_APP)
    pytester.makepyfile(
        """
        import pytest

        def test_visits_the_tracker(app):
            response = app.test_client().get("/tracker", base_url="https://app.example.org")
            assert response.status_code == 200 and "Set-Cookie" not in response.headers

        @pytest.mark.undeclared_cookies
        def test_says_it_sets_one_on_purpose(app):
            app.test_client().get("/tracker", base_url="https://app.example.org")
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*/tracker: _ga: not declared*"])
