"""The account snapshot in the session record: a logged-in page reads no user row, and a change of
the account made on one device shows on the other device's next page. Run on SQLite and on
Redis + PostgreSQL (prospectra/sessions/snapshot.py)."""

from __future__ import annotations

import datetime
from contextlib import contextmanager

import pytest
import time_machine
from sqlalchemy import event
from sqlalchemy import update

from prospectra.accounts import create_user
from prospectra.extensions import db
from prospectra.models import User
from tests.browsers import CHROME
from tests.browsers import FIREFOX
from tests.browsers import MORNING
from tests.browsers import NEW_PASSWORD
from tests.browsers import Browser
from tests.helpers import PASSWORD

pytestmark = pytest.mark.both_backends


@contextmanager
def user_queries(app):
    """The SQL statements that read or write the users table while the block runs."""
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args):
        if " users" in statement.lower():
            seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def set_account(app, **values) -> None:
    """Change Ada's row behind the app's back, as an operator's SQL would."""
    with app.app_context():
        db.session.execute(update(User).where(User.email == "ada@example.org").values(**values))
        db.session.commit()


def test_a_logged_in_page_reads_no_user_row(app, two_browsers):
    laptop, _phone = two_browsers
    laptop.get("/dashboard")
    with user_queries(app) as queries:
        html = laptop.get("/dashboard").get_data(as_text=True)
        laptop.get("/mail/")
    assert "ada@example.org" in html
    assert queries == []


def test_an_email_change_shows_on_the_other_devices_dashboard_and_account_page(two_browsers):
    laptop, phone = two_browsers
    laptop.get("/account")
    changed = phone.post("/account/email", "email", email="ada@lovelace.example", password=PASSWORD)
    assert changed.status_code == 303
    for browser in (laptop, phone):
        for path in ("/dashboard", "/account"):
            html = browser.get(path).get_data(as_text=True)
            assert "ada@lovelace.example" in html and "ada@example.org" not in html


def test_a_password_change_logs_the_other_device_out_and_keeps_this_one(two_browsers):
    laptop, phone = two_browsers
    laptop.get("/dashboard")
    changed = phone.post("/account/password", "password", password=PASSWORD,
                         new_password=NEW_PASSWORD, confirm=NEW_PASSWORD)  # fmt: skip
    assert changed.status_code == 303
    assert laptop.get("/dashboard").status_code == 302
    assert "ada@example.org" in phone.get("/dashboard").get_data(as_text=True)
    # The kept session checks the new password against the row, not against anything kept.
    wrong = phone.post("/account/email", "email", email="x@example.org", password=PASSWORD)
    assert "The password is not right." in wrong.get_data(as_text=True)


def test_a_deleted_account_is_logged_out_on_the_other_device(two_browsers):
    laptop, phone = two_browsers
    laptop.get("/dashboard")
    deleted = phone.post("/account/delete", "delete", password=PASSWORD)
    assert deleted.status_code == 303
    for browser in (laptop, phone):
        response = browser.get("/dashboard")
        assert response.status_code == 302 and response.location.startswith("/login")


def test_the_admin_flag_is_read_from_the_database_on_each_request(app_factory, settings):
    settings["analytics"] = {"providers": ["builtin"]}  # the statistics page, for admins only
    app = app_factory(settings)
    with app.app_context():
        create_user("ada@example.org", PASSWORD)
    laptop = Browser(app, FIREFOX)
    assert laptop.login().status_code == 303
    assert laptop.get("/admin/statistics").status_code == 403
    set_account(app, is_admin=True)
    assert laptop.get("/admin/statistics").status_code == 200
    set_account(app, is_admin=False)
    assert laptop.get("/admin/statistics").status_code == 403


def test_a_change_made_outside_the_app_shows_once_the_record_is_rewritten(app, make_user):
    make_user()
    browser = Browser(app, CHROME)
    with time_machine.travel(MORNING, tick=False) as clock:
        browser.login()
        set_account(app, email="ada@lovelace.example")  # no account change through the app
        assert "ada@example.org" in browser.get("/dashboard").get_data(as_text=True)
        # The snapshot is taken again with the throttled rewrite of the record: a tenth of the
        # 30-minute idle timeout.
        clock.shift(datetime.timedelta(minutes=3, seconds=1))
        browser.get("/dashboard")
        assert "ada@lovelace.example" in browser.get("/dashboard").get_data(as_text=True)
