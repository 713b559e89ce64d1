"""What the app works out from its settings once, at start, and every request then reads.

One typed object, ``app.extensions["prospectra"]``, built whole by :func:`prospectra.create_app`
before any extension or blueprint is bound, so no ``init_app`` depends on another having run
first. Only the policy history is filled in later: it is read from the database at first contact
(:mod:`prospectra.privacy.versions`).
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import Any

from cryptography.fernet import MultiFernet
from flask import Flask
from flask import current_app
from limits.strategies import RateLimiter

from .providers import Provider

KEY = "prospectra"


@dataclass
class ProspectraState:
    providers: tuple[Provider, ...]  # the configured tag providers, in the settings' order
    declaration: dict[str, Any]  # what the policy declares, as /legal/cookies.json serves it
    banner: bool  # whether the consent banner exists (prospectra.privacy.banner decides)
    banner_reason: str  # why, in the words `privacy status` prints
    mail_fernet: MultiFernet  # seals the SMTP passwords users save (prospectra.mail.crypto)
    counters: RateLimiter  # every limit's counters, in [limits] storage_uri (prospectra.counters)
    # Recorded versions, newest first, once the database has answered (empty until then).
    policy_history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def policy_version(self) -> str:
        return self.declaration["policy_version"]


def init_app(app: Flask, state: ProspectraState) -> None:
    app.extensions[KEY] = state


def of(app: Flask) -> ProspectraState:
    """The state of ``app`` (outside a request: the CLI, tests)."""
    return app.extensions[KEY]


def current() -> ProspectraState:
    """The state of the app handling this request."""
    return current_app.extensions[KEY]
