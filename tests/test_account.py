"""The account page: sessions a user can see and end (ASVS 3.3.3, 3.3.4), and the changes that
ask for the current password again (ASVS 3.7.1). Run on SQLite and on Redis + PostgreSQL."""

from __future__ import annotations

import datetime
import hashlib
import re

import pytest
import time_machine
from sqlalchemy import select

from prospectra import session_index
from prospectra.accounts import find_user
from prospectra.extensions import db
from prospectra.models import LoginSession
from tests.helpers import PASSWORD
from tests.helpers import AuthActions
from tests.helpers import csrf_token
from tests.helpers import set_cookie_headers
from tests.helpers import stored_sessions

pytestmark = pytest.mark.both_backends

SESSION = "__Host-session"
DECLARED = {"__Host-session", "__Host-csrf"}
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)
NEW_PASSWORD = "a brand new passphrase"
MORNING = datetime.datetime(2026, 11, 29, 9, 0, tzinfo=datetime.UTC)


class Browser:
    """One logged-in browser: its own client, User-Agent and cookies; records every cookie set."""

    def __init__(self, app, user_agent: str = FIREFOX) -> None:
        self.client = app.test_client()
        self.client.environ_base["HTTP_REFERER"] = "https://localhost/"
        self.client.environ_base["HTTP_USER_AGENT"] = user_agent
        self.cookie_names: set[str] = set()

    def login(self, password: str = PASSWORD):
        return self._seen(AuthActions(self.client).login(password=password))

    def get(self, path: str):
        return self._seen(self.client.get(path))

    def post(self, path: str, prefix: str, **fields):
        token = csrf_token(self.client.get("/dashboard"))
        data = {f"{prefix}-csrf_token": token} | {f"{prefix}-{k}": v for k, v in fields.items()}
        return self._seen(self.client.post(path, data=data))

    def sid(self) -> str:
        return self.client.get_cookie(SESSION).value

    def logged_in(self) -> bool:
        return self.get("/dashboard").status_code == 200

    def _seen(self, response):
        self.cookie_names |= {h.split("=", 1)[0] for h in set_cookie_headers(response)}
        return response


def rows(app) -> list[LoginSession]:
    with app.app_context():
        return list(db.session.scalars(select(LoginSession).order_by(LoginSession.id)))


def row_id_of(app, browser: Browser) -> int:
    digest = hashlib.sha256(browser.sid().encode()).hexdigest()
    return next(row.id for row in rows(app) if row.sid_hash == digest)


@pytest.fixture
def two_browsers(app, make_user):
    make_user()
    laptop, phone = Browser(app, FIREFOX), Browser(app, CHROME)
    assert laptop.login().status_code == 303 and phone.login().status_code == 303
    yield laptop, phone
    assert laptop.cookie_names | phone.cookie_names <= DECLARED  # no new cookie, ever


def test_account_page_lists_every_session_with_its_device_and_marks_this_one(two_browsers):
    laptop, _phone = two_browsers
    page = laptop.get("/account").get_data(as_text=True)
    assert "Firefox on Linux <strong>(this session)</strong>" in page
    assert "Chrome on Windows" in page and "Chrome on Windows <strong>" not in page


def test_session_list_never_stores_the_session_id(app, two_browsers):
    laptop, phone = two_browsers
    stored = " ".join(f"{r.sid_hash} {r.sealed_sid}" for r in rows(app))
    assert len(rows(app)) == 2
    for sid in (laptop.sid(), phone.sid()):
        assert sid not in stored and sid.encode().hex() not in stored


def test_ending_another_session_makes_its_cookie_anonymous(app, two_browsers):
    laptop, phone = two_browsers
    phone_row = row_id_of(app, phone)
    response = laptop.post("/account/sessions/end", "end", which=phone_row, password=PASSWORD)
    assert response.status_code == 303
    assert not phone.logged_in()
    assert laptop.logged_in()
    assert [r.id for r in rows(app)] == [row_id_of(app, laptop)]
    assert stored_sessions(app) == 1


