"""Adding a name to a response's ``Vary`` header, on the path every page takes.

werkzeug's ``response.vary.add()`` parses the header into a set and writes it back (~5 µs), and
every page adds two names (``Accept-Language``, then ``Cookie``); here the header is only read.
"""

from __future__ import annotations

from werkzeug.wrappers import Response


def add(response: Response, name: str) -> None:
    """Make ``response`` vary with request header ``name`` (once, whatever its case)."""
    current = response.headers.get("Vary")
    if current is None:
        response.headers["Vary"] = name
    elif current.strip() == "*" or name.lower() in (v.strip().lower() for v in current.split(",")):
        return
    else:
        response.headers["Vary"] = f"{current}, {name}"
