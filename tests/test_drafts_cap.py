"""Drafts are bounded per user (``[mail] max_drafts``), and the list of them never loads a body.

Before, one account saved 250 drafts of 53 KB in 3 s, and /mail/ read every body to list them.
"""

from __future__ import annotations

import html

import pytest
from sqlalchemy import event
from sqlalchemy import func
from sqlalchemy import select

from prospectra.accounts import create_user
from prospectra.config import ConfigError
from prospectra.config import load_settings
from prospectra.extensions import db
from prospectra.models import Draft
from tests.helpers import PASSWORD
from tests.helpers import csrf_token
from tests.mail_forms import logged_in_client
from tests.mail_forms import save_relay
from tests.mail_forms import submit

FULL = "You keep 3 drafts, the most an account may keep: delete one to save, send or complete a new message. What you wrote is still below."


def text(response) -> str:
    return " ".join(html.unescape(response.get_data(as_text=True)).split())


@pytest.fixture
def capped(app_factory, settings):
    """An app where each user may keep 3 drafts, with Ada logged in and 3 drafts saved."""
    app = app_factory(settings | {"mail": settings.get("mail", {}) | {"max_drafts": 3}})
    with app.app_context():
        create_user("ada@example.org", PASSWORD)
    ada = logged_in_client(app)
    for n in range(3):
        assert submit(ada, "save", subject=f"Draft {n}").status_code == 303
    return app, ada


def count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Draft))


@pytest.mark.parametrize("button", ["save", "send"])
def test_past_the_cap_a_new_draft_is_refused_and_the_text_is_shown_again(
    capped, smtp_relay, button
):
    app, ada = capped
    save_relay(ada, smtp_relay.port)
    response = submit(ada, button, subject="One more", body="Words I must not lose.")
    page = text(response)
    assert response.status_code == 200 and FULL in page
    assert 'value="One more"' in page and "Words I must not lose." in page
    assert count(app) == 3 and smtp_relay.connections == 0


def test_at_the_cap_an_existing_draft_can_still_be_saved(capped):
    app, ada = capped
    with app.app_context():
        first = db.session.scalar(select(Draft.id).order_by(Draft.id))
    response = submit(ada, "save", path=f"/mail/drafts/{first}", body="Edited.")
    assert response.status_code == 303 and count(app) == 3
    with app.app_context():
        assert db.session.get(Draft, first).body == "Edited."


def test_deleting_a_draft_makes_room_for_a_new_one(capped):
    app, ada = capped
    page = text(ada.get("/mail/"))
    assert "delete one before you save, send or complete a new message." in page
    with app.app_context():
        first = db.session.scalar(select(Draft.id).order_by(Draft.id))
    token = csrf_token(ada.get("/mail/"))
    assert ada.post(f"/mail/drafts/{first}/delete", data={"csrf_token": token}).status_code == 303
    assert "delete one before" not in text(ada.get("/mail/"))
    assert submit(ada, "save", subject="Room again").status_code == 303 and count(app) == 3


def test_the_cap_counts_each_users_drafts_alone(capped):
    app, _ = capped
    with app.app_context():
        create_user("eve@example.org", PASSWORD)
    eve = logged_in_client(app, "eve@example.org")
    assert submit(eve, "save", subject="Eve's first").status_code == 303
    assert count(app) == 4


def test_the_list_of_drafts_reads_no_body_or_instructions(app, client, make_user, auth):
    make_user()
    auth.login()
    for n in range(3):
        submit(client, "save", subject=f"Long {n}", body="x" * 50_000, prompt="Write it all.")
    statements: list[str] = []
    with app.app_context():
        engine = db.engine

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        page = client.get("/mail/")
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert page.status_code == 200
    assert all(f"Long {n}" in text(page) for n in range(3))
    listing = [s for s in statements if "FROM drafts" in s]
    assert listing, statements
    assert not any("drafts.body" in s or "drafts.prompt" in s for s in listing), listing


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "mail.max_drafts: must be between 1 and 10000"),
        (10_001, "mail.max_drafts: must be between 1 and 10000"),
        ("many", "mail.max_drafts: expected"),
    ],
)
def test_an_invalid_max_drafts_stops_start_naming_the_key(value, message):
    with pytest.raises(ConfigError) as error:
        load_settings({"mail": {"max_drafts": value}}, environ={})
    assert str(error.value).startswith(message) and "\n" not in str(error.value)


def test_max_drafts_is_documented_with_its_default():
    from prospectra.config import DEFAULT_FILE

    toml = DEFAULT_FILE.read_text()
    above, _, _ = toml.partition("\nmax_drafts = 100\n")
    assert above.rsplit("\n", 1)[-1].startswith("#") and "Set by ops." in above[-300:]
