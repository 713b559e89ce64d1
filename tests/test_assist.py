"""The writing assistant, against a local OpenAI-compatible endpoint (stdlib http.server)."""

from __future__ import annotations

import html
import threading
import time

import pytest
from sqlalchemy import select

from prospectra.config import ConfigError
from prospectra.config import load_settings
from prospectra.extensions import db
from prospectra.models import Draft
from tests.mail_forms import logged_in_client
from tests.mail_forms import submit


def text(response) -> str:
    return " ".join(html.unescape(response.get_data(as_text=True)).split())


def assist_settings(provider, **overrides) -> dict:
    return {"assist": {"provider": "openai", "base_url": provider.base_url, "model": "test-model",
                       "api_key": "sk-test", "timeout_seconds": 1} | overrides}  # fmt: skip


@pytest.fixture
def app(app_factory, settings, provider):
    """The app with the assistant pointed at the local provider."""
    return app_factory(settings | assist_settings(provider))


@pytest.fixture
def ada(client, make_user, auth):
    make_user()
    auth.login()
    return client


def the_draft(app) -> Draft:
    with app.app_context():
        [draft] = db.session.scalars(select(Draft))
        return draft


def test_generate_posts_only_the_instructions_and_fills_the_draft(app, ada, provider):
    provider.answer = ("text", "Dear Bob,\n\nshall we meet on Tuesday?\n\nAda")
    response = submit(ada, "generate", recipients="bob@example.com", subject="Tuesday",
                      body="old text", prompt="Ask Bob for a meeting on Tuesday")  # fmt: skip
    assert response.status_code == 303
    draft = the_draft(app)
    assert response.headers["Location"] == f"/mail/drafts/{draft.id}"
    assert draft.body == "Dear Bob,\n\nshall we meet on Tuesday?\n\nAda"
    assert (draft.subject, draft.prompt) == ("Tuesday", "Ask Bob for a meeting on Tuesday")
    page = text(ada.get(response.headers["Location"]))
    assert "shall we meet on Tuesday?" in page and "read it before sending" in page
    [call] = provider.requests
    assert call["path"] == "/v1/chat/completions"
    assert call["authorization"] == "Bearer sk-test"
    assert call["json"]["model"] == "test-model"
    assert call["json"]["messages"][-1] == {
        "role": "user",
        "content": "Ask Bob for a meeting on Tuesday",
    }
    sent = str(call["json"])
    assert "bob@example.com" not in sent and "old text" not in sent  # only the instructions


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (("status", 500), "The writing assistant answered with an error (HTTP 500)."),
        (("status", 429), "The writing assistant answered with an error (HTTP 429)."),
        (("raw", b"<html>not json</html>"), "The writing assistant's reply could not be read."),
        (("raw", b'{"choices": []}'), "The writing assistant's reply could not be read."),
        (("raw", b'{"choices": [{"message": {"content": 42}}]}'), "The writing assistant's reply could not be read."),
        (("raw", b'{"choices": [{"message": {"content": "  "}}]}'), "The writing assistant's reply could not be read."),
        (("raw", b"[1, 2]"), "The writing assistant's reply could not be read."),
        (("slow", 3), "The writing assistant did not answer within 1 seconds."),
        (("drip", 3), "The writing assistant did not answer within 1 seconds."),
        (("drip-headers", 3), "The writing assistant did not answer within 1 seconds."),
    ],
)  # fmt: skip
def test_a_provider_failure_is_a_clear_message_and_the_draft_is_kept(
    app, ada, provider, answer, message
):
    provider.answer = answer
    started = time.monotonic()
    response = submit(ada, "generate", subject="Keep", body="My own words", prompt="Write")
    assert time.monotonic() - started < 2.5  # one deadline (1 s) for the whole call
    page = text(response)
    assert response.status_code == 200
    assert message in page
    assert "My own words" in page and 'value="Keep"' in page
    assert the_draft(app).body == "My own words"
    assert len(provider.requests) == 1


def test_an_unreachable_provider_is_a_clear_message(app_factory, settings, make_user_in):
    from tests.faults import free_port

    app = app_factory(
        settings | {"assist": {"provider": "openai", "base_url": f"http://127.0.0.1:{free_port()}/v1",
                               "model": "m", "api_key": "k"}}
    )  # fmt: skip
    make_user_in(app)
    response = submit(logged_in_client(app), "generate", body="Mine", prompt="Write")
    assert "The writing assistant could not be reached." in text(response)
    assert the_draft(app).body == "Mine"


def test_without_a_key_the_provider_is_not_called_and_the_user_is_told(
    app_factory, settings, provider, make_user_in
):
    from tests.mail_forms import logged_in_client

    app = app_factory(settings | assist_settings(provider, api_key=""))
    make_user_in(app)
    response = submit(logged_in_client(app), "generate", body="Mine", prompt="Write")
    assert "The writing assistant has no API key configured" in text(response)
    assert provider.requests == []
    assert the_draft(app).body == "Mine"


