"""The session object: Flask-Session's server-side dict, with Flask-WTF's CSRF secret kept outside.

Flask-WTF keeps its CSRF secret in ``session["csrf_token"]`` (its maintainers declined to move it,
pallets-eco/flask-wtf#219); with Flask-Session that would store a server-side session, and set the
session cookie, for every anonymous visitor of a page with a form. Here that one key lives in an
attribute, which :mod:`prospectra.sessions.interface` keeps in a signed cookie of its own; every
other key stays in the server-side dict, and Flask-WTF is used unchanged.
"""

from __future__ import annotations

from typing import Any

CSRF_KEY = "csrf_token"  # Flask-WTF's WTF_CSRF_FIELD_NAME, the key it uses in the session
LOGIN_AT = "_login_at"  # epoch seconds of the login, for the absolute lifetime
STORED_AT = "_stored_at"  # epoch seconds of the last store write, for the idle timeout
USER_ID = "_user_id"  # where Flask-Login keeps the id of the logged-in user
USER_SNAPSHOT = "_user"  # what pages show of the account (prospectra.sessions.snapshot)


class CsrfOutside:
    """Mixed into Flask-Session's session classes: the CSRF key, and what this request did."""

    csrf: str | None = None
    csrf_changed = False
    stale_cookie = False  # the browser sent an id the store does not have (any more)
    ended_sid: str | None = None  # that id, whose listing goes too
    unavailable = False  # the store could not be read: 503, or a public page as anonymous
    untouched = False  # a static file: the store was not read, and nothing is saved
    stored = False  # the record was (re)written while saving this request
    rewrite = False  # write the record though nothing the browser holds changed (no Set-Cookie)

    def __contains__(self, key: object) -> bool:
        if key == CSRF_KEY:
            return self.csrf is not None
        return super().__contains__(key)

    def __getitem__(self, key: str) -> Any:
        if key != CSRF_KEY:
            return super().__getitem__(key)
        self.accessed = True
        if self.csrf is None:
            raise KeyError(key)
        return self.csrf

    def get(self, key: str, default: Any = None) -> Any:
        if key != CSRF_KEY:
            return super().get(key, default)
        self.accessed = True
        return self.csrf if self.csrf is not None else default

    def __setitem__(self, key: str, value: Any) -> None:
        if key != CSRF_KEY:
            return super().__setitem__(key, value)
        self.csrf, self.csrf_changed, self.accessed = value, True, True

    def pop(self, key: str, *default: Any) -> Any:
        if key != CSRF_KEY:
            return super().pop(key, *default)
        old = self.csrf
        self.csrf_changed = self.csrf_changed or old is not None
        self.csrf = None
