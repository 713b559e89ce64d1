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
(:mod:`prospectra.caching.pages` does, for the views it serves), with status 200 and no Set-Cookie.

Any request carrying a cookie (a logged-in user's above all) reaches the app, and its response is
not kept: no copy of a logged-in page outlives the request that made it.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from typing import Any

from cachelib import SimpleCache

from ..i18n import LANGUAGES

# Set in the WSGI environ by the page cache (caching/pages.py) when the page is the same for every
# anonymous visitor: the one flag between the two layers of this package, and it goes one way.
SHAREABLE = "prospectra.shareable"
SECONDS = 600
MAX_ENTRIES = 256  # keys include Accept-Language as sent: bounded, the oldest go first
QUERIES = {""} | {f"lang={code}" for code in LANGUAGES}


class ResponseCache:
    """WSGI middleware in front of the Flask app (inside ProxyFix, so the URL is the public one)."""

    def __init__(self, wsgi_app: Callable, *, enabled: bool) -> None:
        self.wsgi_app = wsgi_app
        self.enabled = enabled
        self.store = SimpleCache(threshold=MAX_ENTRIES, default_timeout=SECONDS)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if not self.enabled or environ.get("REQUEST_METHOD") != "GET":
            return self.wsgi_app(environ, start_response)
        if environ.get("QUERY_STRING", "") not in QUERIES or environ.get("HTTP_COOKIE"):
            return self.wsgi_app(environ, start_response)
        return self._anonymous(environ, start_response)

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
        result, kept = self._run(environ, start_response)
        if kept is not None:
            self.store.set(key, kept)
        return result

    def _run(self, environ: dict, start_response: Callable) -> tuple[Iterable[bytes], Any]:
        """Run the app; return its body, and (status, headers, body) if it may be kept."""
        seen: dict[str, Any] = {}

        def recording_start_response(status: str, headers: list, exc_info: Any = None) -> Any:
            seen["status"], seen["headers"] = status, list(headers)
            return start_response(status, headers, exc_info)

        result = self.wsgi_app(environ, recording_start_response)
        if not environ.get(SHAREABLE):
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
            return [body], (seen["status"], tuple(headers), body)
        return [body], None
