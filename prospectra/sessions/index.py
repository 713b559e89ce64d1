"""Which login sessions each user has, so that they can see them and end them (ASVS 3.3.3, 3.3.4).

Flask-Session keys its records by session id alone, in SQL or in Redis, and cannot answer "which
sessions are Ada's?". Each login session therefore also has a row in ``login_sessions``: created at
login, its ``last_seen_at`` moved only when the session record itself is rewritten (no write per
request), deleted at logout, at expiry, and when the user ends the session.

The row never holds the session id: a SHA-256 of it finds the row, and the id sealed with Fernet
(a key derived from the secret key, :mod:`prospectra.sealing`) lets "end this session" delete the
store record, so the cookie is anonymous on its next request. A leaked copy of this table is thus
no list of usable session ids. Flask's ``SECRET_KEY_FALLBACKS`` open rows sealed before a key
change, so they can still be ended.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac

from cryptography.fernet import InvalidToken
from cryptography.fernet import MultiFernet
from flask import current_app
from flask import request
from sqlalchemy import bindparam
from sqlalchemy import delete
from sqlalchemy import select
from sqlalchemy import update

from .. import sealing
from ..database import delete_in_batches
from ..extensions import db
from ..models import LoginSession
from . import store

_SEAL_PURPOSE = b"prospectra: session index"


def _utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _hash(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


def _fernet() -> MultiFernet:
    keys = (current_app.secret_key, *(current_app.config.get("SECRET_KEY_FALLBACKS") or ()))
    return sealing.derived_fernet(keys, _SEAL_PURPOSE)


def _seal(sid: str) -> str:
    return _fernet().encrypt(sid.encode()).decode()


def _unseal(row: LoginSession) -> str | None:
    try:
        sid = _fernet().decrypt(row.sealed_sid.encode()).decode()
    except (InvalidToken, UnicodeDecodeError):
        return None  # sealed under a key no longer configured: the record can only expire
    return sid if hmac.compare_digest(_hash(sid), row.sid_hash) else None


def describe_device(user_agent: str) -> str:
    """Return a coarse "Browser on System" from a User-Agent, e.g. "Firefox on Linux".

    Hand-written on purpose: the user only needs to recognise their own devices, and a few
    substring checks do that without a User-Agent parsing library (order matters: Edge and
    Opera say "Chrome", Chrome says "Safari", Android says "Linux").
    """
    browsers = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"),
                ("Chrome/", "Chrome"), ("Chromium/", "Chromium"), ("Safari/", "Safari"))  # fmt: skip
    systems = (("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iOS"), ("Windows", "Windows"),
               ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))  # fmt: skip
    browser = next((name for mark, name in browsers if mark in user_agent), None)
    system = next((name for mark, name in systems if mark in user_agent), None)
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or "Unknown device"


def record(user_id: int, sid: str) -> None:
    """Add the session just opened by a login to the user's list (committed with the request)."""
    db.session.add(
        LoginSession(
            sid_hash=_hash(sid),
            sealed_sid=_seal(sid),
            user_id=user_id,
            device=describe_device(request.headers.get("User-Agent", ""))[:64],
        )
    )
    db.session.commit()


def rekey(old_sid: str, new_sid: str) -> None:
    """Keep the listing of a session whose id was just renewed (password change)."""
    db.session.execute(
        update(LoginSession)
        .where(LoginSession.sid_hash == _hash(old_sid))
        .values(sid_hash=_hash(new_sid), sealed_sid=_seal(new_sid))
    )
    db.session.commit()


def touch(sid: str) -> None:
    """Note that the session was used: called when its store record is rewritten, not per request."""
    db.session.execute(
        update(LoginSession)
        .where(LoginSession.sid_hash == _hash(sid))
        .values(last_seen_at=_utcnow())
    )
    db.session.commit()


def forget(sid: str) -> None:
    """Drop the row of a session that ended (logout, idle or absolute expiry)."""
    db.session.execute(delete(LoginSession).where(LoginSession.sid_hash == _hash(sid)))
    db.session.commit()