def test_ending_all_other_sessions_keeps_this_one(app, two_browsers):
    laptop, phone = two_browsers
    third = Browser(app, CHROME)
    third.login()
    assert (
        laptop.post("/account/sessions/end", "end", which="others", password=PASSWORD).status_code
        == 303
    )
    assert not phone.logged_in() and not third.logged_in()
    assert laptop.logged_in() and len(rows(app)) == 1


def test_ending_a_session_needs_the_current_password(app, two_browsers):
    laptop, phone = two_browsers
    response = laptop.post(
        "/account/sessions/end", "end", which="others", password="not my password"
    )
    assert response.status_code == 200
    assert "The password is not right." in response.get_data(as_text=True)
    assert phone.logged_in() and len(rows(app)) == 2


def test_a_user_cannot_end_a_session_of_someone_else(app, two_browsers, make_user):
    laptop, _phone = two_browsers
    make_user("bob@example.org")
    bob = Browser(app)
    AuthActions(bob.client).login(email="bob@example.org")
    response = laptop.post(
        "/account/sessions/end", "end", which=row_id_of(app, bob), password=PASSWORD
    )
    assert response.status_code == 200  # not a choice offered to this user
    assert bob.logged_in()


def test_password_change_ends_every_other_session(app, two_browsers):
    laptop, phone = two_browsers
    old_sid = laptop.sid()
    response = laptop.post(
        "/account/password", "password",
        password=PASSWORD, new_password=NEW_PASSWORD, confirm=NEW_PASSWORD,
    )  # fmt: skip
    assert response.status_code == 303
    assert not phone.logged_in()
    assert laptop.logged_in()
    assert laptop.sid() != old_sid  # this session continues under a fresh id
    assert [r.id for r in rows(app)] == [row_id_of(app, laptop)]
    assert Browser(app).login(password=NEW_PASSWORD).status_code == 303
    assert Browser(app).login(password=PASSWORD).status_code == 200


@pytest.mark.parametrize(
    ("current", "new", "confirm", "message"),
    [
        ("not my password", NEW_PASSWORD, NEW_PASSWORD, "The password is not right."),
        (PASSWORD, "too short", "too short", "between 12 and 256"),
        (PASSWORD, "x" * 257, "x" * 257, "between 12 and 256"),
        (PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "!", "The two passwords differ."),
    ],
)
def test_password_change_needs_the_current_password_and_a_valid_new_one(
    two_browsers, current, new, confirm, message
):
    laptop, phone = two_browsers
    response = laptop.post(
        "/account/password", "password", password=current, new_password=new, confirm=confirm
    )
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert phone.logged_in()


def test_email_change_needs_the_current_password(app, two_browsers):
    laptop, _phone = two_browsers
    wrong = laptop.post("/account/email", "email", email="ada@new.example", password="nope nope")
    assert wrong.status_code == 200
    right = laptop.post("/account/email", "email", email="Ada@New.example", password=PASSWORD)
    assert right.status_code == 303
    with app.app_context():
        assert find_user("ada@example.org") is None and find_user("ada@new.example") is not None


def test_email_change_refuses_an_address_already_used(two_browsers, make_user):
    laptop, _phone = two_browsers
    make_user("bob@example.org")
    response = laptop.post("/account/email", "email", email="bob@example.org", password=PASSWORD)
    assert response.status_code == 200
    assert "already exists" in response.get_data(as_text=True)


def test_account_deletion_removes_the_user_and_every_session_and_logs_out(app, two_browsers):
    laptop, phone = two_browsers
    assert laptop.post("/account/delete", "delete", password="wrong password").status_code == 200
    response = laptop.post("/account/delete", "delete", password=PASSWORD)
    assert response.status_code == 303 and response.headers["Location"] == "/logged-out"
    assert not laptop.logged_in() and not phone.logged_in()
    assert rows(app) == [] and stored_sessions(app) == 0
    with app.app_context():
        assert find_user("ada@example.org") is None


def test_logout_removes_the_session_from_the_list(app, two_browsers):
    laptop, _phone = two_browsers
    AuthActions(laptop.client).logout()
    assert len(rows(app)) == 1


