"""The account page in a real Chromium: another device's session ended from it; axe-core clean."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe

from tests.helpers import PASSWORD

DECLARED = {"__Host-csrf", "__Host-session"}


def log_in(context, live_server):
    page = context.new_page()
    page.goto(live_server + "/login")
    page.get_by_label("E-mail address").fill("ada@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(live_server + "/dashboard")
    return page


def test_a_session_ended_from_another_browser_is_logged_out(live_server, browser, context):
    other = browser.new_context()
    try:
        log_in(other, live_server)
        page = log_in(context, live_server)
        page.goto(live_server + "/account")
        assert page.get_by_text("(this session)").count() == 1
        page.get_by_label("All other sessions").check()
        page.locator("#end-password").fill(PASSWORD)
        page.get_by_role("button", name="End the session").click()
        page.wait_for_url(live_server + "/account")
        other_page = other.new_page()
        other_page.goto(live_server + "/dashboard")
        assert other_page.url.startswith(live_server + "/login")
        assert {c["name"] for c in context.cookies() + other.cookies()} <= DECLARED
    finally:
        other.close()


def test_account_page_passes_axe_core(live_server, context):
    page = log_in(context, live_server)
    page.goto(live_server + "/account")
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
