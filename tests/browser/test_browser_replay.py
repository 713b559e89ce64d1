"""A real Chromium browsing logged-in pages: a page kept for replay is shown again only while its
session lives, and never after logout, even through the back button."""

from __future__ import annotations

import pytest
from flask import request
from flask import request_started

from prospectra import create_app
from prospectra.accounts import create_user
from tests.browser.conftest import serve
from tests.browser.test_browser_account import log_in
from tests.helpers import PASSWORD


def dashboards_made(app) -> list[str]:
    """The /dashboard requests that reached the Flask app (the others were replayed)."""
    made: list[str] = []
    request_started.connect(
        lambda sender, **extra: made.append(request.path) if request.path == "/dashboard" else None,
        app,
        weak=False,
    )
    return made


@pytest.fixture
def served(tmp_path):
    app = create_app({"app": {"instance_path": str(tmp_path)}}, testing=True)
    with app.app_context():
        create_user("ada@example.org", PASSWORD)
    with serve(app) as url:
        yield app, url


def test_a_page_seen_again_is_replayed_until_logout_and_never_after(served, context):
    app, url = served
    page = log_in(context, url)  # lands on /dashboard
    page.goto(url + "/help/")
    made = dashboards_made(app)
    for _ in range(3):  # the same navigation, the same request headers
        page.goto(url + "/dashboard")
        assert page.get_by_text("Welcome, ada@example.org.").count() == 1
    assert len(made) == 1  # made once, then replayed to Chromium's identical requests
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(url + "/logged-out")
    page.go_back()  # the dashboard is no-store: the browser asks again, without a session
    assert page.url.startswith(url + "/login")
    page.goto(url + "/dashboard")
    assert page.url.startswith(url + "/login")


def test_a_session_ended_elsewhere_stops_the_replays_at_once(served, browser, context):
    app, url = served
    other = browser.new_context()
    try:
        kept = log_in(other, url)
        kept.goto(url + "/dashboard")
        kept.goto(url + "/dashboard")  # kept for replay
        page = log_in(context, url)
        page.goto(url + "/account")
        page.get_by_label("All other sessions").check()
        page.locator("#end-password").fill(PASSWORD)
        page.get_by_role("button", name="End the session").click()
        page.wait_for_url(url + "/account")
        kept.goto(url + "/dashboard")
        assert kept.url.startswith(url + "/login")
    finally:
        other.close()