def test_idle_expiry_removes_the_session_from_the_list(app, make_user):
    make_user()
    browser = Browser(app)
    with time_machine.travel(MORNING, tick=False) as clock:
        browser.login()
        clock.shift(datetime.timedelta(minutes=31))
        assert not browser.logged_in()
    assert rows(app) == []


def test_absolute_expiry_removes_the_session_from_the_list(app, make_user):
    make_user()
    browser = Browser(app)
    with time_machine.travel(MORNING, tick=False) as clock:
        browser.login()
        for _ in range(12 * 4 + 1):  # active all along, past the 12 h lifetime
            clock.shift(datetime.timedelta(minutes=15))
            browser.get("/dashboard")
        assert not browser.logged_in()
    assert rows(app) == []


@pytest.mark.parametrize(
    ("path", "prefix", "fields"),
    [
        ("/account/sessions/end", "end", {"which": "others", "password": PASSWORD}),
        ("/account/email", "email", {"email": "ada@new.example", "password": PASSWORD}),
        ("/account/password", "password", {"password": PASSWORD, "new_password": NEW_PASSWORD,
                                           "confirm": NEW_PASSWORD}),
        ("/account/delete", "delete", {"password": PASSWORD}),
    ],
)  # fmt: skip
def test_account_changes_are_refused_without_the_csrf_token(
    app, two_browsers, path, prefix, fields
):
    laptop, phone = two_browsers
    data = {f"{prefix}-{k}": v for k, v in fields.items()}
    response = laptop.client.post(path, data=data)
    assert response.status_code == 400
    assert laptop.logged_in() and phone.logged_in() and len(rows(app)) == 2


def test_last_seen_moves_only_when_the_session_record_is_rewritten(app, make_user):
    make_user()
    browser = Browser(app)
    with time_machine.travel(MORNING, tick=False) as clock:
        browser.login()
        clock.shift(datetime.timedelta(minutes=2))
        browser.get("/dashboard")
        assert rows(app)[0].last_seen_at.replace(tzinfo=None) == MORNING.replace(tzinfo=None)
        clock.shift(datetime.timedelta(minutes=2))  # past a tenth of the idle timeout
        browser.get("/dashboard")
    seen = rows(app)[0].last_seen_at.replace(tzinfo=None)
    assert seen == (MORNING + datetime.timedelta(minutes=4)).replace(tzinfo=None)


def test_purge_removes_entries_of_expired_sessions(app, runner, make_user):
    make_user()
    yesterday = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=1)
    with time_machine.travel(yesterday, tick=False):
        Browser(app).login()
    Browser(app).login()
    result = runner.invoke(args=["sessions", "purge"])
    assert result.exit_code == 0, result.output
    assert len(rows(app)) == 1


def test_listing_prunes_sessions_whose_store_record_is_gone(app, two_browsers):
    laptop, phone = two_browsers
    interface = app.session_interface
    with app.app_context():
        interface._delete_session(interface.key_prefix + phone.sid())
    page = laptop.get("/account").get_data(as_text=True)
    assert "Chrome on Windows" not in page and len(rows(app)) == 1


@pytest.mark.parametrize(
    ("user_agent", "device"),
    [
        (FIREFOX, "Firefox on Linux"),
        (CHROME, "Chrome on Windows"),
        (CHROME.replace("Safari/537.36", "Safari/537.36 Edg/131.0"), "Edge on Windows"),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Version/17.0 Mobile/15E148 "
            "Safari/604.1",
            "Safari on iOS",
        ),
        ("Mozilla/5.0 (Linux; Android 14) Chrome/131.0 Mobile Safari/537.36", "Chrome on Android"),
        ("curl/8.5.0", "Unknown device"),
        ("", "Unknown device"),
    ],
)
def test_device_description_is_coarse(user_agent, device):
    assert session_index.describe_device(user_agent) == device


def test_forms_on_the_account_page_have_distinct_ids(two_browsers):
    laptop, _phone = two_browsers
    ids = re.findall(r'\bid="([^"]+)"', laptop.get("/account").get_data(as_text=True))
    assert len(ids) == len(set(ids))
