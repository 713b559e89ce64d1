"""A real Chromium (Debian's, launched by path) against the app served on 127.0.0.1."""

from __future__ import annotations

import contextlib
import shutil
import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

from prospectra import create_app
from prospectra.accounts import create_user
from tests.helpers import PASSWORD

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@contextlib.contextmanager
def serve(app) -> Iterator[str]:
    """Serve ``app`` on a free 127.0.0.1 port for the duration of the block; yield its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def live_server(tmp_path_factory) -> Iterator[str]:
    """Serve a fresh app with one account (ada@example.org) on a free loopback port."""
    instance = tmp_path_factory.mktemp("instance")
    app = create_app({"app": {"instance_path": str(instance)}}, testing=True)
    with app.app_context():
        create_user("ada@example.org", PASSWORD)
    with serve(app) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or "/usr/bin/chromium"
    if not shutil.which(executable):
        pytest.fail("Debian's chromium is not installed (make test installs it with apt)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_FLAGS
        )
        yield browser
        browser.close()


@pytest.fixture
def context(browser):
    """A fresh browser profile: no cookie, no storage."""
    context = browser.new_context()
    yield context
    context.close()
