"""The test suite's own promise: in CI a missing PostgreSQL or Redis fails the run, never skips."""

from __future__ import annotations

import pytest

from tests import backends


@pytest.fixture
def unreachable(monkeypatch):
    monkeypatch.setattr(backends, "_unreachable", lambda: "PostgreSQL unreachable (test)")


def test_unreachable_services_fail_the_run_in_ci(unreachable, monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must test"):
        backends.require_services()


def test_unreachable_services_skip_with_the_reason_elsewhere(unreachable, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="PostgreSQL unreachable"):
        backends.require_services()
