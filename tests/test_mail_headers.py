"""No text a user gives becomes a header of its own, or the body, in a message the relay receives.

Python's e-mail package decodes an RFC 2047 encoded word (``=?utf-8?q?...?=``) in a header value,
and the venv's Python 3.11.7 (before the CVE-2024-6923 fix) wrote a decoded CR/LF out as a line
break: a subject could add a Reply-To header and an HTML body. These tests run on the runtime the
README installs (the venv's python), whatever its patch level.
"""

from __future__ import annotations

import base64
import email.policy
import html
import sys

import pytest
from sqlalchemy import select
from sqlalchemy import update

from prospectra.extensions import db
from prospectra.mail import store
from prospectra.models import Draft
from prospectra.models import MailRelay
from tests.helpers import csrf_token
from tests.mail_forms import save_relay
from tests.mail_forms import send_test_message
from tests.mail_forms import submit

REFUSED = (
    "Encoded text such as =?utf-8?q?...?= is not accepted here: type the characters themselves."
)
INJECTED = "Reply-To: eve@evil.test\r\n\r\n<b>Click here</b>"


def text(response) -> str:
    return " ".join(html.unescape(response.get_data(as_text=True)).split())


def q(value: str) -> str:
    """``value`` as a Q-encoded word, CR and LF included."""
    return "=?utf-8?q?" + "".join(f"={b:02X}" for b in value.encode()) + "?="


def b(value: str, charset: str = "utf-8") -> str:
    return f"=?{charset}?B?{base64.b64encode(value.encode()).decode()}?="


@pytest.fixture
def ada(client, make_user, auth):
    make_user()
    auth.login()
    return client


HOSTILE_SUBJECTS = {
    "q, CR LF": "Hi" + q("\r\n" + INJECTED),
    "q, LF only": "Hi " + q("\nBcc: eve@evil.test"),
    "b, upper-case B": b("x\r\nReply-To: eve@evil.test"),
    "q, lower-case, latin-1": "=?iso-8859-1?q?x=0AX-Evil:_1?=",
    "NUL": q("x\x00y"),
    "harmless-looking": q("Hello"),  # decodes to other text than the user typed: refused too
}


@pytest.mark.parametrize("subject", HOSTILE_SUBJECTS.values(), ids=HOSTILE_SUBJECTS.keys())
def test_an_encoded_word_in_the_subject_is_refused_and_the_text_is_kept(
    app, ada, smtp_relay, subject
):
    save_relay(ada, smtp_relay.port)
    response = submit(ada, "send", subject=subject, body="Every word I wrote.")
    page = text(response)
    assert response.status_code == 200 and REFUSED in page
    assert "Every word I wrote." in page and f'value="{subject}"' in page
    assert smtp_relay.connections == 0


@pytest.mark.parametrize(
    "recipients",
    ["=?utf-8?q?bob=0D=0A?=@example.com", "bob@example.com, =?utf-8?q?carol?=@example.net"],
)
def test_an_encoded_word_in_a_recipient_is_refused(app, ada, smtp_relay, recipients):
    save_relay(ada, smtp_relay.port)
    response = submit(ada, "send", recipients=recipients)
    assert response.status_code == 200 and REFUSED in text(response)
    assert smtp_relay.connections == 0


def test_an_encoded_word_in_the_sender_is_refused_at_save(app, ada):
    response = save_relay(ada, 587, sender="=?utf-8?q?ada=0D=0A?=@example.org")
    assert response.status_code == 200 and REFUSED in text(response)
    with app.app_context():
        assert db.session.scalar(select(MailRelay)) is None


def test_a_sender_saved_before_the_rule_is_refused_at_send_with_our_message(app, ada, smtp_relay):
    save_relay(ada, smtp_relay.port)
    with app.app_context():  # as a row saved before encoded words were refused could be
        db.session.execute(update(MailRelay).values(sender="=?utf-8?q?x=0D=0A?=@example.org"))
        db.session.commit()
    expected = (
        "The saved sender address is no longer accepted: enter it again in the relay settings."
    )
    for response in (send_test_message(ada), submit(ada, "send", body="Kept.")):
        assert response.status_code == 200 and expected in text(response)
    assert "Kept." in text(response)
    assert smtp_relay.connections == 0


def test_what_arrives_has_exactly_the_headers_given_and_the_subject_as_typed(app, ada, smtp_relay):
    save_relay(ada, smtp_relay.port)
    subject = "Réunion =? mardi ?= 10 h — ok?"  # "=?" alone is not an encoded word
    response = submit(ada, "send", subject=subject, body="Plain text.")
    assert response.status_code == 303, text(response)
    [message] = smtp_relay.messages
    assert message["Subject"] == subject
    assert [k.lower() for k in message.keys()] == [
        "from", "to", "subject", "date", "message-id", "content-type",
        "content-transfer-encoding", "mime-version",
    ]  # fmt: skip
    assert message.get_content_type() == "text/plain" and message.get_content() == "Plain text.\n"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("subject", "Hi" + q("\r\n" + INJECTED)),
        ("subject", "Hi\r\nBcc: eve@evil.test"),
        ("subject", b("x\nReply-To: eve@evil.test")),
        ("subject", q("x\x00y")),
        ("recipients", ["=?utf-8?q?bob=0D=0A?=@example.com"]),
        ("recipients", ['"=?utf-8?q?Bob=0D=0ABcc:_eve@evil.test?=" <bob@example.com>']),
        ("sender", "=?utf-8?q?ada=0A?=@example.org"),
    ],
)
def test_build_message_refuses_a_value_that_decodes_to_a_line_break(app, field, value):
    values = {"sender": "ada@example.org", "recipients": ["bob@example.com"], "subject": "Hi"}
    with app.app_context(), pytest.raises(store.UnsafeHeader):
        store.build_message(**(values | {field: value}), body="Body.")


def test_build_message_keeps_international_text_and_addresses(app):
    with app.app_context():
        message = store.build_message("ada@ünïcode.example", ["björn@example.se"], "Grüße", "Hej")
    assert message["Subject"] == "Grüße" and message["To"] == "björn@example.se"
    written = message.as_bytes(policy=message.policy.clone(utf8=True))
    assert b"Gr\xc3\xbc\xc3\x9fe" in written and b"Reply-To" not in written


def test_the_generator_verifies_headers_where_the_runtime_can():
    """On a runtime with the CVE-2024-6923 fix, the generator's own check is on as well."""
    if hasattr(email.policy.default, "verify_generated_headers"):
        assert store._POLICY.verify_generated_headers is True
    else:
        assert sys.version_info < (3, 12, 5)  # the check of build_message stands alone here


def test_drafts_are_not_saved_with_an_encoded_word_either(app, ada):
    response = submit(ada, "save", subject=q("x\r\nBcc: eve@evil.test"), body="Mine.")
    assert response.status_code == 200 and REFUSED in text(response) and "Mine." in text(response)
    with app.app_context():
        assert db.session.scalar(select(Draft)) is None


def test_a_message_posted_without_subject_or_body_fields_is_sent_empty(app, ada, smtp_relay):
    """A hand-made POST may leave fields out: the message has an empty subject and body, no 500."""
    save_relay(ada, smtp_relay.port)
    token = csrf_token(ada.get("/mail/compose"))
    response = ada.post(
        "/mail/compose", data={"csrf_token": token, "send": "1", "recipients": "bob@example.com"}
    )
    assert response.status_code == 303
    [message] = smtp_relay.messages
    assert message["Subject"] == "" and message.get_content() == "\n"
