"""The published cookie policy's data, derived from the registry and the settings."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flask import Flask
from flask import current_app

from ..analytics import providers as analytics
from ..consent.banner import banner_enabled
from . import registry


def version(cookies: list[dict[str, Any]], measurement: list[dict[str, Any]] = ()) -> str:
    """Return a short fingerprint of what the policy declares; it changes with the declaration.

    Issuers are left out so that moving to another domain is not taken for a new policy.
    """
    material = {
        "cookies": [{k: v for k, v in c.items() if k != "issuer"} for c in cookies],
        "audience_measurement": list(measurement),
    }
    digest = hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()
    return digest[:12]


def measurement(settings: dict[str, Any]) -> list[dict[str, Any]]:
    """Describe each configured audience-measurement provider as the policy states it."""
    return [
        {
            "provider": p.key,
            "name": p.name,
            "controller": p.controller or settings["service"]["publisher"],
            "purpose_key": p.purpose_key,
            "purpose": p.purpose,
            "exempt": p.exempt,
            "why": p.why,
            "cookies": [c.name for c in p.cookies],
            "origins": list(p.origins),
            # Patterns of the pages the tag may run on; empty: the default (see analytics.pages).
            "pages": list(p.pages),
            "policy_url": p.policy_url,
            "data_retention_months": p.data_retention_months,
            "exemption_conditions": [
                {"condition": c.text, "enforced": c.enforced, "fr": {"condition": c.text_fr}}
                for c in p.conditions
            ],
            "fr": p.fr,
        }
        for p in analytics.build(settings)
    ]


def declaration(settings: dict[str, Any]) -> dict[str, Any]:
    """Return the machine-readable declaration served at /legal/cookies.json."""
    service = settings["service"]
    cookies = registry.declared(settings)
    tools = measurement(settings)
    return {
        "service": service["domain"],
        "publisher": service["publisher"],
        "contact": service["contact_email"],
        "policy_date": service["policy_date"],
        "policy_version": version(cookies, tools),
        "audience_measurement": tools,
        "consent_banner": banner_enabled(settings, analytics.build(settings)),
        "cookies": cookies,
        "other_trackers": [],
    }


def init_app(app: Flask) -> None:
    """Compute the declaration once: the settings do not change while the app runs."""
    app.extensions["prospectra.declaration"] = declared = declaration(app.config["PROSPECTRA"])
    app.extensions["prospectra.policy_version"] = declared["policy_version"]


def current() -> dict[str, Any]:
    """The running app's declaration (see :func:`declaration`)."""
    return current_app.extensions["prospectra.declaration"]
