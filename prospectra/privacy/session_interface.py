"""Flask-Session for the login session, with Flask-WTF's CSRF secret in a cookie of its own.

Written by hand because no library does it: Flask-WTF keeps its CSRF secret in
``session["csrf_token"]`` (its maintainers declined to move it, pallets-eco/flask-wtf#219), and with
Flask-Session that would store a server-side session, and set the session cookie, for every
anonymous visitor of a page with a form. Here that one key lives in its own signed browser-session
cookie; everything else stays server-side, and Flask-WTF and Flask-Session are used unchanged.

The interface also enforces what Flask-Session leaves to the application: the absolute session
lifetime, deletions that carry the cookie's attributes (a browser ignores the deletion of a
``__Host-`` cookie without Secure), and the removal of a cookie whose server record is gone.

Two more things are decided here rather than in Flask-Session, which writes the store on every
request (one fsync each on SQLite):

- **When to write.** A record is rewritten when its data changed, or when it is older than a tenth
  of the idle timeout; a logged-in page otherwise costs one store read and no write. The idle
  timeout is checked by the app against the time the record was last written, so it can only end
  a session earlier than configured (by at most that tenth), never later.
- **Who is told.** ``on_store(session)`` runs after a record was written and ``on_end(sid)`` after
  one was deleted by logout or expiry, so that the user -> sessions index
  (:mod:`prospectra.session_index`) follows the store without a write per request.
- **Outages.** A store that cannot be reached while opening the session makes the request a 503,
  or a public page rendered as for an anonymous visitor (the ``before_request`` hook of
  :mod:`prospectra.sessions`); while saving, the finished response is turned into the 503 page.
  Static files never open the session at all. A 503 never writes the store or sets a cookie, so an outage loses
  nothing and changes nothing in the browser.
- **The record's key.** The store never holds the session id itself, only an HMAC-SHA256 of it
  under a key derived from the secret key (:meth:`SplitSessionInterface.store_id`, set as
  Flask-Session's ``_get_store_id`` for SQL and Redis alike): a copy of the SQLite file or a Redis
  dump lists no id a browser could present. Records written before this (keyed by the plain id)
  are not found any more: every session open at the upgrade ends, and those records expire.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask import Request
from flask.sessions import SessionInterface
from flask.wrappers import Response
from itsdangerous import BadData
from itsdangerous import URLSafeSerializer

from ..errors import SERVICE_ERRORS
from ..errors import turn_into_unavailable

CSRF_KEY = "csrf_token"  # Flask-WTF's WTF_CSRF_FIELD_NAME, the key it uses in the session
LOGIN_AT = "_login_at"  # epoch seconds of the login, for the absolute lifetime
STORED_AT = "_stored_at"  # epoch seconds of the last store write, for the idle timeout
REFRESH_FRACTION = 0.1  # rewrite an unchanged record once it is this much of the idle timeout old
_STORE_ID_CONTEXT = b"prospectra-session-store-id"


class _CsrfOutsideMixin:
    """Session behaviour for the one key kept outside the server-side dict."""

    csrf: str | None = None
    csrf_changed = False
    stale_cookie = False
    unavailable = False  # the store could not be read: 503, or a public page as anonymous
    untouched = False  # a static file: the store was not read, and nothing is saved
    stored = False  # the record was (re)written while saving this request
    ended_sid: str | None = None  # the id of a record the store no longer had

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
        if old is None and not default:
            raise KeyError(key)
        return old if old is not None else default[0]


class SplitSessionInterface(SessionInterface):
    """Wrap a Flask-Session interface; see the module docstring for what it adds."""

    def __init__(
        self,
        inner: SessionInterface,
        app: Flask,
        on_store: Callable[[Any], None] | None = None,
        on_end: Callable[[str], None] | None = None,
    ):
        self.inner = inner
        self.on_store, self.on_end = on_store, on_end
        inner.session_class = type(
            "Split" + inner.session_class.__name__, (_CsrfOutsideMixin, inner.session_class), {}
        )
        # Flask-Session's documented hook for "write the store now?" (it asks on every save).
        inner.should_set_storage = self._should_store
        # And the one place where it turns a session id into the record's key, for every store.
        inner._get_store_id = self.store_id
        self._app = app
        self.csrf_cookie = app.config["CSRF_COOKIE_NAME"]
        self.absolute_lifetime = app.config["SESSION_ABSOLUTE_LIFETIME"].total_seconds()
        self.idle_timeout = app.permanent_session_lifetime.total_seconds()
        self.refresh_after = self.idle_timeout * REFRESH_FRACTION
        self.static_prefix = (app.static_url_path or "/static") + "/"

    def __getattr__(self, name: str) -> Any:
        # regenerate(), sql_session_model, client ... stay reachable through the wrapper.
        return getattr(self.inner, name)

    def store_id(self, sid: str) -> str:
        """The store's key for session ``sid``: the key prefix, then a keyed hash of the id."""
        secret = self._app.secret_key
        if getattr(self, "_id_key_for", None) != secret:
            raw = secret.encode() if isinstance(secret, str) else secret
            self._id_key = hmac.new(raw, _STORE_ID_CONTEXT, hashlib.sha256).digest()
            self._id_key_for = secret
        digest = hmac.new(self._id_key, sid.encode(), hashlib.sha256).hexdigest()
        return self.inner.key_prefix + digest

    def _signer(self, app: Flask) -> URLSafeSerializer:
        # One serializer per secret key, not one per request (it derives its key each time).
        if getattr(self, "_signer_for", None) != app.secret_key:
            self._signer_cache = URLSafeSerializer(app.secret_key, salt="prospectra-csrf-cookie")
            self._signer_for = app.secret_key
        return self._signer_cache

    def open_session(self, app: Flask, request: Request):
        if request.path.startswith(self.static_prefix):
            # A static file depends on no session: it never waits for the store, nor fails
            # with it (the 503 page's own stylesheet is one).
            session = self.inner.session_class(sid=None)
            session.untouched = True
            return session
        try:
            session = self.inner.open_session(app, request)
        except SERVICE_ERRORS as error:
            app.logger.error("session store unavailable: %s: %s", type(error).__name__, error)
            session = self.inner.session_class(sid=None)
            session.unavailable = True
            return session
        except Exception:  # noqa: BLE001 (Flask-Session could not decode the record)
            # Unreadable, so unusable: the visitor is logged out (the cookie and the record go)
            # rather than shown an error on every page until the record expires.
            app.logger.exception("session record unreadable: the session is ended")
            session = self._unreadable(request.cookies.get(self.get_cookie_name(app), ""))
        sent_csrf = request.cookies.get(self.csrf_cookie)
        try:
            session.csrf = self._signer(app).loads(sent_csrf) if sent_csrf else None
        except BadData:
            session.csrf = None  # tampered: Flask-WTF says the secret is missing
        if not isinstance(session.csrf, str):
            session.csrf = None
        sent = request.cookies.get(self.get_cookie_name(app))
        if sent and sent != session.sid:
            session.stale_cookie = True  # unknown or expired on the server
            session.ended_sid = sent  # its listing, if any, goes too
        now = time.time()
        login_at = dict.get(session, LOGIN_AT)  # plain dict reads: not "accessed", no Vary
        stored_at = dict.get(session, STORED_AT)
        if (login_at is not None and (
            not isinstance(login_at, int) or now - login_at > self.absolute_lifetime
        )) or (stored_at is not None and (
            not isinstance(stored_at, int) or now - stored_at > self.idle_timeout
        )):  # fmt: skip
            session.clear()  # past a lifetime: logged out, record deleted on save
        return session

    def _unreadable(self, sid: str):
        inner = self.inner
        try:
            inner._delete_session(inner._get_store_id(sid))
        except SERVICE_ERRORS:
            pass  # it expires by itself; the cookie is removed all the same
        return inner.session_class(
            sid=inner._generate_sid(inner.sid_length), permanent=inner.permanent
        )

    def _should_store(self, app: Flask, session) -> bool:
        stored_at = dict.get(session, STORED_AT)
        now = int(time.time())
        if (
            session.modified
            or not isinstance(stored_at, int)
            or now - stored_at >= self.refresh_after
        ):
            dict.__setitem__(session, STORED_AT, now)  # a plain dict write: no Set-Cookie
            session.stored = True
            return True
        return False

    def save_session(self, app: Flask, session, response: Response) -> None:
        if session is None or session.unavailable or response.status_code == 503:
            return  # an outage: nothing stored, no cookie changed
        if session.untouched:
            return  # a static file: the session was never read
        ending = not session and (session.modified or session.stale_cookie)
        try:
            self.inner.save_session(app, session, response)
            if self.on_end is not None and ending and not session.stale_cookie:
                self.on_end(session.sid)
            elif self.on_store is not None and session.stored and session:
                self.on_store(session)
        except SERVICE_ERRORS as error:
            turn_into_unavailable(response, error)
            return
        if self.on_end is not None and ending and session.stale_cookie:
            self._forget_stale(app, session.ended_sid)
        if ending:
            self._delete(app, response, self.get_cookie_name(app))
        if session.csrf_changed:
            if session.csrf is None:
                self._delete(app, response, self.csrf_cookie)
            else:
                response.set_cookie(
                    self.csrf_cookie, self._signer(app).dumps(session.csrf), **self._attributes(app)
                )
            response.vary.add("Cookie")

    def _forget_stale(self, app: Flask, sid: str) -> None:
        # The store dropped this record by itself (expired): its listing goes too. Best effort:
        # a stale cookie on a public page must not turn an index outage into a 503, and the
        # listing and the purge command prune such entries anyway.
        try:
            self.on_end(sid)
        except SERVICE_ERRORS as error:
            app.logger.warning("session list not updated: %s: %s", type(error).__name__, error)

    def _attributes(self, app: Flask) -> dict[str, Any]:
        return {
            "path": "/",
            "secure": self.get_cookie_secure(app),
            "httponly": True,
            "samesite": self.get_cookie_samesite(app),
        }

    def _delete(self, app: Flask, response: Response, name: str) -> None:
        """Expire a cookie with the attributes it was set with (replacing a bare deletion)."""
        others = [h for h in response.headers.getlist("Set-Cookie") if not h.startswith(name + "=")]
        response.headers.remove("Set-Cookie")
        for header in others:
            response.headers.add("Set-Cookie", header)
        response.delete_cookie(name, **self._attributes(app))
        response.vary.add("Cookie")
