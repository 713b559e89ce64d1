"""Accounts: creation, changes, deletion and password checks, shared by the views and the CLI."""

from __future__ import annotations

import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError
from argon2.exceptions import VerificationError
from email_validator import EmailNotValidError
from email_validator import validate_email
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import update

from . import state
from .extensions import db
from .mail import store as mail_store
from .models import User
from .sessions import index as session_index
from .sessions import snapshot

MIN_PASSWORD = 12
MAX_PASSWORD = 256
_hasher = PasswordHasher()


class AccountError(ValueError):
    """The request cannot be carried out; the message is meant for the person who made it."""


def normalise_email(email: str) -> str:
    """Return the canonical form of an address, or raise :class:`AccountError`."""
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as e:
        raise AccountError(f"Not a valid e-mail address: {e}") from None


def find_user(email: str) -> User | None:
    """Return the account with this e-mail address, if any (the address is normalised first)."""
    try:
        email = normalise_email(email)
    except AccountError:
        return None
    return db.session.scalar(select(User).where(User.email == email))


def create_user(email: str, password: str, *, admin: bool = False) -> User:
    """Create an account.

    :raises AccountError: invalid address, address already used, or password out of bounds.
    """
    email = normalise_email(email)
    _check_length(password)
    if find_user(email) is not None:
        raise AccountError(f"An account with the address {email} already exists.")
    user = User(
        email=email,
        password_hash=_hasher.hash(password),
        is_admin=admin,
        # A new account has nothing to be told about: the policy it is shown is the current one.
        policy_version_seen=state.current().policy_version,
    )
    db.session.add(user)
    db.session.commit()
    return user


def _check_length(password: str) -> None:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise AccountError(
            f"The password must have between {MIN_PASSWORD} and {MAX_PASSWORD} characters."
        )


@functools.cache
def _dummy_hash() -> str:
    """The hash checked against when the e-mail is unknown, so that the answer takes as long as a
    wrong password. Made on first use, not at import: every CLI command imports this module."""
    return _hasher.hash("not a password: equalises the login timing")


def check_password(user: User | None, password: str) -> bool:
    """Say whether ``password`` is the user's; with no user, take as long and say no.

    The one place a password is verified (login and every re-authentication; the web forms reach
    it through :mod:`prospectra.auth.throttle`). A hash made with older parameters is replaced.
    """
    dummy = _dummy_hash()  # the first check of a process makes it, known e-mail or not
    try:
        _hasher.verify(user.password_hash if user else dummy, password)
    except (VerificationError, InvalidHashError):
        return False
    if user is None:
        return False
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
        db.session.commit()
    return True


def change_password(user: User, new_password: str, *, keep_sid: str | None = None) -> int:
    """Set a new password and end every session of the user but ``keep_sid``'s; return how many.

    :raises AccountError: password out of bounds.
    """
    _check_length(new_password)
    user.password_hash = _hasher.hash(new_password)
    db.session.commit()
    ended = session_index.end_all(user.id, keep_sid=keep_sid)
    snapshot.forget(user.id)  # the session kept reads the account again
    return ended


def change_email(user: User, new_email: str) -> bool:
    """Give the account a new address, unless another account has it; say whether it has it now.

    A taken address changes nothing and raises nothing: the caller answers the same either way,
    so that the form cannot be used to learn who has an account.

    :raises AccountError: invalid address.
    """
    email = normalise_email(new_email)
    other = find_user(email)
    if other is not None and other.id != user.id:
        return False
    user.email = email
    db.session.commit()
    snapshot.forget(user.id)  # every device shows the new address on its next page
    return True


def mark_policy_seen(user_id: int, version: str) -> bool:
    """Note that the user was told about policy ``version``; False if they already were (another
    device told them first: each change of the policy is shown once per account)."""
    told = db.session.execute(
        update(User)
        .where(User.id == user_id)
        .where(or_(User.policy_version_seen.is_(None), User.policy_version_seen != version))
        .values(policy_version_seen=version)
    )
    db.session.commit()
    snapshot.forget(user_id)  # every session of the account now knows, this one included
    return told.rowcount == 1


def delete_user(email: str) -> bool:
    """Delete an account and end all its sessions; return False when there was none."""
    user = find_user(email)
    if user is None:
        return False
    session_index.end_all(user.id)
    mail_store.forget_user(user.id)
    db.session.delete(user)
    db.session.commit()
    return True


def authenticate(email: str, password: str) -> User | None:
    """Return the user whose e-mail and password these are, else None, in constant-ish time."""
    user = find_user(email)
    return user if check_password(user, password) else None
