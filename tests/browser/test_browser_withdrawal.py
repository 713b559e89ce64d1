"""Withdrawal in a real Chromium: a GA-like tag's domain- and path-scoped cookies all go.

Hosts, as measured with Debian's Chromium: on 127.0.0.1 a cookie set with Domain=127.0.0.1 is
stored host-only, so a domain scope cannot be told apart there; names under .localhost resolve to
loopback inside Chromium and are secure contexts (Secure cookies are kept over http). From
app.localhost, Domain=localhost is refused (and the settings refuse it too: a parent domain needs a
dot); from www.app.localhost, Domain=app.localhost is kept as a domain cookie (.app.localhost),
which a host-only deletion leaves in place. So the app is reached as www.app.localhost, its
service.domain, and the tag's `_ga` is scoped to the parent app.localhost.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest

from prospectra import create_app
from tests.browser.conftest import serve
from tests.browser.fake_third_party import FakeThirdParty

HOST = "www.app.localhost"
PARENT = "app.localhost"
TIMEOUT_MS = 10_000  # any one step; the whole test takes a few seconds


@pytest.fixture(scope="module")
def third_party():
    with FakeThirdParty() as fake:
        yield fake


def ga_like(origin: str, *, domain: str = PARENT, path: str = "/legal") -> dict:
    """A consent-needing tag declared with the scopes its cookies really have."""
    return {
        "name": "Example Analytics",
        "controller": "Example Analytics Ltd",
        "category": "audience_measurement",
        "purpose": "Audience statistics by Example Analytics.",
        "policy_url": "https://example.net/privacy",
        "src": f"{origin}/ga.js?domain={domain}&path={path}",
        "origins": [origin],
        "cookies": [
            {"name": "_ga", "retention_days": 395, "purpose": "Visitor id.", "domain": PARENT},
            {"name": "_ga_*", "retention_days": 395, "purpose": "Session.", "path": "/legal"},
        ],
    }


@pytest.fixture(scope="module")
def site(tmp_path_factory, third_party):
    settings = {
        "app": {"instance_path": str(tmp_path_factory.mktemp("instance"))},
        "service": {"domain": HOST},
        "analytics": {"providers": ["script"], "script": ga_like(third_party.origin)},
    }
    with serve(create_app(settings, testing=True)) as url:  # on 127.0.0.1
        yield url.replace("127.0.0.1", HOST)


@pytest.fixture
def page(context):
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    return context.new_page()


def provider_cookies(context) -> set[tuple[str, str, str]]:
    return {
        (c["name"], c["domain"], c["path"])
        for c in context.cookies()
        if c["name"] == "_ga" or c["name"].startswith("_ga_")
    }


def wait_for_cookies(context, count: int) -> set[tuple[str, str, str]]:
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while len(found := provider_cookies(context)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


def test_refuse_all_from_the_footer_leaves_nothing_of_the_tag_in_any_scope(
    site, third_party, context, page
):
    contacted: list[str] = []
    context.on("request", lambda r: contacted.append(r.url))
    page.goto(site + "/")
    with page.expect_navigation():
        page.get_by_role("button", name="Accept all").click()
    assert wait_for_cookies(context, 2) == {
        ("_ga", "." + PARENT, "/"),  # a domain cookie: a host-only deletion would miss it
        ("_ga_X", HOST, "/legal"),  # never sent to /consent
    }

    with page.expect_navigation():
        page.get_by_role("link", name="Cookie settings").click()
    with page.expect_navigation():
        page.locator("form button[name=action][value=refuse_all]").click()
    withdrawn = len(contacted)
    # The choice deleted _ga in both scopes; _ga_X waits for a page under /legal.
    assert provider_cookies(context) == {("_ga_X", HOST, "/legal")}

    page.goto(site + "/legal/cookies")
    page.goto(site + "/")
    assert provider_cookies(context) == set()
    after = {f"{urlsplit(u).scheme}://{urlsplit(u).netloc}" for u in contacted[withdrawn:]}
    assert third_party.origin not in after
