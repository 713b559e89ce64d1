"""The Set-Cookie guard: no response leaves the application with a cookie the registry lacks.

It wraps the WSGI application rather than hooking ``after_request``, because Flask runs
``after_request`` functions before it saves the session, so a hook would never see the session
and CSRF cookies; here every header is checked, from views, extensions, errors and static files.
"""

from __future__ import annotations

import fnmatch
import logging
from collections.abc import Callable
from collections.abc import Iterable
from email.utils import parsedate_to_datetime
from typing import Any

from flask import Flask

from .. import state

logger = logging.getLogger("prospectra.privacy.guard")


class UndeclaredCookieError(RuntimeError):
    """The application tried to set a cookie the registry does not declare as sent."""


def parse_set_cookie(header: str) -> tuple[str, str, dict[str, str]]:
    """Split a Set-Cookie header into name, value and lower-cased attributes."""
    first, _, rest = header.partition(";")
    name, _, value = first.partition("=")
    attributes: dict[str, str] = {}
    for part in rest.split(";"):
        key, _, val = part.strip().partition("=")
        if key:
            attributes[key.lower()] = val.strip()
    return name.strip(), value.strip(), attributes


def is_deletion(attributes: dict[str, str]) -> bool:
    """Tell whether a Set-Cookie only expires the cookie."""
    if attributes.get("max-age", "").lstrip("-").isdigit():
        return int(attributes["max-age"]) <= 0
    if "expires" in attributes:
        try:
            return parsedate_to_datetime(attributes["expires"]).year < 2000
        except (TypeError, ValueError):
            return False
    return False


def problems(header: str, declared: dict[str, dict[str, Any]]) -> list[str]:
    """List how one Set-Cookie header departs from the registry (empty: it conforms)."""
    name, _, attrs = parse_set_cookie(header)
    expected = declared.get(name) or next(
        (
            a
            for pattern, a in declared.items()
            if "*" in pattern and fnmatch.fnmatchcase(name, pattern)
        ),
        None,
    )
    if expected is None:
        return [f"cookie {name!r} is not declared in the registry"]
    found = []
    if expected["secure"] and "secure" not in attrs:
        found.append("lacks Secure")
    if expected["http_only"] and "httponly" not in attrs:
        found.append("lacks HttpOnly")
    if attrs.get("samesite", "").lower() != expected["same_site"].lower():
        found.append(f"SameSite is {attrs.get('samesite')!r}, declared {expected['same_site']!r}")
    if attrs.get("path") != expected["path"]:
        found.append(f"Path is {attrs.get('path')!r}, declared {expected['path']!r}")
    # A provider cookie declared with a domain is deleted there too (withdrawal); any other
    # Domain, and any Domain on a host-only cookie (the app's own), is refused.
    if "domain" in attrs and expected.get("domain") is None:
        found.append("has a Domain attribute")
    elif "domain" in attrs and attrs["domain"].lstrip(".").lower() != expected["domain"]:
        found.append(f"has Domain={attrs['domain']}, declared {expected['domain']}")
    if not is_deletion(attrs):
        max_age = attrs.get("max-age")
        if expected["max_age"] is None and (max_age or "expires" in attrs):
            found.append("persists beyond the browser session")
        elif expected["max_age"] is not None and (
            not (max_age or "").isdigit() or int(max_age) > expected["max_age"]
        ):
            found.append(f"Max-Age {max_age!r} exceeds the declared {expected['max_age']}")
    return [f"cookie {name!r} {p}" for p in found]


class CookieGuard:
    """WSGI middleware checking every Set-Cookie against the declared cookies.

    :param strict: raise :class:`UndeclaredCookieError` (development, tests); otherwise drop the
        header and log an error (production), so the response still reaches the user.
    """

    def __init__(
        self, wsgi_app: Callable, declared: Iterable[dict[str, Any]], *, strict: bool
    ) -> None:
        self.wsgi_app = wsgi_app
        self.declared = {c["name"]: c["attributes"] for c in declared}
        self.strict = strict

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        def guarded_start_response(status: str, headers: list, exc_info: Any = None) -> Any:
            kept = []
            for key, value in headers:
                found = problems(value, self.declared) if key.lower() == "set-cookie" else []
                if found and self.strict:
                    raise UndeclaredCookieError("; ".join(found))
                if found:
                    logger.error("dropped Set-Cookie on %s: %s", environ.get("PATH_INFO"), found)
                    continue
                kept.append((key, value))
            return start_response(status, kept, exc_info)

        return self.wsgi_app(environ, guarded_start_response)


def wrap(app: Flask) -> CookieGuard:
    """The guard in front of ``app``'s WSGI application, checking against the declared cookies.

    Strict in development, in tests and under the debugger; production drops and logs.
    """
    production = app.config["PROSPECTRA"]["app"]["environment"] == "production"
    strict = app.debug or app.testing or not production
    return CookieGuard(app.wsgi_app, state.of(app).declaration["cookies"], strict=strict)
