"""Where a consented tag runs: public pages only, never the login page, a password or a logged-in page.

The policy's section 4 says the /legal/ and /help/ pages and the login page load nothing from
third parties, and internal pages reach third parties only on an explicit action.
"""

from __future__ import annotations

import pytest

from prospectra import create_app
from prospectra.accounts import create_user
from prospectra.public import public_paths
from tests import helpers
from tests.helpers import PASSWORD
from tests.helpers import AuthActions
from tests.helpers import BufferedClient
from tests.helpers import csrf_token
from tests.measurement import MATOMO
from tests.measurement import SCRIPT

TAG = 'src="https://tags.example.net/tag.js"'
ORIGINS = ("https://tags.example.net", "https://collect.example.net")
NEVER = (*helpers.pages(helpers.FORM, helpers.VISITOR), *helpers.section_4_pages(), "/no-such-page")
LOGGED_IN = (*helpers.public_pages(), *helpers.pages(helpers.LOGGED_IN))  # seen logged in


def build(tmp_path, **script_changes):
    settings = {
        "app": {"instance_path": str(tmp_path)},
        "analytics": {"providers": ["script"], "script": dict(SCRIPT, **script_changes)},
    }
    app = create_app(settings, testing=True)
    app.test_client_class = BufferedClient
    with app.app_context():
        create_user("ada@example.org", PASSWORD)
    client = app.test_client()
    client.environ_base["HTTP_REFERER"] = "https://localhost/"
    token = csrf_token(client.get("/consent"))
    accepted = client.post(
        "/consent", data={"csrf_token": token, "action": "accept_all", "next": "/"}
    )
    assert accepted.status_code == 303
    return client


def carries_tag(client, path: str) -> bool:
    response = client.get(path)
    html, csp = response.get_data(as_text=True), response.headers["Content-Security-Policy"]
    has_tag, admits = TAG in html, [o for o in ORIGINS if o in csp]
    assert has_tag == bool(admits) == (len(admits) == len(ORIGINS)), (path, has_tag, admits)
    return has_tag


def test_consented_tag_runs_on_the_home_page_and_on_no_page_section_4_names(tmp_path):
    client = build(tmp_path)
    assert carries_tag(client, "/")
    for path in NEVER:
        assert not carries_tag(client, path), path


def test_consented_tag_never_runs_on_a_logged_in_page(tmp_path):
    client = build(tmp_path, pages=["/*"])
    assert carries_tag(client, "/legal/cookies")
    assert AuthActions(client).login().status_code == 303
    for path in LOGGED_IN:
        assert not carries_tag(client, path), path


def test_pages_setting_widens_to_help_pages_and_narrows_away_from_home(tmp_path):
    client = build(tmp_path, pages=["/help/*"])
    assert carries_tag(client, "/help/")
    assert carries_tag(client, "/help/cookies")
    assert not carries_tag(client, "/")
    assert not carries_tag(client, "/legal/cookies")
    assert not carries_tag(client, "/login")


def test_even_a_catch_all_pages_setting_keeps_the_login_and_consent_pages_clean(tmp_path):
    client = build(tmp_path, pages=["/*"])
    for path in ("/", "/legal/notice", "/help/"):
        assert carries_tag(client, path), path
    for path in ("/login", "/consent", "/no-such-page"):
        assert not carries_tag(client, path), path


@pytest.mark.parametrize("mode", ["exempt", "consent"])
def test_matomo_never_loads_on_the_login_page(tmp_path, mode):
    settings = {
        "app": {"instance_path": str(tmp_path)},
        "analytics": {"providers": ["matomo"], "matomo": {**MATOMO, "mode": mode}},
    }
    app = create_app(settings, testing=True)
    client = app.test_client()
    if mode == "consent":
        client.environ_base["HTTP_REFERER"] = "https://localhost/"
        token = csrf_token(client.get("/consent"))
        client.post("/consent", data={"csrf_token": token, "action": "accept_all", "next": "/"})
    assert "matomo-init.js" in client.get("/").get_data(as_text=True)
    for path in ("/login", "/legal/cookies", "/help/"):
        response = client.get(path)
        assert "matomo-init.js" not in response.get_data(as_text=True), path
        assert "stats.example.org" not in response.headers["Content-Security-Policy"], path


def test_no_page_marked_public_has_a_password_field(tmp_path):
    """Tags may run only on public pages; a public page with a password field would expose it."""
    app = create_app({"app": {"instance_path": str(tmp_path)}}, testing=True)
    paths = public_paths(app)
    assert "/" in paths and "/login" not in paths and "/consent" not in paths
    client = app.test_client()
    for path in paths:
        html = client.get(path).get_data(as_text=True)
        assert 'type="password"' not in html, path
