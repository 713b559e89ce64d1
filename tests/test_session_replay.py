"""A logged-in page is replayed from memory only to the browser that asked for it, and only while
the app would answer the same: same request, same session record, same account, no write due.

The promise under test is the user's: whatever is replayed is exactly what the app would have
answered at that moment. Each test changes one thing the page depends on and checks the app
answered again, with the change.
"""

from __future__ import annotations

import datetime

import pytest
import time_machine
from sqlalchemy import update

from prospectra.extensions import db
from prospectra.models import User
from tests.helpers import PASSWORD
from tests.helpers import AuthActions
from tests.helpers import cookies_set
from tests.helpers import set_cookie_headers
from tests.helpers import stored_sessions
from tests.test_consent import make_app
from tests.test_consent import new_client
from tests.test_cookies import MORNING
from tests.test_outages import SESSION
from tests.test_policy_versions import NOTICE
from tests.test_response_cache import app_runs

pytestmark = pytest.mark.both_backends


def warmed(client, path: str = "/dashboard"):
    """Visit a page until the browser holds its CSRF cookie and the page was kept once."""
    client.get(path)  # the logout form gives the browser its CSRF cookie
    return client.get(path)  # made without any write: kept


def sent_cookie_header(response) -> str:
    return response.request.headers["Cookie"]


def test_an_unchanged_page_is_replayed_to_the_same_browser_with_the_same_bytes(
    app, client, auth, make_user
):
    make_user()
    auth.login()
    kept = warmed(client)
    with app_runs(app) as runs:
        replayed = [client.get("/dashboard") for _ in range(3)]
    assert runs[0] == 0
    for response in replayed:
        assert response.status_code == 200 and response.data == kept.data
        assert response.headers.to_wsgi_list() == kept.headers.to_wsgi_list()
        assert response.headers["Cache-Control"] == "no-store" and cookies_set(response) == {}


def test_another_browser_or_a_different_request_always_reaches_the_app(app, two_browsers):
    laptop, phone = two_browsers
    warmed(laptop.client)
    with app_runs(app) as runs:
        assert "ada@example.org" in phone.get("/dashboard").get_data(as_text=True)
        laptop.client.get("/dashboard", headers={"Accept-Language": "fr"})
        laptop.client.get("/dashboard", headers={"User-Agent": "another browser"})
        laptop.client.get("/dashboard?lang=fr")
    assert runs[0] == 4


def test_a_page_is_made_again_once_its_session_record_changed(app, client, auth, make_user):
    make_user()
    auth.login()
    warmed(client)
    # The same cookie from another browser: Flask-Login marks the session not fresh, a write.
    client.get("/dashboard", headers={"User-Agent": "another browser"})
    with app_runs(app) as runs:
        client.get("/dashboard")  # the record it was kept with is gone: made again
        client.get("/dashboard")  # and kept with the new one
    assert runs[0] == 1


def test_an_unreadable_session_record_logs_the_visitor_out_instead_of_failing(
    app, client, auth, make_user, caplog
):
    make_user()
    auth.login()
    warmed(client)
    sid = client.get_cookie(SESSION).value
    store = app.session_interface.inner
    garbage = b"\xc1 not a session"  # undecodable by msgpack, JSON and pickle
    if app.config["SESSION_TYPE"] == "redis":
        store.client.set(store._get_store_id(sid), garbage)
    else:
        with app.app_context():
            table = store.sql_session_model.__table__
            db.session.execute(
                update(table)
                .where(table.c.session_id == store._get_store_id(sid))
                .values(data=garbage)
            )
            db.session.commit()
    response = client.get("/dashboard")  # the kept page's check fails first, then the app's read
    assert response.status_code == 302 and response.location.startswith("/login")
    assert any(h.startswith(f"{SESSION}=;") for h in set_cookie_headers(response))
    assert "replay check failed" in caplog.text and "session record unreadable" in caplog.text
    assert stored_sessions(app) == 0  # the unreadable record is gone too
    assert client.get("/login").status_code == 200


