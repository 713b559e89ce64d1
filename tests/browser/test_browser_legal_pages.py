"""The privacy notice and the terms of use in a real Chromium: axe-core clean, tables reachable by keyboard."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe

from prospectra import create_app
from tests.browser.conftest import serve
from tests.test_privacy_notice import SETUPS


@pytest.fixture(scope="module")
def legal_server(tmp_path_factory) -> Iterator[str]:
    """The app with every processing table: a consented tag and the assistant on."""
    instance = tmp_path_factory.mktemp("instance")
    app = create_app(
        {"app": {"instance_path": str(instance)}, **SETUPS["tag-and-assistant"]}, testing=True
    )
    with serve(app) as url:
        yield url


@pytest.mark.parametrize(
    "path",
    ["/legal/privacy", "/legal/privacy?lang=fr", "/legal/terms", "/legal/terms?lang=fr"],
)
def test_privacy_notice_and_terms_pass_axe_core(legal_server, context, path):
    page = context.new_page()
    page.goto(legal_server + path)
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def test_each_processing_table_is_a_labelled_region_reached_by_keyboard(legal_server, context):
    page = context.new_page()
    page.goto(legal_server + "/legal/privacy")
    regions = page.get_by_role("region")
    names = [regions.nth(i).get_attribute("aria-labelledby") for i in range(regions.count())]
    assert [name for name in names if name.startswith("processing-")] == [
        "processing-account",
        "processing-sessions",
        "processing-throttle",
        "processing-logs",
        "processing-mail",
        "processing-assist",
        "processing-consent",
        "processing-script",
    ]
    assert page.get_by_role("region", name="Security: server access logs").is_visible()
    focused = []
    for _ in range(60):
        page.keyboard.press("Tab")
        focused.append(page.evaluate("document.activeElement.getAttribute('aria-labelledby')"))
    # A table wider than a phone scrolls inside its region, which the keyboard reaches.
    assert "processing-logs" in focused
