"""The policy's promise: two strictly necessary cookies, set only when needed, as declared."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from prospectra import registry
from prospectra.testing import assert_only_declared_cookies
from prospectra.testing import declared_cookies
from tests.helpers import ASSET
from tests.helpers import JSON
from tests.helpers import PASSWORD
from tests.helpers import PUBLIC
from tests.helpers import STATIC_FILES
from tests.helpers import VISITOR
from tests.helpers import cookies_set
from tests.helpers import csrf_token
from tests.helpers import pages
from tests.helpers import stored_sessions

SESSION = "__Host-session"
CSRF = "__Host-csrf"
MORNING = datetime.datetime(2026, 11, 29, 9, 0, tzinfo=datetime.UTC)
# Every anonymous page but the two with a form (the login form, Cookie settings), and the 404 page.
PUBLIC_PAGES_WITHOUT_FORM = [
    *pages(PUBLIC, VISITOR, JSON, ASSET),
    *(path for path in STATIC_FILES if path not in pages(ASSET)),
    "/no-such-page",
]


pytestmark = pytest.mark.both_backends


def session_rows(app) -> int:
    return stored_sessions(app)


def assert_deleted(response, app, name: str) -> None:
    """The response expires the cookie, with the attributes it was set with."""
    cookie = assert_only_declared_cookies(response, app)[name]
    assert cookie.value == "" and cookie["max-age"] == "0"


@pytest.mark.parametrize("key", [registry.SESSION, registry.CSRF])
def test_registry_declares_both_cookies_secure_httponly_lax_host_only_for_the_session(app, key):
    # What the policy promises; the assertions below compare responses with this declaration.
    (cookie,) = [c for c in declared_cookies(app) if c["name"] == "__Host-" + key]
    assert cookie["attributes"] == {
        "secure": True,
        "http_only": True,
        "same_site": "Lax",
        "path": "/",
        "domain": None,
        "max_age": None,
    }


@pytest.mark.parametrize("path", PUBLIC_PAGES_WITHOUT_FORM)
def test_anonymous_page_without_form_sets_no_cookie(app, client, path):
    response = client.get(path)
    assert response.status_code in (200, 404)
    assert response.headers.getlist("Set-Cookie") == []
    assert session_rows(app) == 0


def test_login_page_sets_only_the_csrf_cookie_and_stores_no_session(app, client):
    response = client.get("/login")
    assert response.status_code == 200
    assert list(assert_only_declared_cookies(response, app)) == [CSRF]
    assert session_rows(app) == 0


def test_csrf_cookie_is_reused_across_form_pages(client):
    first = client.get("/login")
    second = client.get("/login")
    assert CSRF in cookies_set(first)
    assert cookies_set(second) == {}
    assert csrf_token(first) != "" and csrf_token(second) != ""


def test_login_sets_the_session_cookie_with_declared_attributes(app, client, make_user, auth):
    make_user()
    response = auth.login()
    assert response.status_code == 303
    cookies = assert_only_declared_cookies(response, app)
    # The sid is token_urlsafe(32): 256 random bits, 43 characters.
    assert len(cookies[SESSION].value) == 43
    assert session_rows(app) == 1


def test_login_rotates_the_csrf_secret_so_a_pre_login_token_is_refused(client, make_user, auth):
    make_user()
    old_token = csrf_token(client.get("/login"))
    response = auth.login()
    assert cookies_set(response)[CSRF]["max-age"] == "0"
    replay = client.post("/logout", data={"csrf_token": old_token})
    assert replay.status_code == 400
    assert client.get("/dashboard").status_code == 200  # still logged in


def test_session_id_changes_at_login_and_a_planted_id_is_never_adopted(
    app, client, make_user, auth
):
    make_user()
    client.set_cookie(SESSION, "planted-by-an-attacker", secure=True, httponly=True)
    response = auth.login()
    assert cookies_set(response)[SESSION]["value"] != "planted-by-an-attacker"
    first_sid = client.get_cookie(SESSION).value
    assert client.get("/login").headers["Location"] == "/dashboard"  # already logged in
    auth.logout()
    auth.login()
    assert client.get_cookie(SESSION).value != first_sid


def test_logout_deletes_the_server_record_and_expires_the_cookie_with_its_attributes(
    app, client, make_user, auth
):
    make_user()
    auth.login()
    sid = client.get_cookie(SESSION).value
    response = auth.logout()
    assert response.status_code == 303
    assert_deleted(response, app, SESSION)
    assert session_rows(app) == 0
    # The old cookie, replayed, is anonymous.
    client.set_cookie(SESSION, sid, secure=True, httponly=True)
    replay = client.get("/dashboard")
    assert replay.status_code == 302 and "/login" in replay.headers["Location"]


def test_idle_session_ends_after_the_idle_timeout(app, client, make_user, auth):
    make_user()
    with time_machine.travel(MORNING, tick=False) as clock:
        auth.login()
        clock.shift(datetime.timedelta(minutes=29))
        assert client.get("/dashboard").status_code == 200
        clock.shift(datetime.timedelta(minutes=29))  # activity pushed the idle limit back
        assert client.get("/dashboard").status_code == 200
        clock.shift(datetime.timedelta(minutes=31))
        response = client.get("/dashboard")
    assert response.status_code == 302
    assert_deleted(response, app, SESSION)
    assert session_rows(app) == 0


def test_logged_in_pages_rewrite_the_store_only_after_a_tenth_of_the_idle_timeout(
    app, client, make_user, auth, monkeypatch
):
    store = app.session_interface.store
    writes = []
    upsert = store._upsert_session
    monkeypatch.setattr(store, "_upsert_session", lambda *a: writes.append(1) or upsert(*a))
    make_user()
    with time_machine.travel(MORNING, tick=False) as clock:
        auth.login()
        assert len(writes) == 1
        for _ in range(5):
            clock.shift(datetime.timedelta(seconds=30))
            assert client.get("/dashboard").status_code == 200
        assert len(writes) == 1  # 2 min 30 s < 3 min: read only
        clock.shift(datetime.timedelta(seconds=30))
        response = client.get("/dashboard")
    assert response.status_code == 200 and len(writes) == 2
    assert cookies_set(response) == {}  # a refresh changes nothing in the browser


def test_idle_timeout_never_exceeds_the_configured_one_after_the_last_request(
    app, client, make_user, auth
):
    make_user()
    with time_machine.travel(MORNING, tick=False) as clock:
        auth.login()
        clock.shift(datetime.timedelta(minutes=2))  # within the refresh window: no write
        assert client.get("/dashboard").status_code == 200
        clock.shift(datetime.timedelta(minutes=30, seconds=1))
        response = client.get("/dashboard")
    assert response.status_code == 302
    assert session_rows(app) == 0


def test_active_session_ends_at_the_absolute_lifetime(app, client, make_user, auth):
    make_user()
    with time_machine.travel(MORNING, tick=False) as clock:
        auth.login()
        for _ in range(35):  # a request every 20 minutes, up to 11 h 40 after login
            clock.shift(datetime.timedelta(minutes=20))
            assert client.get("/dashboard").status_code == 200
        clock.shift(datetime.timedelta(minutes=21))  # 12 h 01 after login
        response = client.get("/dashboard")
    assert response.status_code == 302
    assert_deleted(response, app, SESSION)
    assert session_rows(app) == 0


def test_login_form_left_open_for_hours_still_works(client, make_user):
    make_user()
    with time_machine.travel(MORNING, tick=False) as clock:
        token = csrf_token(client.get("/login"))
        clock.shift(datetime.timedelta(hours=3))  # Flask-WTF's default limit is one hour
        response = client.post(
            "/login",
            data={"csrf_token": token, "email": "ada@example.org", "password": PASSWORD},
        )
    assert response.status_code == 303


def test_cookies_set_over_a_whole_visit_are_exactly_the_registry(app, client, make_user, auth):
    make_user()
    responses = [client.get(p) for p in PUBLIC_PAGES_WITHOUT_FORM]
    responses += [
        client.get("/login"),
        auth.login(),
        client.get("/dashboard"),
        client.get("/account"),
    ]
    responses += [auth.logout(), client.get("/login")]
    seen: set[str] = set()
    for response in responses:
        seen |= set(assert_only_declared_cookies(response, app))
    assert seen == {c["name"] for c in declared_cookies(app)}


def test_relaxed_mode_drops_secure_and_the_host_prefix(tmp_path):
    from prospectra import create_app

    app = create_app(
        {"app": {"instance_path": str(tmp_path)}, "cookies": {"relaxed": True}}, testing=True
    )
    response = app.test_client().get("/login", base_url="http://devbox.test")
    cookie = cookies_set(response)["csrf"]
    assert "secure" not in cookie and cookie["httponly"] is True


def test_no_remember_me_cookie_even_when_a_client_sends_one(client, make_user, auth):
    # Flask-Login would answer a remember cookie at logout with a deletion of its own: a third,
    # undeclared cookie. Logging in never sets one, and logging out never mentions it.
    make_user()
    client.set_cookie("remember_token", "1|forged", secure=True)
    login = auth.login()
    logout = auth.logout()
    for response in (login, logout):
        assert "remember_token" not in cookies_set(response)
