"""Two devices of one user in a real Chromium, on SQLite and on Redis + PostgreSQL: logout, ending a
session from another device, a password change and account deletion end exactly the sessions they
should, and leave no cookie but the two declared ones."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.browser.conftest import serve
from tests.helpers import PASSWORD

pytestmark = pytest.mark.both_backends

DECLARED = {"__Host-csrf", "__Host-session"}
NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def site(app_factory, settings, make_user_in) -> Iterator[str]:
    app = app_factory(settings)
    make_user_in(app)
    with serve(app) as url:
        yield url


@pytest.fixture
def devices(browser) -> Iterator[tuple]:
    laptop, phone = browser.new_context(), browser.new_context()
    yield laptop, phone
    laptop.close()
    phone.close()


def submit_login(context, site: str, password: str = PASSWORD):
    """Fill and send the login form in a new page of ``context``; return the page."""
    page = context.new_page()
    page.goto(site + "/login")
    page.get_by_label("E-mail address").fill("ada@example.org")
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()
    return page


def log_in(context, site: str, password: str = PASSWORD):
    page = submit_login(context, site, password)
    page.wait_for_url(site + "/dashboard")
    return page


def logged_in(context, site: str) -> bool:
    page = context.new_page()
    page.goto(site + "/dashboard")
    url = page.url
    page.close()
    return url == site + "/dashboard"


def session_cookie(context) -> str | None:
    return next((c["value"] for c in context.cookies() if c["name"] == "__Host-session"), None)


def only_declared(*contexts) -> bool:
    return {c["name"] for context in contexts for c in context.cookies()} <= DECLARED


def test_logout_ends_this_device_only(site, devices):
    laptop, phone = devices
    page = log_in(laptop, site)
    log_in(phone, site)
    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state()
    assert session_cookie(laptop) is None  # the browser deleted it
    assert not logged_in(laptop, site)
    assert logged_in(phone, site)
    assert only_declared(laptop, phone)


def test_ending_the_other_sessions_logs_the_other_device_out(site, devices):
    laptop, phone = devices
    log_in(phone, site)
    page = log_in(laptop, site)
    page.goto(site + "/account")
    assert page.get_by_text("(this session)").count() == 1
    page.get_by_label("All other sessions").check()
    page.locator("#end-password").fill(PASSWORD)
    page.get_by_role("button", name="End the session").click()
    page.wait_for_url(site + "/account")
    other_page = phone.new_page()
    other_page.goto(site + "/dashboard")
    assert other_page.url.startswith(site + "/login")
    assert logged_in(laptop, site)
    assert only_declared(laptop, phone)


def test_a_password_change_renews_this_session_and_ends_the_others(site, devices, browser):
    laptop, phone = devices
    log_in(phone, site)
    page = log_in(laptop, site)
    before = session_cookie(laptop)
    page.goto(site + "/account")
    page.locator("#password-password").fill(PASSWORD)
    page.locator("#password-new_password").fill(NEW_PASSWORD)
    page.locator("#password-confirm").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change the password").click()
    page.wait_for_url(site + "/account")
    after = session_cookie(laptop)
    assert after and after != before  # a fresh id: a copied cookie is worth nothing
    assert logged_in(laptop, site)
    assert not logged_in(phone, site)
    # The old cookie, replayed by whoever copied it, is a visitor's; the new one (the control: the
    # copy reaches the app) is logged in.
    for value, expected in ((before, False), (after, True)):
        copy = browser.new_context()
        try:
            # Host-only and Secure, as the app sets it (Chromium trusts 127.0.0.1 as secure).
            cookie = {"name": "__Host-session", "value": value, "url": "https://127.0.0.1/"}
            copy.add_cookies([cookie | {"secure": True, "httpOnly": True}])
            assert logged_in(copy, site) is expected
        finally:
            copy.close()
    log_in(phone, site, NEW_PASSWORD)
    assert only_declared(laptop, phone)


def test_deleting_the_account_logs_every_device_out(site, devices):
    laptop, phone = devices
    log_in(phone, site)
    page = log_in(laptop, site)
    page.goto(site + "/account")
    page.locator("#delete-password").fill(PASSWORD)
    page.get_by_role("button", name="Delete my account").click()
    page.wait_for_url(site + "/logged-out")
    assert not logged_in(laptop, site)
    assert not logged_in(phone, site)
    assert session_cookie(laptop) is None
    login = submit_login(phone, site)
    login.wait_for_load_state()
    assert login.url.startswith(site + "/login")  # the account is gone
    assert only_declared(laptop, phone)
