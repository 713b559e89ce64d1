"""Debian's Chromium, driven by Playwright's sync API: found by path, never downloaded."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

# Playwright adds --headless itself; the rest keep the browser from calling Google home, so the
# only requests recorded are the ones the audited pages make.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
INSTALL = "pip install 'prospectra[audit]'"


class BrowserUnavailable(RuntimeError):
    """Playwright or Chromium is missing or does not start; the message says what to do."""


@contextlib.contextmanager
def chromium(executable: str) -> Iterator[tuple[Any, Any]]:
    """Yield ``(playwright, browser)``: a headless Chromium started from ``executable``.

    :raises BrowserUnavailable: with a one-line message naming what is missing.
    """
    try:
        from playwright.sync_api import Error
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise BrowserUnavailable(f"Playwright is not installed: {INSTALL}") from None
    if not (os.path.isfile(executable) and os.access(executable, os.X_OK)):
        raise BrowserUnavailable(
            f"Chromium not found at {executable}: install it (apt-get install chromium), "
            "or give its path with --chromium or the audit.chromium setting"
        )
    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(
                executable_path=executable, headless=True, args=FLAGS
            )
        except Error as e:
            first_line = str(e).strip().splitlines()[0]
            raise BrowserUnavailable(
                f"Chromium at {executable} did not start: {first_line}"
            ) from None
        try:
            yield playwright, browser
        finally:
            browser.close()
