"""Flask's session interface for Prospectra: the store's record plus a CSRF cookie of its own.

Wraps a :class:`~prospectra.sessions.store.Store` and uses only its seam. It adds what Flask-Session
leaves to the application:

- Flask-WTF's CSRF secret (:mod:`prospectra.sessions.split`) in its own signed browser-session
  cookie, so an anonymous visitor of a page with a form gets no server-side session;
- the absolute session lifetime, and the idle timeout against the last write;
- deletions that carry the cookie's attributes (a browser ignores the deletion of a ``__Host-``
  cookie without Secure), and the removal of a cookie whose server record is gone;
- ``before_store(session)`` before a login session's record is written (its account snapshot is
  taken again then), ``on_store(sid)`` after, and ``on_end(sid)`` after one was deleted by logout
  or expiry, so that the user -> sessions index follows the store without a write per request;
- outages: a store that cannot be read leaves the session marked ``unavailable`` (the
  ``before_request`` hook of :mod:`prospectra.sessions` then refuses the pages that need it); one
  that fails while saving raises :class:`~prospectra.sessions.store.StoreUnavailable`, which the
  error handlers turn into the 503 page. Static files never open the session at all.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask import Request
from flask.sessions import SessionInterface
from flask.wrappers import Response
from itsdangerous import BadData
from itsdangerous import URLSafeSerializer

from .. import vary
from ..outages import SERVICE_ERRORS
from .split import LOGIN_AT
from .split import STORED_AT
from .split import USER_ID
from .split import CsrfOutside
from .store import Store
from .store import StoreUnavailable


class SplitSessionInterface(SessionInterface):
    def __init__(
        self,
        store: Store,
        app: Flask,
        on_store: Callable[[str], None],
        on_end: Callable[[str], None],
        before_store: Callable[[CsrfOutside], None],
    ) -> None:
        self.store = store
        self.on_store, self.on_end, self.before_store = on_store, on_end, before_store
        self.csrf_cookie = app.config["CSRF_COOKIE_NAME"]
        self.absolute_lifetime = app.config["SESSION_ABSOLUTE_LIFETIME"].total_seconds()
        self.idle_timeout = app.permanent_session_lifetime.total_seconds()
        self.static_prefix = (app.static_url_path or "/static") + "/"

    def _signer(self, app: Flask) -> URLSafeSerializer:
        # One serializer per secret key, not one per request (it derives its key each time). It
        # signs with the current key and accepts the previous ones (itsdangerous: oldest first).
        keys = [*reversed(app.config.get("SECRET_KEY_FALLBACKS") or ()), app.secret_key]
        if getattr(self, "_signer_for", None) != keys:
            self._signer_cache = URLSafeSerializer(keys, salt="prospectra-csrf-cookie")
            self._signer_for = keys
        return self._signer_cache

    def open_session(self, app: Flask, request: Request) -> CsrfOutside:
        if request.path.startswith(self.static_prefix):
            # A static file depends on no session: it never waits for the store, nor fails
            # with it (the 503 page's own stylesheet is one).
            session = self.store.new_session()
            session.untouched = True
            return session
        try:
            session = self.store.open_session(app, request)
        except StoreUnavailable as error:
            app.logger.error("session store unavailable: %s", error.__cause__ or error)
            session = self.store.new_session()
            session.unavailable = True
            return session
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
        if self._past_a_lifetime(session):
            session.clear()  # logged out, record deleted on save
        return session

    def _past_a_lifetime(self, session: CsrfOutside) -> bool:
        now = time.time()
        login_at = dict.get(session, LOGIN_AT)  # plain dict reads: not "accessed", no Vary
        stored_at = dict.get(session, STORED_AT)
        if login_at is not None and (
            not isinstance(login_at, int) or now - login_at > self.absolute_lifetime
        ):
            return True
        return stored_at is not None and (
            not isinstance(stored_at, int) or now - stored_at > self.idle_timeout
        )

    def save_session(self, app: Flask, session: CsrfOutside, response: Response) -> None:
        if session is None or session.unavailable or response.status_code == 503:
            return  # an outage: nothing stored, no cookie changed
        if session.untouched:
            return  # a static file: the session was never read
        ending = not session and (session.modified or session.stale_cookie)
        login = dict.get(session, USER_ID) is not None  # only login sessions are listed
        if login and self.store.due(session):
            self.before_store(session)
        self.store.save_session(app, session, response)  # StoreUnavailable: the 503 page
        if ending and not session.stale_cookie:
            self.on_end(session.sid)
        elif session.stored and login:
            self.on_store(session.sid)
        if ending and session.stale_cookie:
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
            vary.add(response, "Cookie")

    def _forget_stale(self, app: Flask, sid: str | None) -> None:
        # The store dropped this record by itself (expired): its listing goes too. Best effort:
        # a stale cookie on a public page must not turn an index outage into a 503, and the
        # listing and the purge command prune such entries anyway.
        try:
            self.on_end(sid or "")
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
        vary.add(response, "Cookie")
