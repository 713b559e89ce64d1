"""Pytest helpers for testers: the app sets only the cookies it declares, with their attributes.

Enable them in a ``conftest.py`` with ``pytest_plugins = ["prospectra.testing"]``. That gives

- :func:`assert_only_declared_cookies`, to call on any test-client response;
- the autouse fixture :func:`declared_cookies_only`, which fails every test in which an app built
  by ``create_app`` answers with a cookie its registry does not declare, or with other attributes.
  A test that does so on purpose (the guard's own tests) says so with
  ``@pytest.mark.undeclared_cookies``.

The Set-Cookie headers are read with the standard library's ``http.cookies``, not with the
guard's parser, so a test cannot pass merely because the guard and the test share a mistake.
"""

from __future__ import annotations

import fnmatch
import time
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from http.cookies import CookieError
from http.cookies import Morsel
from http.cookies import SimpleCookie
from typing import Any

import pytest
from flask import Flask
from flask import request
from flask import request_finished

from . import state

MARKER = "undeclared_cookies"


def declared_cookies(app: Flask) -> list[dict[str, Any]]:
    """The cookies the app declares (its /legal/cookies.json entries)."""
    return state.of(app).declaration["cookies"]


def parse_set_cookie(header: str) -> Morsel:
    """One Set-Cookie header as a :class:`http.cookies.Morsel`.

    :raises AssertionError: when the header is not a readable cookie.
    """
    jar = SimpleCookie()
    try:
        jar.load(header)
    except CookieError:
        jar.clear()
    if len(jar) != 1:
        raise AssertionError(f"unreadable Set-Cookie header: {header!r}")
    return next(iter(jar.values()))


def is_deletion(morsel: Morsel) -> bool:
    """Whether the header only removes the cookie from the browser (expired at once)."""
    if morsel["max-age"]:
        return int(morsel["max-age"]) <= 0
    if morsel["expires"]:
        return parsedate_to_datetime(morsel["expires"]).timestamp() <= time.time()
    return False


def cookie_problems(header: str, declared: list[dict[str, Any]]) -> list[str]:
    """How one Set-Cookie header departs from the declared cookies; empty when it conforms."""
    morsel = parse_set_cookie(header)
    name = morsel.key
    entry = next((c for c in declared if c["name"] == name), None) or next(
        (c for c in declared if "*" in c["name"] and fnmatch.fnmatchcase(name, c["name"])), None
    )
    if entry is None:
        return [f"{name}: not declared"]
    want = entry["attributes"]
    problems = []
    if bool(morsel["secure"]) != want["secure"]:
        problems.append(f"{name}: Secure is {bool(morsel['secure'])}, declared {want['secure']}")
    if bool(morsel["httponly"]) != want["http_only"]:
        problems.append(
            f"{name}: HttpOnly is {bool(morsel['httponly'])}, declared {want['http_only']}"
        )
    if morsel["samesite"].lower() != want["same_site"].lower():
        problems.append(
            f"{name}: SameSite is {morsel['samesite']!r}, declared {want['same_site']!r}"
        )
    if morsel["path"] != want["path"]:
        problems.append(f"{name}: Path is {morsel['path']!r}, declared {want['path']!r}")
    if morsel["domain"] and want["domain"] is None:
        problems.append(f"{name}: Domain={morsel['domain']}, declared host-only")
    elif morsel["domain"] and morsel["domain"].lower().removeprefix(".") != want["domain"]:
        problems.append(f"{name}: Domain={morsel['domain']}, declared Domain={want['domain']}")
    if not is_deletion(morsel):
        if want["max_age"] is None and (morsel["max-age"] or morsel["expires"]):
            problems.append(f"{name}: persistent, declared for the browser session")
        elif want["max_age"] is not None and not (
            morsel["max-age"] and int(morsel["max-age"]) <= want["max_age"]
        ):
            problems.append(f"{name}: Max-Age {morsel['max-age']!r}, declared {want['max_age']}")
    return problems


def assert_only_declared_cookies(response: Any, app: Flask) -> dict[str, Morsel]:
    """Fail unless every cookie ``response`` sets is declared by ``app``, with its attributes.

    :returns: the cookies set, by name, for further checks (``value``, ``["max-age"]``...).
    """
    headers = response.headers.getlist("Set-Cookie")
    problems = [p for h in headers for p in cookie_problems(h, declared_cookies(app))]
    if problems:
        raise AssertionError("cookies departing from the registry: " + "; ".join(problems))
    return {m.key: m for m in map(parse_set_cookie, headers)}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{MARKER}: the test makes the app set an undeclared cookie on purpose"
    )


@pytest.fixture(autouse=True)
def declared_cookies_only(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail the test if any app answered with a cookie it does not declare, as declared.

    Listens to Flask's ``request_finished``, sent once the session is saved, so it sees the
    session and CSRF cookies too, and sees them before the production guard would drop them.
    """
    if request.node.get_closest_marker(MARKER):
        yield
        return
    seen: list[str] = []

    def check(app: Flask, response: Any, **extra: Any) -> None:
        shared = app.extensions.get(state.KEY)  # None: an app not built by create_app
        if shared is None:
            return
        declaration = shared.declaration
        for header in response.headers.getlist("Set-Cookie"):
            try:
                found = cookie_problems(header, declaration["cookies"])
            except AssertionError as e:
                found = [str(e)]
            seen.extend(f"{_path()}: {p}" for p in found)

    request_finished.connect(check, weak=False)
    try:
        yield
    finally:
        request_finished.disconnect(check)
    if seen:
        pytest.fail("the app set cookies its registry does not declare:\n" + "\n".join(seen))


def _path() -> str:
    return request.path
