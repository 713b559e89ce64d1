"""Every password check of the web forms, limited per client address and per account.

Login and each re-authentication on the account page (ending sessions, changing the e-mail address
or the password, deleting the account) count against the same two sets of counters,
``[limits] login_per_address`` and ``login_per_account``: a wrong password typed on the account
page costs the account as much as one typed at login. Only wrong passwords count. Past a limit the
password is not checked at all (no hash is computed) and the caller shows its form again, with
status 429.

The counters live in ``[limits] storage_uri`` (:mod:`prospectra.counters`). They are read before the
check and written after it, so requests running at the same time can pass together: at most one
per gunicorn worker, a sync worker serving one request at a time.
"""

from __future__ import annotations

from flask import current_app
from flask import request
from flask_babel import lazy_gettext as _l
from limits import RateLimitItem
from limits import parse_many

from .. import accounts
from .. import state
from ..models import User

MESSAGE = _l(
    "There have been too many attempts from your connection or on this account. "
    "Wait a few minutes, then try again."
)


class TooManyAttempts(Exception):
    """A limit is reached: the password was not checked."""


def check_password(user: User | None, password: str, *, email: str = "") -> bool:
    """Say whether ``password`` is ``user``'s; a wrong one counts against the address and account.

    ``user`` is None at login when no account has the address typed (``email``): the check costs
    as much as a real one, and the failure is counted under that address, normalised as the
    account lookup normalises it, so that no spelling of an address escapes its counter.

    :raises TooManyAttempts: the client address or the account is past its limit.
    """
    counters = _counters(user, email)
    kept = state.current().counters
    if not all(kept.test(limit, *key) for limit, key in counters):
        raise TooManyAttempts
    if accounts.check_password(user, password):
        return True
    for limit, key in counters:
        kept.hit(limit, *key)
    return False


def account_key(user: User | None, email: str = "") -> str:
    """The per-account counter of a check: the account's id, else the normalised address typed."""
    if user is not None:
        return f"user:{user.id}"
    try:
        return "address:" + accounts.normalise_email(email)
    except accounts.AccountError:
        return "address:" + email.strip().lower()  # matches no account: any key will do


def _counters(user: User | None, email: str) -> list[tuple[RateLimitItem, tuple[str, ...]]]:
    settings = current_app.config["PROSPECTRA"]["limits"]
    # The client address (ProxyFix makes it the real one behind the configured proxies).
    address = ("password-checks", "client", request.remote_addr or "127.0.0.1")
    account = ("password-checks", "account", account_key(user, email))
    return [(limit, address) for limit in parse_many(settings["login_per_address"])] + [
        (limit, account) for limit in parse_many(settings["login_per_account"])
    ]
