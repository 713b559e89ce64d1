"""Public pages: the same for every visitor, with no form holding a password.

A view says it is one (:func:`public`, which the page cache's ``public_page`` decorator applies);
the sessions, the page cache, the consent state and the tag rules all ask :func:`is_public`, and
the tests and the bench list them from :func:`public_paths`. Low-level: it knows nothing of them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

_MARK = "_prospectra_public_page"


def public(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark ``view`` as a public page: the same for every visitor, no form with a password."""
    setattr(view, _MARK, True)
    return view


def is_public(view: Callable[..., Any] | None) -> bool:
    return bool(getattr(view, _MARK, False))


def public_paths(app: Flask) -> list[str]:
    """The paths of the public pages (rules without variable parts)."""
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or ()) and not rule.arguments
        and is_public(app.view_functions.get(rule.endpoint))
    )  # fmt: skip
