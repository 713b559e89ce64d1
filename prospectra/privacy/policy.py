"""The published cookie policy's data, derived from the registry and the settings."""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import urlsplit

from .. import registry
from ..providers import build as build_providers
from .banner import banner_enabled


def version(
    cookies: list[dict[str, Any]],
    measurement: list[dict[str, Any]] = (),
    legal: dict[str, Any] | None = None,
) -> str:
    """Return a short fingerprint of what the legal pages state; it changes with any of it.

    The cookies and tools, and the mentions the pages render from the settings (``legal``, see
    :func:`mentions`): a new publisher or host makes a new version and moves "Last updated".
    A cookie's issuer is left out: it is the publisher and domain, counted once in ``legal``.
    """
    material = {
        "cookies": [{k: v for k, v in c.items() if k != "issuer"} for c in cookies],
        "audience_measurement": list(measurement),
        "mentions": legal,
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
            # Patterns of the pages the tag may run on; empty: the default (see providers.pages).
            "pages": list(p.pages),
            "policy_url": p.policy_url,
            # Who receives the data, in which country and under which safeguard (GDPR art. 13).
            "legal_name": p.legal_name,
            "role": p.role,
            "country": p.country,
            "transfer_safeguard": p.transfer_safeguard,
            "data_retention_months": p.data_retention_months,
            "exemption_conditions": [
                {"condition": c.text, "enforced": c.enforced, "fr": {"condition": c.text_fr}}
                for c in p.conditions
            ],
            "fr": p.fr,
        }
        for p in build_providers(settings)
    ]


# Settings of [service] that no page states as a mention (the port is part of the address).
NOT_STATED = ("public_port", "policy_date")
# What the assistant's provider is, as the privacy notice names it; never its key or model.
ASSISTANT_STATED = (
    "provider",
    "legal_name",
    "role",
    "country",
    "transfer_safeguard",
    "privacy_policy_url",
)


def mentions(settings: dict[str, Any]) -> dict[str, Any]:
    """What the legal notice and privacy notice render from the settings, besides cookies and
    tools: the publisher's identity, domain and contact, the host, the DPO, the assistant's
    provider and the retention periods. Part of the version: a change of any is a new version."""
    assist = settings.get("assist", {})
    on = assist.get("provider", "none") not in ("", "none")
    return {
        "service": {k: v for k, v in settings["service"].items() if k not in NOT_STATED},
        "hosting": dict(settings.get("hosting") or {}),
        "access_log_retention_days": settings.get("server", {}).get("access_log_retention_days"),
        "consent_record_retention_days": settings["consent"]["record_retention_days"],
        "assistant": {
            **{k: assist.get(k, "") for k in ASSISTANT_STATED},
            "host": urlsplit(assist.get("base_url", "")).hostname or "",
        }
        if on
        else None,
    }


def declaration(settings: dict[str, Any]) -> dict[str, Any]:
    """Return the machine-readable declaration served at /legal/cookies.json."""
    service = settings["service"]
    cookies = registry.declared(settings)
    tools = measurement(settings)
    legal = mentions(settings)
    # No date here: a version's date is when it came into force (privacy/versions.py).
    return {
        "service": service["domain"],
        "publisher": service["publisher"],
        "contact": service["contact_email"],
        "policy_version": version(cookies, tools, legal),
        "mentions": legal,
        "audience_measurement": tools,
        "consent_banner": banner_enabled(settings, build_providers(settings)),
        "cookies": cookies,
        "other_trackers": [],
    }
