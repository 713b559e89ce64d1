"""Database models (SQLAlchemy 2.0, typed). Flask-Session's own table is in migrations too."""

from __future__ import annotations

import datetime

from flask_login import UserMixin
from sqlalchemy import JSON
from sqlalchemy import Date
from sqlalchemy import DateTime
from sqlalchemy import ForeignKey
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy import false
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from .extensions import db


def _utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class User(UserMixin, db.Model):
    """An account: a unique e-mail address and an argon2 password hash."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=_utcnow)
    # May read the built-in audience statistics (flask --app wsgi users create --admin).
    is_admin: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The cookie policy version this user was last told about (a change shows a notice once).
    policy_version_seen: Mapped[str | None] = mapped_column(String(32))

    def __repr__(self) -> str:
        return f"<User {self.id}>"


class ConsentRecord(db.Model):
    """Proof of one consent decision (CNIL 2020-092): no IP, no account, only what was chosen."""

    __tablename__ = "consent_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Not indexed: nothing looks a record up by it, and its random values made every purged row
    # cost an index page write (migration d41f0c9a6b3e).
    consent_id: Mapped[str] = mapped_column(String(64))
    policy_version: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(16))  # accept_all, refuse_all, customise
    choices: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime.datetime] = mapped_column(
        DateTime(timezone=True), default=_utcnow, index=True
    )


class PageView(db.Model):
    """Built-in audience measurement: views of one page on one day. No visitor data at all."""

    __tablename__ = "page_views"
    __table_args__ = (UniqueConstraint("day", "page", name="uq_page_views_day_page"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[datetime.date] = mapped_column(Date, index=True)
    page: Mapped[str] = mapped_column(String(200))
    views: Mapped[int] = mapped_column(default=0)


class PolicyVersion(db.Model):
    """A version of the cookie policy: when it came into force and what changed from the last."""

    __tablename__ = "policy_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(32), unique=True)
    in_force_since: Mapped[datetime.datetime] = mapped_column(
        DateTime(timezone=True), default=_utcnow
    )
    changes: Mapped[str] = mapped_column(String(2000))  # in English, for logs and reports
    # What changed, as facts each page tells in its language (privacy/versions.py); None for a
    # version recorded before the list was kept (then worked out from the declarations).
    change_list: Mapped[list | None] = mapped_column(JSON, nullable=True)
    declaration: Mapped[dict] = mapped_column(JSON)


class LoginSession(db.Model):
    """One live login session of a user, as listed on the account page (the user -> sessions index).

    The session stores key records by session id only; this row lets a user see and end their
    sessions. It never holds the id itself: a hash to find the row, and the id sealed with the
    secret key so that ending the session can delete its store record (see sessions/index.py).
    """

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    sid_hash: Mapped[str] = mapped_column(String(64), unique=True)
    sealed_sid: Mapped[str] = mapped_column(String(255))  # a Fernet token
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # Both times are indexed: the purge and the account page's list filter on them.
    created_at: Mapped[datetime.datetime] = mapped_column(
        DateTime(timezone=True), default=_utcnow, index=True
    )
    # Updated only when the session record is rewritten (at most every tenth of the idle timeout).
    last_seen_at: Mapped[datetime.datetime] = mapped_column(
        DateTime(timezone=True), default=_utcnow, index=True
    )
    device: Mapped[str] = mapped_column(String(64))  # coarse: "Firefox on Linux"


class MailRelay(db.Model):
    """A user's SMTP relay: where and as whom their messages are sent. One per user.

    The password is stored sealed with ``[mail] encryption_key`` (see mail/crypto.py) and never
    rendered back; an empty ``password_sealed`` means none is saved.
    """

    __tablename__ = "mail_relays"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    host: Mapped[str] = mapped_column(String(253))
    port: Mapped[int]
    tls_mode: Mapped[str] = mapped_column(String(16))  # starttls, tls, none (localhost only)
    username: Mapped[str] = mapped_column(String(254), default="")
    password_sealed: Mapped[str] = mapped_column(Text, default="")
    sender: Mapped[str] = mapped_column(String(254))
    updated_at: Mapped[datetime.datetime] = mapped_column(
        DateTime(timezone=True), default=_utcnow, onupdate=_utcnow
    )


class Draft(db.Model):
    """A message being written. Saved before every action (send, generate); deleted once sent."""

    __tablename__ = "drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    recipients: Mapped[str] = mapped_column(String(4000), default="")
    subject: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    # The instructions last given to the writing assistant, kept with the draft.
    prompt: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime(timezone=True), default=_utcnow)
    updated_at: Mapped[datetime.datetime] = mapped_column(
        DateTime(timezone=True), default=_utcnow, onupdate=_utcnow
    )
