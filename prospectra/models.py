"""Database models (SQLAlchemy 2.0, typed). Flask-Session's own table is in migrations too."""

from __future__ import annotations

import datetime

from flask_login import UserMixin
from sqlalchemy import DateTime
from sqlalchemy import String
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

    def __repr__(self) -> str:
        return f"<User {self.id}>"
