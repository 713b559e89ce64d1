"""The consent banner in a real Chromium: refusal and acceptance, withdrawal, keyboard, axe-core."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe

from prospectra import create_app
from tests.browser.conftest import serve
from tests.browser.fake_third_party import FakeThirdParty

CONSENT = "__Host-consent"


@pytest.fixture(scope="module")
def third_party():
    with FakeThirdParty() as fake:
        yield fake


@pytest.fixture(scope="module")
def consent_server(tmp_path_factory, third_party):
    """The app with a consent-needing tag whose provider is the fake third party."""
    script = {
        "name": "Example Analytics",
        "src": third_party.origin + "/tag.js",
        "origins": [third_party.origin],
        "controller": "Example Analytics Ltd",
        "category": "audience_measurement",
        "policy_url": third_party.origin + "/privacy",
        "purpose": "Audience statistics by Example Analytics.",
        "cookies": [
            {"name": "_ex", "retention_days": 395, "purpose": "Example visitor identifier."}
        ],
    }
    settings = {
        "app": {"instance_path": str(tmp_path_factory.mktemp("instance"))},
        "analytics": {"providers": ["script"], "script": script},
    }
    with serve(create_app(settings, testing=True)) as url:
        yield url


def cookie_names(context) -> set[str]:
    return {c["name"] for c in context.cookies()}


def origins_contacted(requests: list[str]) -> set[str]:
    return {f"{urlsplit(u).scheme}://{urlsplit(u).netloc}" for u in requests}


def record_requests(context) -> list[str]:
    requests: list[str] = []
    context.on("request", lambda r: requests.append(r.url))
    return requests


def test_refuse_all_keeps_the_provider_out_for_good(consent_server, third_party, context):
    requests = record_requests(context)
    page = context.new_page()
    page.goto(consent_server + "/")
    accept = page.get_by_role("button", name="Accept all")
    refuse = page.get_by_role("button", name="Refuse all")
    viewport = page.viewport_size
    boxes = [accept.bounding_box(), refuse.bounding_box()]
    assert boxes[0]["width"] == boxes[1]["width"] and boxes[0]["height"] == boxes[1]["height"]
    for box in boxes:  # both visible without scrolling
        assert 0 <= box["y"] and box["y"] + box["height"] <= viewport["height"]
    for path in ("/legal/cookies", "/help/", "/"):  # browsing on is not consent
        page.goto(consent_server + path)
    assert third_party.origin not in origins_contacted(requests)
    assert cookie_names(context) == {"__Host-csrf"}

    with page.expect_navigation():
        page.get_by_role("button", name="Refuse all").click()
    assert page.locator(".consent-banner").count() == 0
    page.goto(consent_server + "/help/cookies")
    assert cookie_names(context) == {"__Host-csrf", CONSENT}
    assert third_party.origin not in origins_contacted(requests)


def test_accept_all_loads_the_tag_and_withdrawal_removes_its_cookie(
    consent_server, third_party, context
):
    requests = record_requests(context)
    page = context.new_page()
    page.goto(consent_server + "/")
    with page.expect_navigation():
        page.get_by_role("button", name="Accept all").click()
    page.wait_for_function("document.cookie.includes('_ex=')")  # deposited by the tag
    assert third_party.origin in origins_contacted(requests)
    assert "_ex" in cookie_names(context)
    consent = next(c for c in context.cookies() if c["name"] == CONSENT)
    assert consent["httpOnly"] and consent["secure"] and consent["sameSite"] == "Lax"

    page.get_by_role("link", name="Cookie settings").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Refuse all").click()
    assert "_ex" not in cookie_names(context)  # expired by the server's Set-Cookie
    before = len(requests)
    page.goto(consent_server + "/legal/cookies")
    page.wait_for_timeout(500)  # time for a tag, were one rendered, to call home
    assert third_party.origin not in origins_contacted(requests[before:])


def test_customise_asks_per_purpose_with_nothing_ticked(consent_server, third_party, context):
    requests = record_requests(context)
    page = context.new_page()
    page.goto(consent_server + "/")
    page.get_by_role("link", name="Customise").click()
    assert page.locator(".consent-banner").count() == 0  # not above its own form
    switch = page.get_by_role("checkbox", name="I consent to: audience measurement")
    assert not switch.is_checked()
    page.locator("summary", has_text="Example Analytics").click()  # the provider's detail
    assert page.get_by_role("link", name="its privacy policy").is_visible()
    switch.check()
    with page.expect_navigation():
        page.get_by_role("button", name="Save my choices").click()
    page.goto(consent_server + "/")
    page.wait_for_function("document.cookie.includes('_ex=')")  # the tag ran
    assert third_party.origin in origins_contacted(requests)


def test_banner_can_be_answered_with_the_keyboard_alone(consent_server, context):
    page = context.new_page()
    page.goto(consent_server + "/")
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Refuse all":
            break
    else:
        pytest.fail("Refuse all cannot be reached with Tab")
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert CONSENT in cookie_names(context)


@pytest.mark.parametrize("path", ["/", "/consent", "/legal/cookies", "/login"])
def test_banner_and_settings_pass_axe_core(consent_server, context, path):
    page = context.new_page()
    page.goto(consent_server + path)
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