def test_generate_without_instructions_asks_for_them(app, ada, provider):
    response = submit(ada, "generate", prompt="   ")
    assert "Tell the assistant what to write." in text(response)
    assert provider.requests == []


def test_with_provider_none_there_is_no_button_and_no_call(
    app_factory, settings, provider, make_user_in
):
    from tests.mail_forms import logged_in_client

    app = app_factory(settings)  # the default: provider = "none"
    make_user_in(app)
    client = logged_in_client(app)
    page = text(client.get("/mail/compose"))
    assert "Generate" not in page and "Writing assistant" not in page
    response = submit(client, "generate", body="Mine", prompt="Write")
    assert response.status_code == 303  # a forged "generate" only saves the draft
    assert provider.requests == []


def test_the_api_key_can_come_from_the_environment():
    environ = {"PROSPECTRA_ASSIST__PROVIDER": "openai", "PROSPECTRA_ASSIST__BASE_URL": "https://api.example.com/v1",
               "PROSPECTRA_ASSIST__MODEL": "m", "PROSPECTRA_ASSIST__API_KEY": "12345"}  # fmt: skip
    assert load_settings(environ=environ)["assist"]["api_key"] == "12345"


@pytest.mark.parametrize(
    ("assist", "message"),
    [
        ({"provider": "openai", "model": "m"}, "assist.base_url: required with provider 'openai'"),
        ({"provider": "openai", "base_url": "https://api.example.com/v1"}, "assist.model: required with provider 'openai'"),
        ({"provider": "openai", "base_url": "http://api.example.com/v1", "model": "m"}, "assist.base_url:"),
        ({"provider": "openai", "base_url": "ftp://[::1", "model": "m"}, "assist.base_url:"),
        ({"provider": "claude"}, "assist.provider: must be one of 'none', 'openai'"),
        ({"timeout_seconds": 0}, "assist.timeout_seconds: must be between"),
    ],
)  # fmt: skip
def test_an_incomplete_assistant_setting_stops_start_naming_the_key(assist, message):
    with pytest.raises(ConfigError) as error:
        load_settings({"assist": assist}, environ={})
    assert message in str(error.value) and "\n" not in str(error.value)


def test_the_privacy_policy_describes_the_assistant_only_where_it_is_enabled(
    app, client, app_factory, tmp_path
):
    enabled = text(client.get("/legal/privacy"))
    assert "Only the instructions you type for the assistant" in enabled
    assert "Uniquement les consignes" in text(client.get("/legal/privacy?lang=fr"))
    plain = app_factory({"app": {"instance_path": str(tmp_path / "plain")}}).test_client()
    disabled = text(plain.get("/legal/privacy"))
    assert "The writing assistant is not enabled on this service" in disabled
    assert "Only the instructions you type" not in disabled
    assert "not available yet" not in enabled + disabled  # the features exist now


def test_generations_past_the_per_user_limit_call_no_one(
    app_factory, settings, provider, make_user_in
):
    from tests.mail_forms import logged_in_client

    limits = {"limits": {"generations_per_user": "1 per hour"}}
    app = app_factory(settings | assist_settings(provider) | limits)
    make_user_in(app)
    client = logged_in_client(app)
    assert submit(client, "generate", prompt="Write").status_code == 303
    response = submit(client, "generate", prompt="Again")
    assert "Too many attempts in a short time" in text(response)
    assert len(provider.requests) == 1


@pytest.mark.parametrize(
    ("language", "words"), [("en", "Draft with help"), ("fr", "aider pour la rédaction")]
)
def test_the_home_page_offers_drafting_help_only_where_the_assistant_is_enabled(
    app_factory, settings, provider, language, words
):
    enabled = app_factory(settings | assist_settings(provider)).test_client()
    disabled = app_factory(dict(settings)).test_client()
    assert words in text(enabled.get(f"/?lang={language}"))
    assert words not in text(disabled.get(f"/?lang={language}"))
    assert provider.requests == []  # reading the page contacts no provider


def test_a_user_has_one_generation_at_a_time_and_the_second_keeps_its_text(app, ada, provider):
    """Two tabs cannot each hold a worker on a slow provider: the second is refused at once."""
    provider.answer = ("slow", 0.8)
    other_tab = logged_in_client(app)
    first: dict = {}
    writing = threading.Thread(target=lambda: first.update(r=submit(ada, "generate", prompt="A")))
    writing.start()
    for _ in range(50):  # until the provider has the first call
        if provider.requests:
            break
        time.sleep(0.05)
    started = time.monotonic()
    second = submit(other_tab, "generate", body="Second words", prompt="B")
    assert time.monotonic() - started < 0.7, "refused at once, not after the first call"
    page = text(second)
    assert "The assistant is already writing for you: try again in a moment." in page
    assert "Second words" in page
    writing.join(10)
    assert len(provider.requests) == 1
    provider.answer = ("text", "Done.")
    assert submit(other_tab, "generate", prompt="C").status_code == 303  # the slot is free again
