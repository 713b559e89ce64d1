"""The user -> sessions index behind the account page's list: what it stores, when entries go,
how devices are described. Run on SQLite and on Redis + PostgreSQL."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from prospectra.sessions import index as session_index
from tests.browsers import CHROME
from tests.browsers import FIREFOX
from tests.browsers import MORNING
from tests.browsers import Browser
from tests.browsers import rows
from tests.helpers import PASSWORD
from tests.helpers import AuthActions

pytestmark = pytest.mark.both_backends


def test_session_list_never_stores_the_session_id(app, two_browsers):
    laptop, phone = two_browsers
    stored = " ".join(f"{r.sid_hash} {r.sealed_sid}" for r in rows(app))
    assert len(rows(app)) == 2
    for sid in (laptop.sid(), phone.sid()):
        assert sid not in stored and sid.encode().hex() not in stored


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
    with app.app_context():
        app.session_interface.store.delete(phone.sid())
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


def test_the_session_list_seals_each_id_with_fernet_under_a_key_of_its_own(app, two_browsers):
    # The sealed id opens only with the Fernet key derived for this purpose from the secret key:
    # neither the secret key itself nor the mail passwords' key opens it.
    from cryptography.fernet import Fernet
    from cryptography.fernet import InvalidToken

    from prospectra import sealing
    from prospectra.mail import crypto

    laptop, phone = two_browsers
    sealed = {row.sealed_sid for row in rows(app)}
    own = Fernet(sealing.derived_key(app.secret_key, b"prospectra: session index"))
    assert {own.decrypt(token.encode()).decode() for token in sealed} == {laptop.sid(), phone.sid()}
    for other in (crypto.derived_key(app.secret_key), sealing.derived_key("x" * 40, b"other")):
        with pytest.raises(InvalidToken):
            Fernet(other).decrypt(next(iter(sealed)).encode())


def test_a_secret_key_change_with_the_old_key_kept_logs_nobody_out(
    app_factory, settings, make_user_in
):
    # [app] previous_secret_keys: sessions opened under the old key stay logged in (their records
    # move to the new key on their next request), listed, and can be ended from another device.
    old, new = "old-" + "o" * 40, "new-" + "n" * 40
    settings["app"]["secret_key"] = old
    before = app_factory(settings)
    make_user_in(before)
    laptop, phone = Browser(before, FIREFOX), Browser(before, CHROME)
    laptop.login()
    phone.login()
    settings["app"] |= {"secret_key": new, "previous_secret_keys": [old]}
    after = app_factory(settings)
    laptop.client, phone.client = _same_cookies(after, laptop), _same_cookies(after, phone)
    assert laptop.get("/dashboard").status_code == 200  # still logged in, record moved
    with after.app_context():
        assert after.session_interface.store.live([laptop.sid(), phone.sid()]) == {
            laptop.sid(),
            phone.sid(),
        }
    page = laptop.get("/account").get_data(as_text=True)
    assert "Chrome on Windows" in page  # the phone, not yet seen since the change, is listed
    laptop.post("/account/sessions/end", "end", which="others", password=PASSWORD)
    assert phone.get("/dashboard").status_code == 302  # ended: its old-key record is gone too
    assert len(rows(after)) == 1


def test_without_the_old_key_a_secret_key_change_logs_everyone_out(
    app_factory, settings, make_user_in
):
    settings["app"]["secret_key"] = "old-" + "o" * 40
    before = app_factory(settings)
    make_user_in(before)
    laptop = Browser(before, FIREFOX)
    laptop.login()
    settings["app"]["secret_key"] = "new-" + "n" * 40
    after = app_factory(settings)
    laptop.client = _same_cookies(after, laptop)
    assert laptop.get("/dashboard").status_code == 302


def _same_cookies(app, browser: Browser):
    """A client of ``app`` holding ``browser``'s cookies: the same browser after a restart."""
    client = app.test_client()
    client.environ_base.update(browser.client.environ_base)
    for cookie in browser.client._cookies.values():
        client.set_cookie(
            cookie.key, cookie.value, domain=cookie.domain, path=cookie.path,
            secure=cookie.secure, httponly=cookie.http_only,
        )  # fmt: skip
    return client
