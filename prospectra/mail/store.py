"""The user's relay settings and drafts in the database, and the message built from a draft."""

from __future__ import annotations

import email.policy
import email.utils
from email.errors import MessageError
from email.message import EmailMessage
from email.parser import BytesHeaderParser

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import load_only

from ..extensions import db
from ..models import Draft
from ..models import MailRelay
from . import crypto
from .forms import CONTROL
from .forms import ENCODED_WORD
from .relay import Relay

# verify_generated_headers (Python 3.11.10+, 3.12.5+: the CVE-2024-6923 fix) makes the generator
# refuse a header that would come out as two; build_message checks the same on older runtimes.
_POLICY = (
    email.policy.default.clone(verify_generated_headers=True)
    if hasattr(email.policy.default, "verify_generated_headers")
    else email.policy.default
)


class UnsafeHeader(ValueError):
    """A header value would not come out as the one header it was given as (header injection)."""


def relay_of(user_id: int) -> MailRelay | None:
    return db.session.scalar(select(MailRelay).where(MailRelay.user_id == user_id))


def save_relay(user_id: int, form) -> bool:
    """Store the settings; return True if a saved password was dropped.

    An empty password field keeps the saved password (it is never shown) only while it still goes
    to the same place as the same user: a new host, port, TLS mode or user name drops it, or
    "Send a test message" would hand it, in clear, to whatever the new host is.
    """
    row = relay_of(user_id) or MailRelay(user_id=user_id)
    before = _destination(row)
    row.host = form.host.data.strip()
    row.port = form.port.data
    row.tls_mode = form.tls_mode.data
    row.username = (form.username.data or "").strip()
    row.sender = form.sender.data
    dropped = False
    if form.password.data:
        row.password_sealed = crypto.encrypt(form.password.data)
    elif form.forget_password.data or row.password_sealed is None:
        # B105 below: the empty string is the marker for "no password saved", not a password.
        row.password_sealed = ""  # nosec B105
    elif row.password_sealed and _destination(row) != before:
        row.password_sealed = ""  # nosec B105
        dropped = True
    db.session.add(row)
    db.session.commit()
    return dropped


def _destination(row: MailRelay) -> tuple:
    """What the saved password is bound to: where it is sent, how, and as whom."""
    return (row.host, row.port, row.tls_mode, row.username)


def unusable(row: MailRelay) -> str | None:
    """Why the saved settings cannot be used as they are (a key or a rule changed since they were
    saved), for the user; None when they can."""
    password = crypto.decrypt(row.password_sealed) if row.password_sealed else ""
    if password is None:
        return _(
            "The saved relay password can no longer be read (the server's key changed): enter it again in the relay settings."
        )
    if not (row.username.isascii() and password.isascii()):
        # smtplib would fail with a UnicodeEncodeError at login (a 500): the form now refuses them.
        return _(
            "The saved relay user name or password has characters that cannot be sent at login (only ASCII can): enter them again in the relay settings."
        )
    if CONTROL.search(row.sender) or ENCODED_WORD.search(row.sender):
        return _(
            "The saved sender address is no longer accepted: enter it again in the relay settings."
        )
    return None


def connection(row: MailRelay) -> Relay | None:
    """How to reach the relay, with the password opened; None if the settings cannot be used as
    saved (``unusable`` says why)."""
    password = crypto.decrypt(row.password_sealed) if row.password_sealed else ""
    if password is None or unusable(row):
        return None
    settings = current_app.config["PROSPECTRA"]["mail"]
    return Relay(
        host=row.host,
        port=row.port,
        tls_mode=row.tls_mode,
        username=row.username,
        password=password,
        timeout=settings["timeout_seconds"],
        allowed_ports=tuple(settings["allowed_ports"]),
    )


def build_message(sender: str, recipients: list[str], subject: str, body: str) -> EmailMessage:
    """A plain-text message with the headers a relay and a recipient expect (Date, Message-ID).

    :raises UnsafeHeader: a value would inject a header or a body; the forms refuse such input
        first, so this is the last line, not the place a user learns about it.
    """
    message = EmailMessage(policy=_POLICY)
    headers = {
        "From": sender,
        "To": ", ".join(recipients),
        "Subject": subject or "",
        "Date": email.utils.formatdate(usegmt=True),
        "Message-ID": email.utils.make_msgid(domain=sender.rpartition("@")[2]),
    }
    for name, value in headers.items():
        try:
            message[name] = value  # the policy parses it, decoding any encoded word
        except ValueError:  # e.g. "address parts cannot contain CR or LF"
            raise UnsafeHeader(name) from None
        if CONTROL.search(str(message[name])):  # the decoded value, as the generator writes it
            raise UnsafeHeader(name)
    message.set_content(body or "")  # a form posted without the field gives None
    _verify_headers(message)
    return message


def _verify_headers(message: EmailMessage) -> None:
    """Write the message as smtplib will (ASCII, or UTF-8 for international addresses), read the
    headers back, and refuse it unless they are exactly those given."""
    for utf8 in (False, True):
        try:
            written = message.as_bytes(policy=message.policy.clone(utf8=utf8))
        except UnicodeEncodeError:
            continue  # international addresses: smtplib writes them only as UTF-8
        except MessageError:  # HeaderWriteError, with verify_generated_headers
            raise UnsafeHeader("header") from None
        parsed = BytesHeaderParser(policy=email.policy.default).parsebytes(written)
        if [name.lower() for name in parsed.keys()] != [name.lower() for name in message.keys()]:
            raise UnsafeHeader(", ".join(parsed.keys()))


def drafts_of(user_id: int) -> list[Draft]:
    """The user's drafts, newest first, for the list: without their bodies and instructions (up to
    50,000 characters each, never shown there; reading one raises rather than loads it)."""
    return list(
        db.session.scalars(
            select(Draft)
            .options(
                load_only(
                    Draft.id, Draft.subject, Draft.recipients, Draft.updated_at, raiseload=True
                )
            )
            .where(Draft.user_id == user_id)
            .order_by(Draft.updated_at.desc())
        )
    )


def may_add_draft(user_id: int) -> bool:
    """Whether the user keeps fewer drafts than ``[mail] max_drafts``."""
    count = db.session.scalar(select(func.count()).where(Draft.user_id == user_id))
    return count < current_app.config["PROSPECTRA"]["mail"]["max_drafts"]


def draft_of(user_id: int, draft_id: int) -> Draft | None:
    """The draft if it is this user's, else None (another user's draft is not found)."""
    return db.session.scalar(select(Draft).where(Draft.id == draft_id, Draft.user_id == user_id))


def save_draft(user_id: int, draft: Draft | None, form) -> Draft:
    draft = draft or Draft(user_id=user_id)
    draft.recipients = form.recipients.data or ""
    draft.subject = form.subject.data or ""
    draft.body = form.body.data or ""
    draft.prompt = form.prompt.data or ""
    db.session.add(draft)
    db.session.commit()
    return draft


def set_body(draft: Draft, body: str) -> None:
    """Replace the draft's text (with what the assistant wrote)."""
    draft.body = body
    db.session.commit()


def delete_draft(draft: Draft) -> None:
    db.session.delete(draft)
    db.session.commit()


def forget_user(user_id: int) -> None:
    """Delete the user's relay settings and drafts (account deletion; SQLite has no cascade on)."""
    db.session.execute(delete(Draft).where(Draft.user_id == user_id))
    db.session.execute(delete(MailRelay).where(MailRelay.user_id == user_id))
