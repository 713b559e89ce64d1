"""The published cookie policy's data, derived from the registry and the settings."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from . import registry


def version(cookies: list[dict[str, Any]]) -> str:
    """Return a short fingerprint of the declared cookies: it changes whenever the declaration does.

    The issuer is left out so that moving to another domain is not taken for a new policy.
    """
    material = [{k: v for k, v in c.items() if k != "issuer"} for c in cookies]
    digest = hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()
    return digest[:12]


def declaration(settings: dict[str, Any]) -> dict[str, Any]:
    """Return the machine-readable declaration served at /legal/cookies.json."""
    service = settings["service"]
    cookies = registry.declared(settings)
    return {
        "service": service["domain"],
        "publisher": service["publisher"],
        "contact": service["contact_email"],
        "policy_date": service["policy_date"],
        "policy_version": version(cookies),
        "audience_measurement": [],
        "cookies": cookies,
        "other_trackers": [],
    }
