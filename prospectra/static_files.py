"""The app's static files: URLs that name their content, and the hashes scripts are checked with.

Every ``url_for('static', ...)`` carries ``?v=`` and a digest of the file, so a URL names one
content: browsers and the proxy may keep it a year (``immutable``), and a release that changes a
file changes its URL. A request without it, or with another digest (a page older than the
release), is answered as before: revalidated each time. Written here because neither Flask nor
its extensions version static URLs. Scripts also get their Subresource Integrity hash.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any

from flask import Flask
from flask import request
from flask import url_for
from flask.wrappers import Response
from markupsafe import Markup

VERSION = "v"  # the query parameter
IMMUTABLE_SECONDS = 365 * 24 * 3600


class StaticFiles:
    """Digests of the files in ``folder``, read once per file and process (a release restarts)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.digests: dict[str, bytes] = {}

    def digest(self, filename: str) -> bytes | None:
        if filename not in self.digests:
            path = (self.folder / filename).resolve()
            if not path.is_relative_to(self.folder.resolve()) or not path.is_file():
                return None  # Flask's static view answers 404 for it; no version to give
            self.digests[filename] = hashlib.sha384(path.read_bytes()).digest()
        return self.digests[filename]

    def version(self, filename: str) -> str | None:
        digest = self.digest(filename)
        return base64.urlsafe_b64encode(digest[:9]).decode() if digest else None

    def add_version(self, endpoint: str, values: dict[str, Any]) -> None:
        """Flask's url_defaults hook: ``url_for('static', filename=...)`` gets ``v=<digest>``."""
        if endpoint == "static" and VERSION not in values:
            version = self.version(values.get("filename", ""))
            if version is not None:
                values[VERSION] = version

    def cache(self, response: Response) -> Response:
        """A file asked for under its current digest may be kept a year, unchanged."""
        if request.endpoint != "static" or response.status_code != 200:
            return response
        version = self.version((request.view_args or {}).get("filename", ""))
        if version is not None and request.args.get(VERSION) == version:
            response.cache_control.no_cache = None
            response.cache_control.public = True
            response.cache_control.max_age = IMMUTABLE_SECONDS
            response.cache_control.immutable = True
        return response

    def script_tag(self, filename: str, data: dict | None = None) -> Markup:
        """A deferred ``<script>`` for a static file, with its hash and ``data-`` attributes."""
        integrity = "sha384-" + base64.b64encode(self.digest(filename)).decode()
        src = url_for("static", filename=filename)
        extra = Markup("").join(
            Markup(' data-{}="{}"').format(k, v) for k, v in (data or {}).items()
        )
        return Markup('<script src="{}" integrity="{}"{} defer></script>').format(
            src, integrity, extra
        )


def init_app(app: Flask) -> None:
    files = StaticFiles(Path(app.static_folder))
    app.url_defaults(files.add_version)
    app.after_request(files.cache)
    app.jinja_env.globals["script_tag"] = files.script_tag
