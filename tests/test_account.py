"""The account page: sessions a user can see and end (ASVS 3.3.3, 3.3.4), and the changes that
ask for the current password again (ASVS 3.7.1). Run on SQLite and on Redis + PostgreSQL."""

from __future__ import annotations

import re

import pytest

from prospectra.accounts import find_user
from tests.browsers import CHROME
from tests.browsers import NEW_PASSWORD
from tests.browsers import Browser
from tests.browsers import row_id_of
from tests.browsers import rows
from tests.helpers import PASSWORD
from tests.helpers import AuthActions
from tests.helpers import stored_sessions

pytestmark = pytest.mark.both_backends


def test_account_page_lists_every_session_with_its_device_and_marks_this_one(two_browsers):
    laptop, _phone = two_browsers
    page = laptop.get("/account").get_data(as_text=True)
    assert "Firefox on Linux <strong>(this session)</strong>" in page
    assert "Chrome on Windows" in page and "Chrome on Windows <strong>" not in page


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


def test_account_deletion_removes_the_user_and_every_session_and_logs_out(app, two_browsers):
    laptop, phone = two_browsers
    assert laptop.post("/account/delete", "delete", password="wrong password").status_code == 200
    response = laptop.post("/account/delete", "delete", password=PASSWORD)
    assert response.status_code == 303 and response.headers["Location"] == "/logged-out"
    assert not laptop.logged_in() and not phone.logged_in()
    assert rows(app) == [] and stored_sessions(app) == 0
    with app.app_context():
        assert find_user("ada@example.org") is None


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


def test_forms_on_the_account_page_have_distinct_ids(two_browsers):
    laptop, _phone = two_browsers
    ids = re.findall(r'\bid="([^"]+)"', laptop.get("/account").get_data(as_text=True))
    assert len(ids) == len(set(ids))
