"""The evidence bundle: a dated, hashed record of what the current policy version declares and
shows, kept to prove how consent was collected (CNIL: the controller must be able to show it).
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import json
import shutil
import threading
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.serving import WSGIRequestHandler
from werkzeug.serving import make_server

from .. import state
from ..paths import PACKAGE
from ..privacy import report
from .chromium import chromium

# The banner as users meet it: its template, the page around it, the settings page behind
# "Customise", and the only stylesheet and script the pages load.
BANNER_FILES = (
    "templates/consent/_banner.html",
    "templates/consent/settings.html",
    "templates/base.html",
    "static/style.css",
    "static/app.js",
)
# Settings that say what the policy promises; secrets and connection URLs stay out.
PRIVACY_SETTINGS = {
    "app": ("environment",),
    "service": None,  # None: the whole table
    "session": ("idle_timeout_minutes", "absolute_lifetime_hours"),
    "cookies": None,
    "consent": None,
    "analytics": None,
}
LANGUAGES = ("en", "fr")
# Do Not Track: the built-in statistics do not count the bundle's own page views, while the
# banner still shows (only Sec-GPC hides it).
QUIET = {"DNT": "1"}


def privacy_settings(settings: dict[str, Any]) -> dict[str, Any]:
    return {
        table: dict(settings[table])
        if keys is None
        else {key: settings[table][key] for key in keys}
        for table, keys in PRIVACY_SETTINGS.items()
    }


def write_bundle(app: Flask, folder: Path, executable: str) -> Path:
    """Write the bundle into a new dated subfolder of ``folder`` and return its path.

    :raises prospectra.audit.chromium.BrowserUnavailable: when the banner is on and no Chromium
        can take its screenshot.
    """
    declaration = state.of(app).declaration
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    bundle = folder / f"evidence-{now:%Y-%m-%dT%H%M%SZ}-policy-{declaration['policy_version']}"
    bundle.mkdir(parents=True)
    settings = app.config["PROSPECTRA"]
    _write(bundle / "cookies.json", json.dumps(declaration, indent=2, ensure_ascii=False))
    _write(bundle / "settings.json", json.dumps(privacy_settings(settings), indent=2))
    # What `privacy status` says: each exempt provider's conditions, asserted by configuration
    # or enforced by the app, and the banner decision with its reason.
    status = report.status(app)
    _write(bundle / "status.txt", report.text(status) + "\n")
    _write(bundle / "status.json", json.dumps(status, indent=2, ensure_ascii=False))
    client = app.test_client()
    base_url = f"https://{settings['service']['domain']}"
    for language in LANGUAGES:
        # A fresh app context each: under the CLI's own context every request would share its
        # `g`, where Flask-Babel keeps the locale of the first one.
        with app.app_context():
            page = client.get(f"/legal/cookies?lang={language}", base_url=base_url, headers=QUIET)
        if page.status_code != 200:
            raise RuntimeError(f"/legal/cookies?lang={language} answered {page.status_code}")
        (bundle / f"policy.{language}.html").write_bytes(page.get_data())
    for name in BANNER_FILES:
        target = bundle / "banner" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(PACKAGE / name, target)
    if declaration["consent_banner"]:
        _screenshot_banner(app, bundle, executable)
    files = sorted(p for p in bundle.rglob("*") if p.is_file())
    manifest = {
        "created": now.isoformat().replace("+00:00", "Z"),
        "policy_version": declaration["policy_version"],
        "policy_date": status["policy"]["date"],
        "service": declaration["service"],
        "consent_banner": declaration["consent_banner"],
        "consent_banner_reason": status["banner"]["reason"],
        "software": f"prospectra {metadata.version('prospectra')}",
        "banner_sha256": {name: _sha256(bundle / "banner" / name) for name in BANNER_FILES},
        "files": {str(p.relative_to(bundle)): _sha256(p) for p in files},
    }
    _write(bundle / "manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
    return bundle


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _screenshot_banner(app: Flask, bundle: Path, executable: str) -> None:
    """The home page as a first-time visitor sees it, banner included, in each language."""
    with served(app) as url, chromium(executable) as (_, browser):
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        context.set_extra_http_headers(QUIET)
        page = context.new_page()
        for language in LANGUAGES:
            page.goto(f"{url}/?lang={language}", wait_until="load")
            if not page.locator(".consent-banner").count():
                raise RuntimeError("the banner is declared on but the home page does not show it")
            page.screenshot(path=bundle / f"banner.{language}.png")
            context.clear_cookies()
        context.close()


@contextlib.contextmanager
def served(app: Flask) -> Iterator[str]:
    """Serve ``app`` on a free 127.0.0.1 port for the block, as if behind the TLS proxy.

    The scheme is set to https so that a production configuration, which redirects plain http,
    shows its pages; Chromium accepts Secure cookies from 127.0.0.1.
    """

    def as_https(environ, start_response):
        environ["wsgi.url_scheme"] = "https"
        return app(environ, start_response)

    server = make_server("127.0.0.1", 0, as_https, threaded=True, request_handler=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


class _Quiet(WSGIRequestHandler):
    """No access log on the terminal: the command prints the bundle's contents."""

    def log_request(self, *args: Any) -> None:
        pass