def is_current(row: LoginSession, sid: str) -> bool:
    """Say whether this row is the session making the request."""
    return hmac.compare_digest(row.sid_hash, _hash(sid))


# Built once (the account page runs it on every view): SQLAlchemy reuses its compiled form.
_LIVE = (
    select(LoginSession)
    .where(
        LoginSession.user_id == bindparam("user_id"),
        LoginSession.last_seen_at >= bindparam("idle_since"),
        LoginSession.created_at >= bindparam("login_since"),
    )
    .order_by(LoginSession.created_at.desc(), LoginSession.id)
)


def list_for(user_id: int, current_sid: str | None = None) -> list[LoginSession]:
    """Return the user's live sessions, newest first, after pruning those that have ended.

    The index says which sessions can still be live (last use within the idle timeout, login
    within the absolute lifetime: both columns indexed); one read of the store for the whole list,
    not one per session, then confirms that their records are still there (a Redis flush, a record
    deleted by hand). The page costs the same with one session or fifty. ``current_sid``, the
    session making the request, is live (its record was just read): with no other session, the
    store is not asked at all.
    """
    idle_since, login_since = _live_since()
    rows = db.session.scalars(
        _LIVE, {"user_id": user_id, "idle_since": idle_since, "login_since": login_since}
    ).all()
    current = _hash(current_sid) if current_sid is not None else None
    others = [row for row in rows if row.sid_hash != current]
    sids = {row.id: sid for row in others if (sid := _unseal(row)) is not None}
    stored = store.current().live(list(sids.values())) if sids else set()
    live = []
    for row in rows:
        # A record gone from the store (expired, flushed) is a session that can no longer be used.
        if row.sid_hash == current or sids.get(row.id) in stored:
            live.append(row)
        else:
            db.session.delete(row)
    if len(live) < len(rows):  # commit only a pruning: a commit expires every loaded object
        db.session.commit()
    return live


def end(user_id: int, row_id: int) -> bool:
    """End one session of this user: its store record and row go; False if it was not theirs."""
    row = db.session.scalar(
        select(LoginSession).where(LoginSession.id == row_id, LoginSession.user_id == user_id)
    )
    if row is None:
        return False
    _end_rows([row])
    return True


def end_all(user_id: int, *, keep_sid: str | None = None) -> int:
    """End every session of the user except ``keep_sid``'s; return how many were ended."""
    query = select(LoginSession).where(LoginSession.user_id == user_id)
    if keep_sid is not None:
        query = query.where(LoginSession.sid_hash != _hash(keep_sid))
    rows = db.session.scalars(query).all()
    _end_rows(rows)
    return len(rows)


def drop_from_records(user_id: int, key: str) -> None:
    """Remove ``key`` from the store record of every session of the user (their snapshot of the
    account, :mod:`prospectra.sessions.snapshot`): one index query, the records through the store."""
    rows = db.session.scalars(select(LoginSession).where(LoginSession.user_id == user_id)).all()
    store.current().discard([sid for row in rows if (sid := _unseal(row)) is not None], key)


def _end_rows(rows) -> None:
    sessions_store = store.current()
    for row in rows:
        sid = _unseal(row)
        if sid is not None:
            sessions_store.delete(sid)
        db.session.delete(row)
    db.session.commit()


def purge_expired(batch_size: int = 1000) -> int:
    """Delete entries of sessions past the idle timeout or the absolute lifetime; return how many."""
    # Two purges, one per indexed column: a batch then reads its rows through one index, where
    # an OR of both would leave the planner free to scan the whole table.
    idle_since, login_since = _live_since()
    return delete_in_batches(
        LoginSession, LoginSession.last_seen_at < idle_since, batch_size
    ) + delete_in_batches(LoginSession, LoginSession.created_at < login_since, batch_size)


def _live_since() -> tuple[datetime.datetime, datetime.datetime]:
    """The oldest last use and the oldest login that a live session can have now."""
    config = current_app.config
    now = _utcnow()
    return now - config["PERMANENT_SESSION_LIFETIME"], now - config["SESSION_ABSOLUTE_LIFETIME"]
