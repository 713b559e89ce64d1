"""Where a tag may run: public pages only, never the login page, a password field or a logged-in page.

A page is public when its view says so (:func:`prospectra.public.public`, which the public pages'
cache decorator applies); anything else, an error page included, never carries a tag, whatever the
config says. By default a tag runs on the public pages that the cookie policy's section 4 does not name
(the /legal/ and /help/ pages); a provider's ``pages`` setting narrows that or widens it to them.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable

from flask import Flask

from ..public import public_paths
from . import Provider
from . import ProviderError

# The public pages the policy's section 4 names as loading nothing from third parties (besides
# the login page, which is never public in this sense: it has a password field).
SECTION_4 = ("/legal/*", "/help/*")


def runs_on(provider: Provider, path: str) -> bool:
    """May ``provider``'s tag run on the public page at ``path``? (The caller checks public.)"""
    if provider.pages:
        return any(fnmatch.fnmatchcase(path, pattern) for pattern in provider.pages)
    return not any(fnmatch.fnmatchcase(path, pattern) for pattern in SECTION_4)


def paths_for(app: Flask, provider: Provider) -> list[str]:
    """The public pages ``provider``'s tag may run on, for the policy and `privacy status`."""
    return [path for path in public_paths(app) if runs_on(provider, path)]


def section_4_paths(app: Flask, provider: Provider) -> list[str]:
    """The pages section 4 names (/legal/, /help/) that ``provider``'s tag runs on: by default none."""
    return [
        path
        for path in paths_for(app, provider)
        if any(fnmatch.fnmatchcase(path, pattern) for pattern in SECTION_4)
    ]


def check(app: Flask, providers: Iterable[Provider]) -> None:
    """Refuse a ``pages`` pattern that names no public page (e.g. '/login', '/account').

    :raises ProviderError: naming the key.
    """
    paths = public_paths(app)
    for provider in providers:
        for i, pattern in enumerate(provider.pages):
            if not any(fnmatch.fnmatchcase(path, pattern) for path in paths):
                raise ProviderError(
                    f"analytics.{provider.key}.pages[{i}]: {pattern!r} names no public page "
                    f"(public pages: {', '.join(paths)}; never the login page, a page with a "
                    "password field or a logged-in page)"
                )
