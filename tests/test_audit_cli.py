"""`privacy audit` refuses clearly, in one line, what it cannot do (exit status 2)."""

from __future__ import annotations

import sys

import pytest


def test_audit_says_in_one_line_when_chromium_is_missing(runner, tmp_path):
    missing = tmp_path / "chromium"
    args = ["privacy", "audit", "http://127.0.0.1:9/", "--chromium", str(missing)]
    result = runner.invoke(args=args)
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"Error: Chromium not found at {missing}: install it (apt-get install chromium), or give "
        "its path with --chromium or the audit.chromium setting"
    ]


def test_audit_says_in_one_line_when_playwright_is_missing(runner, monkeypatch):
    monkeypatch.setitem(sys.modules, "playwright.sync_api", None)  # as if not installed
    result = runner.invoke(args=["privacy", "audit", "http://127.0.0.1:9/"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "Error: Playwright is not installed: pip install 'prospectra[audit]'"
    ]


def test_audit_takes_no_password_argument(runner):
    args = ["privacy", "audit", "http://127.0.0.1:9/", "--user", "a@b.c", "--password", "x"]
    result = runner.invoke(args=args)
    assert result.exit_code == 2 and "No such option '--password'" in result.output


@pytest.mark.browser
def test_audit_of_an_unreachable_site_fails_in_one_line(runner):
    result = runner.invoke(args=["privacy", "audit", "http://127.0.0.1:9/"])
    assert result.exit_code == 2
    (line,) = result.output.strip().splitlines()
    assert line.startswith("Error: ") and "ECONNREFUSED" in line
