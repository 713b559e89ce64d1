"""Whether the consent banner exists: the one place this is decided."""

from __future__ import annotations

from typing import Any

from ..analytics.providers import Provider


def banner_enabled(settings: dict[str, Any], providers: list[Provider]) -> bool:
    """On when a provider needs consent, or when ops force it on with any provider configured."""
    if any(not p.exempt for p in providers):
        return True
    return bool(providers) and settings["consent"]["banner"] == "on"
