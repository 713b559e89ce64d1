"""Session ids and lifetimes around login and the account's changes (issue 13, item 8).

A login always starts under a new session id, even when the browser still holds a record the
store kept; and a session ends at the latest ``absolute_lifetime_hours`` after login, whatever the
user changes meanwhile (the account page says so). Run on SQLite and on Redis + PostgreSQL.
"""

from __future__ import annotations

import datetime

import pytest
import time_machine

from tests.browsers import MORNING
from tests.browsers import NEW_PASSWORD
from tests.browsers import SESSION
from tests.browsers import Browser
from tests.browsers import rows
from tests.helpers import PASSWORD
from tests.helpers import csrf_token

pytestmark = pytest.mark.both_backends

LIFETIME = datetime.timedelta(hours=12)  # [session] absolute_lifetime_hours
STEP = datetime.timedelta(minutes=20)  # activity well within the 30-minute idle timeout


def active_until(browser: Browser, clock, until: datetime.datetime) -> None:
    """Use the session every 20 minutes (the idle timeout never strikes) up to ``until``."""
    while datetime.datetime.now(datetime.UTC) + STEP <= until:
        clock.shift(STEP)
        assert browser.get("/dashboard").status_code == 200


def test_a_login_over_a_record_past_its_lifetime_gets_a_new_id(app, make_user):
    make_user()
    browser = Browser(app)
    with time_machine.travel(MORNING, tick=False) as clock:
        browser.login()
        old_sid = browser.sid()
        active_until(browser, clock, MORNING + LIFETIME)
        token = csrf_token(browser.get("/dashboard"))  # the form of a tab left open
        clock.move_to(MORNING + LIFETIME + datetime.timedelta(minutes=1))
        # The record is still in the store (last used 21 minutes ago) but past its lifetime.
        response = browser.client.post(
            "/login", data={"csrf_token": token, "email": "ada@example.org", "password": PASSWORD}
        )
        assert response.status_code == 303
        assert browser.sid() != old_sid
        assert browser.logged_in()
        browser.client.set_cookie(SESSION, old_sid, secure=True, httponly=True)
        assert not browser.logged_in()  # the old id is worth nothing
    assert len(rows(app)) == 1


def ends_at(browser: Browser) -> str:
    page = browser.get("/account").get_data(as_text=True)
    return page.split("at the latest on")[1].split('datetime="')[1].split('"')[0]


CHANGES = {
    "password": ("/account/password", "password",
                 {"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}),
    "email": ("/account/email", "email", {"email": "ada@new.example"}),
    "end-others": ("/account/sessions/end", "end", {"which": "others"}),
}  # fmt: skip


@pytest.mark.parametrize("change", CHANGES)
def test_changing_the_account_does_not_push_back_the_end_of_the_session(app, make_user, change):
    path, prefix, fields = CHANGES[change]
    make_user()
    browser = Browser(app)
    with time_machine.travel(MORNING, tick=False) as clock:
        browser.login()
        promised = ends_at(browser)
        assert promised == (MORNING + LIFETIME).isoformat()
        active_until(browser, clock, MORNING + datetime.timedelta(hours=11))
        assert browser.post(path, prefix, password=PASSWORD, **fields).status_code == 303
        assert ends_at(browser) == promised  # "at the latest ... after login", as before
        active_until(browser, clock, MORNING + LIFETIME)
        assert browser.logged_in()
        clock.move_to(MORNING + LIFETIME + datetime.timedelta(seconds=1))
        assert not browser.logged_in()
