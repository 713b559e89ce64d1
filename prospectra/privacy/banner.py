"""Whether the consent banner exists, and why: the one place this is decided."""

from __future__ import annotations

from typing import Any

from ..providers import Provider


def banner_decision(settings: dict[str, Any], providers: list[Provider]) -> tuple[bool, str]:
    """Return whether the banner shows and the reason, in the words `privacy status` prints.

    On when a provider needs consent, or when ops force it on with exempt providers only; off
    with no provider, and with exempt providers only unless forced.
    """
    setting = settings["consent"]["banner"]
    needing = [p for p in providers if not p.exempt]
    if needing:
        names = ", ".join(f"{p.key} ({p.name})" for p in needing)
        return True, f"{names} {'needs' if len(needing) == 1 else 'need'} prior consent"
    if not providers:
        return False, "no provider configured"
    if setting == "on":
        return True, "forced by consent.banner = 'on' with exempt providers only"
    return False, f"every provider is exempt (consent.banner = {setting!r})"


def banner_enabled(settings: dict[str, Any], providers: list[Provider]) -> bool:
    """On when a provider needs consent, or when ops force it on with any provider configured."""
    return banner_decision(settings, providers)[0]