def test_after_logout_the_same_request_gets_the_login_page_not_the_kept_one(
    app, client, auth, make_user
):
    make_user()
    auth.login()
    cookie_header = sent_cookie_header(warmed(client))
    auth.logout()
    # A copy of the old cookies, sent exactly as before (a stolen cookie, a back button).
    old = app.test_client(use_cookies=False)
    old.environ_base.update(client.environ_base)
    response = old.get("/dashboard", headers={"Cookie": cookie_header})
    assert response.status_code == 302 and response.location.startswith("/login")


def test_a_session_ended_from_another_device_is_not_replayed(two_browsers):
    laptop, phone = two_browsers
    warmed(laptop.client)
    ended = phone.post("/account/sessions/end", "end", which="others", password=PASSWORD)
    assert ended.status_code == 303
    assert laptop.get("/dashboard").status_code == 302


def test_an_email_change_from_another_device_shows_at_once(two_browsers):
    laptop, phone = two_browsers
    assert "ada@example.org" in warmed(laptop.client).get_data(as_text=True)
    changed = phone.post("/account/email", "email", email="ada@lovelace.example", password=PASSWORD)
    assert changed.status_code == 303
    html = laptop.get("/dashboard").get_data(as_text=True)
    assert "ada@lovelace.example" in html and "ada@example.org" not in html


def test_a_policy_notice_is_still_shown_exactly_once(app, client, auth, make_user):
    make_user()
    auth.login()
    warmed(client)
    with app.app_context():  # the user has not been told of the current version yet
        db.session.execute(update(User).values(policy_version_seen=None))
        db.session.commit()
    pages = [client.get("/dashboard").get_data(as_text=True) for _ in range(4)]
    assert [NOTICE in html for html in pages] == [True, False, False, False]


def test_replays_stop_when_the_record_is_due_for_its_refresh_and_the_idle_timeout_holds(
    app, client, auth, make_user
):
    make_user()
    with time_machine.travel(MORNING, tick=False) as clock:
        auth.login()
        warmed(client)
        clock.shift(datetime.timedelta(minutes=2))  # within a tenth of the 30 min idle timeout
        with app_runs(app) as runs:
            assert client.get("/dashboard").status_code == 200
        assert runs[0] == 0
        clock.shift(datetime.timedelta(minutes=2))  # past it: the app rewrites the record
        with app_runs(app) as runs:
            assert client.get("/dashboard").status_code == 200
        assert runs[0] == 1
        clock.shift(datetime.timedelta(minutes=31))  # idle since that write: logged out
        response = client.get("/dashboard")
    assert response.status_code == 302 and response.location.startswith("/login")


def test_public_pages_of_a_logged_in_user_are_replayed_with_the_logged_in_menu(
    app, client, auth, make_user
):
    make_user()
    auth.login()
    kept = warmed(client, "/help/")
    with app_runs(app) as runs:
        again = client.get("/help/")
    assert runs[0] == 0 and again.data == kept.data
    assert 'action="/logout"' in again.get_data(as_text=True)


@pytest.mark.parametrize("name", ["builtin", "matomo-exempt"])
def test_with_audience_measurement_every_logged_in_view_reaches_the_app(
    tmp_path, name, make_user_in
):
    app = make_app(tmp_path, name)
    make_user_in(app)
    client = new_client(app)
    assert AuthActions(client).login().status_code == 303
    warmed(client)
    with app_runs(app) as runs:
        for _ in range(3):
            client.get("/dashboard")
    assert runs[0] == 3


def test_the_privacy_notice_says_a_viewed_page_is_shown_again_only_within_three_minutes(client):
    # Backed by test_replays_stop_when_the_record_is_due_for_its_refresh_... (30 min idle / 10).
    english = " ".join(client.get("/legal/privacy").get_data(as_text=True).split())
    french = " ".join(client.get("/legal/privacy?lang=fr").get_data(as_text=True).split())
    assert (
        "A page you viewed while logged in may also be kept in the server's memory, so that the "
        "same browser gets it faster within the next 3 minutes; it is never shown once your "
        "session has ended." in english
    )
    assert "plus vite dans les 3 minutes qui suivent ; elle n'est plus jamais affichée" in french


def test_with_audience_measurement_the_privacy_notice_mentions_no_kept_page(tmp_path):
    html = new_client(make_app(tmp_path, "builtin")).get("/legal/privacy").get_data(as_text=True)
    assert "Your session" in html and "server's memory, so that the same browser" not in html
