"""The user's relay settings and drafts in the database, and the message built from a draft."""

from __future__ import annotations

import email.utils
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import delete
from sqlalchemy import select

from ..extensions import db
from ..models import Draft
from ..models import MailRelay
from . import crypto
from .relay import Relay


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


def connection(row: MailRelay) -> Relay | None:
    """How to reach the relay, with the password opened; None if the password cannot be read."""
    password = crypto.decrypt(row.password_sealed) if row.password_sealed else ""
    if password is None:
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
    """A plain-text message with the headers a relay and a recipient expect (Date, Message-ID)."""
    message = EmailMessage()  # its default policy also refuses CR/LF in header values
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message["Date"] = email.utils.formatdate(usegmt=True)
    message["Message-ID"] = email.utils.make_msgid(domain=sender.rpartition("@")[2])
    message.set_content(body)
    return message


def drafts_of(user_id: int) -> list[Draft]:
    return list(
        db.session.scalars(
            select(Draft).where(Draft.user_id == user_id).order_by(Draft.updated_at.desc())
        )
    )


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
