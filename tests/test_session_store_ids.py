"""The session store holds a keyed hash of each session id, never the id a browser presents.

Found by the security review (issue 13, item 7): a session id read from the SQLite file was replayed
as a cookie and logged the reviewer in. Now the record's key is the prefix plus an HMAC-SHA256 of
the id, on the SQL store and on Redis alike.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from prospectra.extensions import db
from tests.helpers import stored_sessions

pytestmark = pytest.mark.both_backends
HEX64 = re.compile(r"[0-9a-f]{64}")


def store_keys(app) -> list[str]:
    if app.config["SESSION_TYPE"] == "redis":
        prefix = app.config["SESSION_KEY_PREFIX"]
        return [k.decode() for k in app.config["SESSION_REDIS"].scan_iter(match=prefix + "*")]
    with app.app_context():
        return list(db.session.execute(text("SELECT session_id FROM sessions")).scalars())


def session_cookie(client, app) -> str:
    return client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value


def test_the_store_never_holds_the_session_id(app, client, make_user, auth):
    make_user()
    auth.login()
    sid = session_cookie(client, app)
    (key,) = store_keys(app)
    prefix = app.config["SESSION_KEY_PREFIX"]
    assert key.startswith(prefix) and HEX64.fullmatch(key.removeprefix(prefix))
    assert sid not in key
    assert key == app.session_interface.store.store_id(sid)
    assert client.get("/dashboard").status_code == 200  # the browser's cookie still works


def test_a_key_copied_from_the_store_is_no_session(app, client, make_user, auth):
    make_user()
    auth.login()
    (key,) = store_keys(app)
    thief = app.test_client()
    for value in (key, key.removeprefix(app.config["SESSION_KEY_PREFIX"])):
        thief.set_cookie(app.config["SESSION_COOKIE_NAME"], value, secure=True, httponly=True)
        assert thief.get("/dashboard").status_code == 302  # to the login page
    assert stored_sessions(app) == 1  # and the owner's record is untouched


def test_logout_deletes_the_hashed_record(app, client, make_user, auth):
    make_user()
    auth.login()
    assert stored_sessions(app) == 1
    auth.logout()
    assert stored_sessions(app) == 0


def test_the_hash_is_keyed_by_the_secret_key(app, app_factory, settings):
    settings["app"] = settings["app"] | {"secret_key": "another-" + "k" * 40}
    other = app_factory(settings)
    sid = "the-same-session-id"
    assert app.session_interface.store.store_id(sid) != other.session_interface.store.store_id(sid)
