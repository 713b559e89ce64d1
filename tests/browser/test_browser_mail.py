"""Compose in a real Chromium: "Generate" and "Send" work, and the browser's request log shows
only the app's origin; the AI provider and the SMTP relay are contacted by the server alone."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe

from prospectra import create_app
from prospectra.accounts import create_user
from prospectra.extensions import db
from prospectra.models import MailRelay
from tests.browser.conftest import serve
from tests.browser.test_browser_account import log_in
from tests.helpers import PASSWORD
from tests.mail_forms import LOOPBACK_RELAYS
from tests.peers import FakeProvider
from tests.peers import SmtpRelay

WRITTEN = "Dear Bob,\n\nshall we meet on Tuesday at ten?\n\nAda"


@pytest.fixture(scope="module")
def peers():
    with SmtpRelay() as relay, FakeProvider() as provider:
        provider.answer = ("text", WRITTEN)
        yield relay, provider


@pytest.fixture(scope="module")
def mail_server(tmp_path_factory, peers):
    """The app with the assistant on the fake provider, and Ada's relay set to the fake relay."""
    relay, provider = peers
    settings = {
        "app": {"instance_path": str(tmp_path_factory.mktemp("instance"))},
        "assist": {
            "provider": "openai",
            "base_url": provider.base_url,
            "model": "m",
            "api_key": "k",
        },
        "mail": LOOPBACK_RELAYS,
    }
    app = create_app(settings, testing=True)
    with app.app_context():
        user = create_user("ada@example.org", PASSWORD)
        db.session.add(MailRelay(user_id=user.id, host="localhost", port=relay.port,
                                 tls_mode="none", username="", sender="ada@example.org"))  # fmt: skip
        db.session.commit()
    with serve(app) as url:
        yield url


def test_generate_and_send_leave_the_browser_only_for_the_apps_origin(mail_server, peers, context):
    relay, provider = peers
    seen: list[str] = []
    context.on("request", lambda request: seen.append(request.url))
    page = log_in(context, mail_server)
    page.get_by_role("link", name="Messages").click()
    page.get_by_role("link", name="New message").click()
    page.get_by_label("To").fill("bob@example.com")
    page.get_by_label("Subject").fill("Tuesday")
    page.get_by_label("Instructions for the assistant").fill("Ask Bob to meet on Tuesday at ten")
    assert provider.requests == [] and relay.connections == 0  # loading pages contacted no one

    page.get_by_role("button", name="Generate").click()
    page.wait_for_url(re.compile(re.escape(mail_server) + r"/mail/drafts/\d+$"))
    assert page.get_by_label("Message", exact=True).input_value() == WRITTEN
    assert len(provider.requests) == 1 and relay.connections == 0

    page.get_by_role("button", name="Send", exact=True).click()
    page.wait_for_url(mail_server + "/mail/")
    assert page.get_by_text("The message was sent to 1 recipient(s).").count() == 1
    [message] = relay.messages
    assert message["To"] == "bob@example.com" and message["Subject"] == "Tuesday"
    assert message.get_content().rstrip("\n") == WRITTEN

    assert any(url.endswith("/mail/compose") for url in seen)  # the log holds the form posts too
    assert [url for url in seen if not url.startswith(mail_server + "/")] == []
    assert {c["name"] for c in context.cookies()} <= {"__Host-csrf", "__Host-session"}


@pytest.mark.parametrize("path", ["/mail/", "/mail/compose", "/mail/relay"])
def test_mail_pages_pass_axe_core(mail_server, context, path):
    page = log_in(context, mail_server)
    page.goto(mail_server + path)
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
