"""Whole responses of public pages, replayed to visitors who send no cookie (a micro-cache).

A visitor with no cookie at all is anonymous, has made no consent choice and has no session: every
layer of the app (Talisman, the CSP, Flask-Login, Flask-Session, the consent state, the cookie
guard) answers such a visitor's request for a public page with the same bytes, for the same URL
and Accept-Language. So the finished response is kept and replayed, as a caching reverse proxy
would, without running the app again. Written by hand: Flask-Caching caches a view's return value
inside the request pipeline, not the response the pipeline makes.

Only with no audience measurement configured: measurement counts each view and its tags and CSP
depend on each visitor's signals (Sec-GPC, DNT), so with a provider every request reaches the app.
A response is kept only when the app marked it as the same for every anonymous visitor
(:mod:`prospectra.page_cache` does, for the views it serves), with status 200 and no Set-Cookie.

A logged-in user's page is kept too when the app marked it replayable with its proof
(:mod:`prospectra.session_replay`): it is keyed by every header of the request, so it is only ever
replayed to the same browser sending the same request, and only after the proof was checked against
the session store and the database. Any other request carrying a cookie reaches the app.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from typing import Any

from cachelib import SimpleCache

from .i18n import LANGUAGES
from .session_replay import REPLAYABLE
from .session_replay import Checker

# Set in the WSGI environ by the page cache when the page is the same for every anonymous visitor.
SHAREABLE = "prospectra.shareable"
SECONDS = 600
MAX_ENTRIES = 256  # keys include Accept-Language as sent: bounded, the oldest go first
MAX_SESSION_ENTRIES = 1024  # browser-and-page pairs seen in the last refresh window
QUERIES = {""} | {f"lang={code}" for code in LANGUAGES}


class ResponseCache:
    """WSGI middleware in front of the Flask app (inside ProxyFix, so the URL is the public one)."""

    def __init__(
        self,
        wsgi_app: Callable,
        *,
        enabled: bool,
        checker: Checker | None = None,
    ) -> None:
        self.wsgi_app = wsgi_app
        self.enabled = enabled
        self.store = SimpleCache(threshold=MAX_ENTRIES, default_timeout=SECONDS)
        # Per-browser pages, dropped when their session's refresh window ends: no replay after it.
        window = int(checker.refresh_after) + 1 if checker else SECONDS
        self.sessions = SimpleCache(threshold=MAX_SESSION_ENTRIES, default_timeout=window)
        self.session_marker = f"{checker.cookie_name}=" if checker else None
        self.checker = checker

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if not self.enabled or environ.get("REQUEST_METHOD") != "GET":
            return self.wsgi_app(environ, start_response)
        if environ.get("QUERY_STRING", "") not in QUERIES:
            return self.wsgi_app(environ, start_response)
        if not environ.get("HTTP_COOKIE"):
            return self._anonymous(environ, start_response)
        if self.session_marker and self.session_marker in environ["HTTP_COOKIE"]:
            return self._logged_in(environ, start_response)
        return self.wsgi_app(environ, start_response)

    def _anonymous(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        key = "\n".join((
            environ.get("wsgi.url_scheme", ""),
            environ.get("HTTP_HOST", ""),
            environ.get("PATH_INFO", ""),
            environ.get("QUERY_STRING", ""),
            environ.get("HTTP_ACCEPT_LANGUAGE", ""),
        ))  # fmt: skip
        stored = self.store.get(key)
        if stored is not None:
            status, headers, body = stored
            start_response(status, list(headers))
            return [body]
        result, kept = self._run(environ, start_response, SHAREABLE)
        if kept is not None:
            self.store.set(key, kept[:3])
        return result

    def _logged_in(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        # The whole request as the app sees it: URL, client address and every header.
        key = "\n".join([
            environ.get("wsgi.url_scheme", ""),
            environ.get("PATH_INFO", ""),
            environ.get("QUERY_STRING", ""),
            environ.get("REMOTE_ADDR", ""),
            *sorted(f"{k}:{v}" for k, v in environ.items() if k.startswith("HTTP_")),
        ])  # fmt: skip
        stored = self.sessions.get(key)
        if stored is not None:
            status, headers, body, proof = stored
            if self.checker.holds(proof, environ):
                start_response(status, list(headers))
                return [body]
            self.sessions.delete(key)
        result, kept = self._run(environ, start_response, REPLAYABLE)
        if kept is not None:
            self.sessions.set(key, kept)
        return result

    def _run(
        self, environ: dict, start_response: Callable, mark: str
    ) -> tuple[Iterable[bytes], Any]:
        """Run the app; return its body, and (status, headers, body, mark) if it may be kept."""
        seen: dict[str, Any] = {}

        def recording_start_response(status: str, headers: list, exc_info: Any = None) -> Any:
            seen["status"], seen["headers"] = status, list(headers)
            return start_response(status, headers, exc_info)

        result = self.wsgi_app(environ, recording_start_response)
        marked = environ.get(mark)
        if not marked:
            return result, None
        try:
            body = b"".join(result)  # a page: a few kilobytes
        finally:
            if hasattr(result, "close"):
                result.close()
        headers = seen.get("headers", [])
        if seen.get("status", "").startswith("200 ") and not any(
            name.lower() == "set-cookie" for name, _ in headers
        ):
            return [body], (seen["status"], tuple(headers), body, marked)
        return [body], None
