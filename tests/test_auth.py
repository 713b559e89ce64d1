"""Logging in and out through the forms; throttling; only local redirects after login."""

from __future__ import annotations

import pytest

from prospectra.redirects import local_path
from tests.helpers import csrf_token

pytestmark = pytest.mark.both_backends
FAILED = "The e-mail address or the password is not right."


def test_login_with_valid_credentials_opens_the_dashboard(client, make_user, auth):
    make_user()
    response = auth.login()
    assert response.status_code == 303
    assert response.headers["Location"] == "/dashboard"
    page = client.get("/dashboard")
    assert page.status_code == 200
    assert "ada@example.org" in page.get_data(as_text=True)


def test_email_is_matched_whatever_its_case(client, make_user, auth):
    make_user()
    assert auth.login(email="  Ada@Example.ORG ").status_code == 303


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("ada@example.org", "wrong password!!"),
        ("nobody@example.org", "correct horse battery staple"),
    ],
)
def test_failed_login_gives_one_generic_message_and_no_session(
    client, make_user, auth, email, password
):
    make_user()
    response = auth.login(email=email, password=password)
    assert response.status_code == 200
    assert FAILED in response.get_data(as_text=True)
    assert client.get_cookie("__Host-session") is None


def test_internal_pages_send_anonymous_visitors_to_login_with_next(client):
    response = client.get("/account")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2Faccount"
    assert response.headers.getlist("Set-Cookie") == []


def test_login_returns_to_the_local_page_asked_for(make_user, auth):
    make_user()
    assert auth.login(next="/account").headers["Location"] == "/account"


@pytest.mark.parametrize(
    "target",
    ["https://evil.example", "//evil.example", "/\\evil.example", "\\\\evil.example", "https:evil.example",
     "javascript:alert(1)", "/%0d%0aLocation:%20https://evil.example", "evil.example", "///evil.example"],
)  # fmt: skip
def test_login_never_redirects_off_site(make_user, auth, target):
    make_user()
    location = auth.login(next=target).headers["Location"]
    assert location == "/dashboard"


@pytest.mark.parametrize(
    ("target", "expected"),
    [("/account", "/account"), ("/help/?q=1", "/help/?q=1"), ("//evil", None), ("/\\evil", None),
     ("http://x/", None), ("", None), (None, None), ("/a\r\nb", None)],
)  # fmt: skip
def test_local_path_accepts_only_paths_on_this_site(target, expected):
    assert local_path(target) == expected


def test_logout_is_a_post_protected_by_csrf(client, make_user, auth):
    make_user()
    auth.login()
    assert client.get("/logout").status_code == 405
    assert client.post("/logout", data={}).status_code == 400
    assert client.get("/dashboard").status_code == 200  # still logged in
    assert auth.logout().headers["Location"] == "/logged-out"
    assert client.get("/dashboard").status_code == 302


def test_failed_logins_are_throttled_per_account_with_a_clear_page(client, make_user, auth):
    make_user()
    for _ in range(5):
        assert auth.login(password="wrong password!!").status_code == 200
    response = auth.login()  # even the right password waits now
    assert response.status_code == 429
    assert "too many attempts" in response.get_data(as_text=True)
    assert response.headers.getlist("Set-Cookie") == []


def test_throttling_per_account_ignores_the_client_address(app, make_user):
    make_user()
    for n in range(6):
        client = app.test_client()
        client.environ_base.update(HTTP_REFERER="https://localhost/", REMOTE_ADDR=f"198.51.100.{n}")
        token = csrf_token(client.get("/login"))
        response = client.post(
            "/login",
            data={"csrf_token": token, "email": "ada@example.org", "password": "wrong password!!"},
        )
    assert response.status_code == 429


def test_login_attempts_are_throttled_per_client_address(app, client, make_user):
    make_user()
    token = csrf_token(client.get("/login"))
    statuses = [
        client.post(
            "/login", data={"csrf_token": token, "email": f"u{n}@example.org", "password": "x"}
        ).status_code
        for n in range(31)
    ]
    assert statuses[:30] == [200] * 30
    assert statuses[30] == 429


def test_successful_logins_do_not_count_against_the_account(make_user, auth):
    make_user()
    for _ in range(7):
        assert auth.login().status_code == 303
        auth.logout()
