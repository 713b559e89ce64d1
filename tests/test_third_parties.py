"""Policy section 4: internal pages reach third parties (the user's SMTP relay, the AI provider)
only on an explicit action, and then through the server; the browser never talks to them.

The CSP keeps ``default-src 'none'`` with no ``connect-src``: stricter than ``connect-src 'self'``
(which the issue names as the minimum), since no page of Prospectra needs fetch/XHR at all, the
browser may open no connection by script, not even to the app.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from prospectra.extensions import db
from prospectra.models import Draft
from tests.helpers import csrf_token
from tests.mail_forms import save_relay
from tests.mail_forms import send_test_message
from tests.mail_forms import submit
from tests.test_security_headers import CSP

INTERNAL_PAGES = ("/dashboard", "/account", "/mail/", "/mail/relay", "/mail/compose")
# Every POST that may contact a third party, and a field set that would otherwise be valid.
ACTIONS = [
    ("/mail/compose", {"send": "1", "recipients": "bob@example.com", "subject": "s", "body": "b"}),
    ("/mail/compose", {"generate": "1", "prompt": "Write"}),
    ("/mail/relay/test", {"test-send_test": "1"}),
    ("/mail/relay", {"relay-host": "localhost", "relay-port": "25", "relay-tls_mode": "none",
                     "relay-sender": "ada@example.org"}),
]  # fmt: skip


@pytest.fixture
def app(app_factory, settings, provider):
    return app_factory(
        settings | {"assist": {"provider": "openai", "base_url": provider.base_url,
                               "model": "m", "api_key": "k"}}
    )  # fmt: skip


@pytest.fixture
def ada(client, make_user, auth, smtp_relay):
    """Ada, logged in, with her relay set up and one draft saved."""
    make_user()
    auth.login()
    save_relay(client, smtp_relay.port)
    submit(client, "save", subject="Draft one")
    return client


def draft_path(app) -> str:
    with app.app_context():
        return f"/mail/drafts/{db.session.scalar(select(Draft.id))}"


def test_loading_pages_contacts_neither_relay_nor_ai_provider_only_clicks_do(
    app, ada, smtp_relay, provider
):
    for _ in range(3):
        for path in (*INTERNAL_PAGES, draft_path(app)):
            assert ada.get(path).status_code == 200, path
    submit(ada, "save", path=draft_path(app))
    assert (smtp_relay.connections, len(provider.requests)) == (0, 0)

    submit(ada, "generate", path=draft_path(app), prompt="Write to Bob")
    assert (smtp_relay.connections, len(provider.requests)) == (0, 1)

    submit(ada, "send", path=draft_path(app))
    assert (smtp_relay.connections, len(provider.requests)) == (1, 1)

    send_test_message(ada)
    assert (smtp_relay.connections, len(provider.requests)) == (2, 1)
    for path in INTERNAL_PAGES:
        ada.get(path)
    assert (smtp_relay.connections, len(provider.requests)) == (2, 1)
    assert len(smtp_relay.messages) == 2


def test_internal_pages_carry_the_strict_csp_and_reference_no_other_origin(app, ada):
    for path in (*INTERNAL_PAGES, draft_path(app)):
        response = ada.get(path)
        assert response.headers.getlist("Content-Security-Policy") == [CSP], path
        assert "connect-src" not in CSP and "default-src 'none'" in CSP
        html = response.get_data(as_text=True)
        urls = re.findall(r'\b(?:src|href|action|formaction|data)="([^"]*)"', html)
        assert urls, path
        for url in urls:
            assert url.startswith(("/", "#", "mailto:")) and not url.startswith("//"), (path, url)
        assert not re.search(r"<script(?![^>]*\bsrc=\"/static/)", html), path  # own scripts only
        assert "<iframe" not in html and "<img" not in html, path


@pytest.mark.parametrize(("path", "data"), ACTIONS)
def test_mail_actions_require_login_and_contact_no_one(client, smtp_relay, provider, path, data):
    token = csrf_token(client.get("/login"))
    response = client.post(path, data={"csrf_token": token, "test-csrf_token": token,
                                       "relay-csrf_token": token} | data)  # fmt: skip
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert (smtp_relay.connections, provider.requests) == (0, [])


@pytest.mark.parametrize(("path", "data"), ACTIONS)
def test_mail_actions_without_a_csrf_token_are_refused_and_contact_no_one(
    app, ada, smtp_relay, provider, path, data
):
    response = ada.post(path, data=data)
    assert response.status_code == 400
    assert (smtp_relay.connections, provider.requests) == (0, [])


@pytest.mark.parametrize(("path", "data"), ACTIONS)
def test_mail_actions_from_another_site_are_refused_and_contact_no_one(
    app, ada, smtp_relay, provider, path, data
):
    token = csrf_token(ada.get("/mail/relay"))
    data = {"csrf_token": token, "test-csrf_token": token, "relay-csrf_token": token} | data
    response = ada.post(path, data=data, headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 403
    assert (smtp_relay.connections, provider.requests) == (0, [])
