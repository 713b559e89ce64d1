"""The text of `flask --app wsgi privacy status`: what the running configuration declares."""

from __future__ import annotations

from typing import Any

from ..analytics import providers as analytics
from ..consent.banner import banner_enabled
from . import policy


def status_text(settings: dict[str, Any]) -> str:
    """Describe providers (exempt or not, and why), cookies, policy version and banner state."""
    providers = analytics.build(settings)
    declaration = policy.declaration(settings)
    lines = [
        f"Policy version: {declaration['policy_version']} (dated {declaration['policy_date']})"
    ]
    lines.append("Audience measurement providers:" if providers else "Audience measurement: none")
    for p in providers:
        verdict = "exempt" if p.exempt else "needs prior consent"
        lines.append(f"  - {p.key}: {p.name}: {verdict}: {p.why}")
    lines.append("Declared cookies:")
    for c in declaration["cookies"]:
        age = c["attributes"]["max_age"]
        lifetime = "browser session" if age is None else f"{age // 86400} days"
        consent = "consent required" if c["consent_required"] else "no consent needed"
        lines.append(f"  - {c['name']} ({c['category']}, {lifetime}, {consent})")
    state = "on" if banner_enabled(settings, providers) else "off"
    lines.append(f"Consent banner: {state} (consent.banner = {settings['consent']['banner']!r})")
    return "\n".join(lines)
