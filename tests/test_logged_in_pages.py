"""A logged-in page is made by the app for each request, from the session and the account as they
are at that moment: a page seen before is never shown again from a copy.

Each test views a page twice (what a kept copy would have needed) and then changes one thing the
page depends on; the next view shows the change. No copy is kept anywhere:
tests/test_response_cache.py inspects the caches themselves.
"""

from __future__ import annotations

import pytest
from sqlalchemy import update

from prospectra.extensions import db
from prospectra.models import User
from tests.helpers import PASSWORD
from tests.helpers import set_cookie_headers
from tests.helpers import stored_sessions
from tests.test_outages import SESSION
from tests.test_policy_versions import NOTICE

pytestmark = pytest.mark.both_backends


def viewed_twice(client, path: str = "/dashboard"):
    client.get(path)  # the logout form gives the browser its CSRF cookie
    return client.get(path)  # the same request, the same cookies: what a copy would answer


def test_an_unreadable_session_record_logs_the_visitor_out_instead_of_failing(
    app, client, auth, make_user, caplog
):
    make_user()
    auth.login()
    viewed_twice(client)
    sid = client.get_cookie(SESSION).value
    store = app.session_interface.store
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
    response = client.get("/dashboard")
    assert response.status_code == 302 and response.location.startswith("/login")
    assert any(h.startswith(f"{SESSION}=;") for h in set_cookie_headers(response))
    assert "session record unreadable" in caplog.text
    assert stored_sessions(app) == 0  # the unreadable record is gone too
    assert client.get("/login").status_code == 200


def test_a_session_ended_from_another_device_shows_the_login_form_at_once(two_browsers):
    laptop, phone = two_browsers
    viewed_twice(laptop.client)
    ended = phone.post("/account/sessions/end", "end", which="others", password=PASSWORD)
    assert ended.status_code == 303
    assert laptop.get("/dashboard").status_code == 302


def test_an_email_change_from_another_device_shows_at_once(two_browsers):
    laptop, phone = two_browsers
    assert "ada@example.org" in viewed_twice(laptop.client).get_data(as_text=True)
    changed = phone.post("/account/email", "email", email="ada@lovelace.example", password=PASSWORD)
    assert changed.status_code == 303
    html = laptop.get("/dashboard").get_data(as_text=True)
    assert "ada@lovelace.example" in html and "ada@example.org" not in html


def test_a_policy_notice_is_shown_exactly_once(app, client, auth, make_user):
    make_user()
    with app.app_context():  # the user has not been told of the current version yet
        db.session.execute(update(User).values(policy_version_seen=None))
        db.session.commit()
    auth.login()
    pages = [client.get("/dashboard").get_data(as_text=True) for _ in range(4)]
    assert [NOTICE in html for html in pages] == [True, False, False, False]


def test_the_privacy_notice_mentions_no_kept_copy_of_a_logged_in_page(client):
    english = " ".join(client.get("/legal/privacy").get_data(as_text=True).split())
    french = " ".join(client.get("/legal/privacy?lang=fr").get_data(as_text=True).split())
    assert "its record and its line in the list are then deleted." in english
    assert "A page you viewed while logged in" not in english and "memory, so that" not in english
    assert "sa ligne dans la liste sont alors supprimés." in french
    assert "Une page consultée en étant connecté" not in french
