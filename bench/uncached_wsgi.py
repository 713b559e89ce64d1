"""Prospectra with its page caches off, to measure what they are worth (issue 16, item 3).

Loaded by bench/run.py as a server of its own beside the real app, under the same settings: the
response cache passes every request through, and Flask-Caching gets a NullCache, so neither public
views nor the layout's ``{% cache %}`` fragments are kept. Patching here, in the bench only, keeps
a switch that exists for measurement out of the product's settings.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from prospectra import caching
from prospectra.caching import pages

_bind = pages.cache.init_app


def _null_cache(app: Flask, config: dict[str, Any] | None = None) -> None:
    _bind(app, config={"CACHE_TYPE": "NullCache", "CACHE_NO_NULL_WARNING": True})


pages.cache.init_app = _null_cache  # type: ignore[method-assign]
caching.wrap = lambda app: app.wsgi_app  # type: ignore[assignment]

from prospectra.wsgi import app  # noqa: E402 (built after the patches)

__all__ = ["app"]
