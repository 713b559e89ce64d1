"""What pages show of the logged-in account, kept in the session record: no user row per page.

Flask-Login's user loader reads the ``users`` row on every logged-in request, as the conventional
stack does. Here the session record also holds a snapshot of what pages render of the account
(id, e-mail address, creation date, the policy version the user was told about), and the loader
answers from it:

- it is **taken again** from the row whenever the record is written anyway (a change, or the
  throttled refresh of :mod:`.store`, at most every tenth of the idle timeout), and when a session
  has none;
- it is **dropped** from every session of the user on each account change (:func:`forget`, through
  the user -> sessions index), so that another device's next page reads the row again;
- it **decides nothing**: the admin flag, the password and every change of the account are read
  from the row (:attr:`SessionUser.row`, :attr:`SessionUser.is_admin`), never from the snapshot.

Import map: snapshot -> index -> store -> split; the auth blueprint's user loader and the accounts
module use it.
"""

from __future__ import annotations

import datetime
from typing import Any

from flask import abort
from flask import current_app
from flask import has_request_context
from flask import session
from flask_login import UserMixin

from ..extensions import db
from ..models import User
from ..outages import SERVICE_ERRORS
from . import index
from .split import USER_ID
from .split import USER_SNAPSHOT


class SessionUser(UserMixin):
    """``current_user`` of a logged-in request: the snapshot's fields, and the row when needed."""

    def __init__(self, snapshot: dict[str, Any], row: User | None = None) -> None:
        self.id: int = snapshot["id"]
        self.email: str = snapshot["email"]
        self.created_at = datetime.datetime.fromisoformat(snapshot["created_at"])
        self.policy_version_seen: str | None = snapshot["policy_version_seen"]
        self._row = row

    @property
    def row(self) -> User:
        """The account's row, read from the database once per request: for a password check, a
        change, an authorization. An account deleted meanwhile is answered as logged out."""
        if self._row is None:
            self._row = db.session.get(User, self.id)
            if self._row is None:
                abort(current_app.login_manager.unauthorized())
        return self._row

    @property
    def is_admin(self) -> bool:
        """From the database: an authorization is never decided on the snapshot."""
        return self.row.is_admin


def take(user: User) -> dict[str, Any]:
    """The snapshot of an account row, as the session record keeps it (plain, serialisable)."""
    return {
        "id": user.id,
        "email": user.email,
        "created_at": user.created_at.isoformat(),
        "policy_version_seen": user.policy_version_seen,
    }


def load_user(user_id: str) -> SessionUser | None:
    """Flask-Login's user loader: the snapshot when the session has one, else the row (and the
    record is written with a snapshot at the end of the request). None: no such account."""
    if not user_id.isdigit():
        return None
    kept = session.get(USER_SNAPSHOT)
    if isinstance(kept, dict) and kept.get("id") == int(user_id):
        try:
            return SessionUser(kept)
        except (KeyError, TypeError, ValueError):
            pass  # a snapshot of another shape (an older release): taken again below
    row = db.session.get(User, int(user_id))
    if row is None:
        return None
    # Kept by the write at the end of this request (no Set-Cookie: the cookie is the same).
    record = session._get_current_object()
    dict.__setitem__(record, USER_SNAPSHOT, take(row))
    record.rewrite = True
    return SessionUser(dict.get(record, USER_SNAPSHOT), row)


def refresh(session_: dict[str, Any]) -> None:
    """Take the snapshot of a login session again from the row: called before its record is
    written. A database outage keeps the one it has (the next write tries again)."""
    user_id = dict.get(session_, USER_ID)
    if not isinstance(user_id, str) or not user_id.isdigit():
        return
    try:
        row = db.session.get(User, int(user_id))
    except SERVICE_ERRORS as error:
        db.session.rollback()
        current_app.logger.warning("account snapshot kept: %s: %s", type(error).__name__, error)
        return
    # Plain dict writes: the record is being written anyway, nothing else changes.
    if row is None:
        dict.pop(session_, USER_SNAPSHOT, None)
    else:
        dict.__setitem__(session_, USER_SNAPSHOT, take(row))


def forget(user_id: int) -> None:
    """After a change of the account: every session of the user reads the row on its next page.

    The snapshot is dropped from each of the user's session records (found through the index);
    the session of this request, if it is one of them, is written with a fresh one as it ends.
    """
    index.drop_from_records(user_id, USER_SNAPSHOT)
    record = session._get_current_object() if has_request_context() else {}
    if dict.get(record, USER_ID) == str(user_id):
        dict.pop(record, USER_SNAPSHOT, None)
        record.rewrite = True
