"""Which login sessions each user has, so that they can see them and end them (ASVS 3.3.3, 3.3.4).

Flask-Session keys its records by session id alone, in SQL or in Redis, and cannot answer "which
sessions are Ada's?". Each login session therefore also has a row in ``login_sessions``: created at
login, its ``last_seen_at`` moved only when the session record itself is rewritten (no write per
request), deleted at logout, at expiry, and when the user ends the session.

The row never holds the session id: a SHA-256 of it finds the row, and the id sealed with the
secret key lets "end this session" delete the store record, so the cookie is anonymous on its next
request. A leaked copy of this table is thus no list of usable session ids.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac

from flask import current_app
from flask import request
from sqlalchemy import delete
from sqlalchemy import select
from sqlalchemy import update

from .database import delete_in_batches
from .extensions import db
from .models import LoginSession

_SEAL_CONTEXT = b"prospectra-session-index"


def _utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _hash(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


def _pad(sid_hash: str, length: int) -> bytes:
    # A keyed pseudo-random pad, unique per session (HMAC-SHA512 over the id's hash): the sealed id
    # reads as noise without the secret key. No encryption library is installed for this one use.
    key = current_app.secret_key
    key = key.encode() if isinstance(key, str) else key
    pad = hmac.new(key, _SEAL_CONTEXT + sid_hash.encode(), hashlib.sha512).digest()
    if length > len(pad):
        raise ValueError("session id longer than the sealing pad")
    return pad[:length]


def _seal(sid: str) -> str:
    raw = sid.encode()
    return bytes(a ^ b for a, b in zip(raw, _pad(_hash(sid), len(raw)), strict=True)).hex()


def _unseal(row: LoginSession) -> str | None:
    sealed = bytes.fromhex(row.sealed_sid)
    sid = bytes(a ^ b for a, b in zip(sealed, _pad(row.sid_hash, len(sealed)), strict=True))
    try:
        sid_text = sid.decode()
    except UnicodeDecodeError:
        return None  # sealed under another secret key: the record can only expire by itself
    return sid_text if _hash(sid_text) == row.sid_hash else None


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


def list_for(user_id: int) -> list[LoginSession]:
    """Return the user's live sessions, newest first, after pruning those that have ended.

    The index says which sessions can still be live (last use within the idle timeout, login
    within the absolute lifetime: both columns indexed); one read of the store for the whole list,
    not one per session, then confirms that their records are still there (a Redis flush, a record
    deleted by hand). The page costs the same with one session or fifty.
    """
    idle_since, login_since = _live_since()
    rows = db.session.scalars(
        select(LoginSession)
        .where(
            LoginSession.user_id == user_id,
            LoginSession.last_seen_at >= idle_since,
            LoginSession.created_at >= login_since,
        )
        .order_by(LoginSession.created_at.desc(), LoginSession.id)
    ).all()
    store_id = current_app.session_interface.store_id
    keys = {row.id: store_id(sid) for row in rows if (sid := _unseal(row)) is not None}
    stored = _in_store(list(keys.values()))
    live = []
    for row in rows:
        # A record gone from the store (expired, flushed) is a session that can no longer be used.
        if keys.get(row.id) in stored:
            live.append(row)
        else:
            db.session.delete(row)
    if len(live) < len(rows):  # commit only a pruning: a commit expires every loaded object
        db.session.commit()
    return live


def _in_store(keys: list[str]) -> set[str]:
    """Which of these store keys have a live record: one query, or one Redis round trip."""
    if not keys:
        return set()
    interface = current_app.session_interface
    if current_app.config["SESSION_TYPE"] == "redis":
        pipeline = interface.client.pipeline(transaction=False)
        for key in keys:
            pipeline.exists(key)  # Redis drops a record at its expiry by itself
        return {key for key, found in zip(keys, pipeline.execute(), strict=True) if found}
    table = interface.sql_session_model.__table__
    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)  # the store keeps naive UTC
    return set(
        db.session.scalars(
            select(table.c.session_id).where(table.c.session_id.in_(keys), table.c.expiry > now)
        )
    )


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


def _end_rows(rows) -> None:
    interface = current_app.session_interface
    for row in rows:
        sid = _unseal(row)
        if sid is not None:
            # Flask-Session's own deletion, the same call for SQL and Redis stores.
            interface._delete_session(interface.store_id(sid))
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
