"""The Flask application class, with a Jinja environment whose templates start faster.

Every render copies the template's globals (Jinja's ``new_context``) out of a ``ChainMap`` of the
template's own globals over the environment's; Python's ``ChainMap`` finds each of the ~40
environment globals by trying the template's (empty) map first and catching the ``KeyError``,
about 7 µs of every page. :meth:`Environment.make_globals` is Jinja's documented hook for that map;
this one looks the key up before reading it. Nothing else differs from Flask's.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import MutableMapping
from typing import Any

from flask import Flask
from flask.templating import Environment as FlaskEnvironment


class _Globals(ChainMap):
    """A ChainMap read without raising: the same mapping, the same lookups in the same order."""

    def __getitem__(self, key: str) -> Any:
        for mapping in self.maps:
            if key in mapping:
                return mapping[key]
        return self.__missing__(key)


class Environment(FlaskEnvironment):
    def make_globals(self, d: MutableMapping[str, Any] | None) -> ChainMap:
        return _Globals({} if d is None else d, self.globals)


class App(Flask):
    jinja_environment = Environment
