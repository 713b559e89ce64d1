"""The account page in a real Chromium is axe-core clean. Ending another device's session from it
is tested on both back-ends in test_browser_sessions.py."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe

from tests.browser.test_browser_sessions import log_in


def test_account_page_passes_axe_core(live_server, context):
    page = log_in(context, live_server)
    page.goto(live_server + "/account")
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
