"""After "Accept all", a real Chromium fetches the tag only on the pages it may run on.

The network log and the cookie jar prove it: nothing of the tag on the login page, the /legal/
and /help/ pages (the policy's section 4), the Cookie settings page, or any page seen logged in.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from prospectra import create_app
from prospectra.accounts import create_user
from tests import helpers
from tests.browser.conftest import serve
from tests.browser.fake_third_party import FakeThirdParty
from tests.helpers import PASSWORD
from tests.measurement import SCRIPT

ANONYMOUS_NEVER = (*helpers.pages(helpers.FORM, helpers.VISITOR), *helpers.section_4_pages(),
                   "/no-such-page")  # fmt: skip
LOGGED_IN = (*helpers.public_pages(), *helpers.pages(helpers.LOGGED_IN))  # seen logged in


@pytest.fixture(scope="module")
def third_party():
    with FakeThirdParty() as fake:
        yield fake


def serve_with_tag(tmp_path_factory, third_party, pages):
    script = dict(SCRIPT, src=third_party.origin + "/tag.js", origins=[third_party.origin],
                  pages=pages, cookies=[dict(SCRIPT["cookies"][0], path="/")])  # fmt: skip
    settings = {
        "app": {"instance_path": str(tmp_path_factory.mktemp("instance"))},
        "analytics": {"providers": ["script"], "script": script},
    }
    app = create_app(settings, testing=True)
    with app.app_context():
        create_user("ada@example.org", PASSWORD)
    return serve(app)


@pytest.fixture(scope="module")
def default_pages(tmp_path_factory, third_party):
    with serve_with_tag(tmp_path_factory, third_party, []) as url:
        yield url


@pytest.fixture(scope="module")
def help_pages(tmp_path_factory, third_party):
    with serve_with_tag(tmp_path_factory, third_party, ["/help/*"]) as url:
        yield url


def accept_all(page, base: str) -> None:
    """Accept from Cookie settings, coming back to the login page (where no tag may run)."""
    page.goto(base + "/consent?next=/login")
    with page.expect_navigation():
        page.locator("#main").get_by_role("button", name="Accept all").click()
    assert urlsplit(page.url).path == "/login"


def visit(page, url: str, requests: list[str], origin: str) -> bool:
    """Open ``url``; tell whether the page made the browser contact the tag's origin."""
    before = len(requests)
    page.goto(url)
    page.wait_for_load_state("networkidle")
    return any(r.startswith(origin) for r in requests[before:])


def test_accepted_tag_loads_only_on_the_home_page_by_default(default_pages, third_party, context):
    requests: list[str] = []
    context.on("request", lambda r: requests.append(r.url))
    page = context.new_page()
    accept_all(page, default_pages)
    for path in ANONYMOUS_NEVER:
        assert not visit(page, default_pages + path, requests, third_party.origin), path
    assert "_ex" not in {c["name"] for c in context.cookies()}

    assert visit(page, default_pages + "/", requests, third_party.origin)
    page.wait_for_function("document.cookie.includes('_ex=')")

    page.goto(default_pages + "/login")
    page.get_by_label("E-mail address").fill("ada@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()
    for path in LOGGED_IN:
        assert not visit(page, default_pages + path, requests, third_party.origin), path


def test_pages_setting_moves_the_tag_to_the_help_pages(help_pages, third_party, context):
    requests: list[str] = []
    context.on("request", lambda r: requests.append(r.url))
    page = context.new_page()
    accept_all(page, help_pages)
    for path in ("/", "/legal/cookies", "/login"):
        assert not visit(page, help_pages + path, requests, third_party.origin), path
    assert visit(page, help_pages + "/help/", requests, third_party.origin)
    assert visit(page, help_pages + "/help/cookies", requests, third_party.origin)
