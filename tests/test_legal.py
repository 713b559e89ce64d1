"""The published policy is rendered from the registry and the settings, blanks filled in."""

from __future__ import annotations

import pytest

from prospectra import create_app
from prospectra import registry
from prospectra import state
from prospectra.privacy import policy
from tests.helpers import public_pages

SITE = {
    "publisher": "Acme Prospection SAS",
    "domain": "app.acme.example",
    "contact_email": "dpo@acme.example",
    "publisher_address": "1 rue de la Paix, 75002 Paris",
    "publication_director": "Jeanne Martin",
}
HOST = {"name": "Hébergeur SAS", "address": "2 rue du Serveur, 59100 Roubaix"}


def page_text(client, path: str) -> str:
    """The page's HTML with runs of white space folded, as a reader sees the sentences."""
    return " ".join(client.get(path).get_data(as_text=True).split())


@pytest.fixture
def site_app(tmp_path):
    return create_app(
        {"app": {"instance_path": str(tmp_path)}, "service": SITE, "hosting": HOST}, testing=True
    )


def test_cookie_policy_lists_every_declared_cookie_with_its_details(site_app):
    html = page_text(site_app.test_client(), "/legal/cookies")
    for cookie in registry.declared(site_app.config["PROSPECTRA"]):
        for field in ("name", "label", "purpose", "retention", "exemption", "issuer"):
            assert cookie[field] in html
    assert html.count("<code>__Host-") == 2


def test_cookie_policy_fills_in_publisher_domain_contact_and_date(site_app):
    html = page_text(site_app.test_client(), "/legal/cookies")
    assert "Acme Prospection SAS" in html
    assert "served from the main domain app.acme.example" in html
    assert 'href="mailto:dpo@acme.example"' in html
    # The date is the version's, from the policy history: the day it came into force.
    since = state.of(site_app).policy_history[0]["in_force_since"]
    assert (
        f'Last updated <time datetime="{since:%Y-%m-%d}">{since.day} {since:%B %Y}</time>' in html
    )


def test_cookie_policy_states_the_configured_lifetimes(tmp_path):
    app = create_app(
        {
            "app": {"instance_path": str(tmp_path)},
            "session": {"idle_timeout_minutes": 20, "absolute_lifetime_hours": 8},
        },
        testing=True,
    )
    html = page_text(app.test_client(), "/legal/cookies")
    assert "after 20 minutes of inactivity, 8 hours after login" in html


def test_json_declaration_is_the_registry(site_app):
    data = site_app.test_client().get("/legal/cookies.json").get_json()
    assert data["cookies"] == registry.declared(site_app.config["PROSPECTRA"])
    assert [c["name"] for c in data["cookies"]] == ["__Host-session", "__Host-csrf"]
    assert all(
        c["category"] == "strictly necessary" and not c["consent_required"] for c in data["cookies"]
    )
    assert data["audience_measurement"] == [] and data["other_trackers"] == []
    assert data["contact"] == "dpo@acme.example"


def test_policy_version_changes_when_a_declaration_changes(site_app):
    settings = site_app.config["PROSPECTRA"]
    cookies = registry.declared(settings)
    changed = [dict(cookies[0], retention="13 months"), cookies[1]]
    legal = policy.mentions(settings)
    assert policy.version(cookies, [], legal) != policy.version(changed, [], legal)
    assert (
        policy.version(cookies, [], legal)
        == site_app.test_client().get("/legal/cookies.json").get_json()["policy_version"]
    )


@pytest.mark.parametrize("path", ["/legal/notice", "/legal/privacy"])
def test_legal_pages_name_the_publisher_and_contact(site_app, path):
    html = site_app.test_client().get(path).get_data(as_text=True)
    assert "Acme Prospection SAS" in html
    assert "dpo@acme.example" in html


def test_legal_notice_names_director_and_host(site_app):
    html = site_app.test_client().get("/legal/notice").get_data(as_text=True)
    assert "Jeanne Martin" in html
    assert "Hébergeur SAS" in html
    assert "1 rue de la Paix" in html


@pytest.mark.parametrize("path", [*public_pages(login=True), "/no-such-page"])
def test_every_page_links_the_legal_pages_in_its_footer(client, path):
    html = client.get(path).get_data(as_text=True)
    for link in ("/legal/cookies", "/legal/privacy", "/legal/notice", "/help/", "/help/cookies"):
        assert f'href="{link}"' in html


def test_help_explains_how_to_manage_cookies_in_the_main_browsers(client):
    html = client.get("/help/cookies").get_data(as_text=True)
    for browser in ("Chrome", "Firefox", "Safari", "Edge"):
        assert browser in html


def test_public_pages_reference_no_other_origin(client):
    import re

    for path in public_pages(login=True):
        html = client.get(path).get_data(as_text=True)
        # Resources (src=, <link href>) are all same-origin; plain links to other sites are fine.
        assert not re.search(r'\bsrc="(https?:)?//', html), path
        assert not re.search(r'<link[^>]+href="(https?:)?//', html), path
