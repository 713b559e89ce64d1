"""What `flask --app wsgi privacy status` tells ops: the running configuration's declaration.

One dictionary (:func:`status`, printed as is by ``--json``) and its text (:func:`text`), which
says nothing the dictionary does not hold.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from .. import state
from ..providers import Provider
from ..providers import ProviderCookie
from ..providers import pages
from . import versions

# How the consent state treats the browser signals (prospectra.consent.decision, ConsentState).
SIGNALS = {
    "sec_gpc": (
        "Sec-GPC: 1 is a refusal of every provider: no banner, nothing that needs consent runs "
        "and exempt measurement stops; a choice made in Cookie settings prevails"
    ),
    "dnt": (
        "DNT: 1 is an objection to exempt measurement, which stops; the banner still asks for "
        "what needs consent; a choice made in Cookie settings prevails"
    ),
}
ENFORCED = "enforced by the app"
ASSERTED = "asserted by configuration"


def status(app: Flask) -> dict[str, Any]:
    """The policy version, each provider as it runs, the choice's lifetime, the signals, the
    banner decision with its reason and the declared cookies (stable keys, for machines)."""
    settings = app.config["PROSPECTRA"]
    shared = state.of(app)
    providers, declaration = shared.providers, shared.declaration
    on, reason = shared.banner, shared.banner_reason
    publisher = settings["service"]["publisher"]
    return {
        "policy": {"version": declaration["policy_version"], "date": _in_force_since(app)},
        "providers": [_provider(app, p, publisher) for p in providers],
        "choice_days": settings["consent"]["choice_days"],
        "signals": dict(SIGNALS),
        "banner": {"on": on, "reason": reason, "setting": settings["consent"]["banner"]},
        "cookies": [_declared_cookie(c) for c in declaration["cookies"]],
    }


def _in_force_since(app: Flask) -> str | None:
    """The day the running version came into force (None until the database first answered)."""
    since = versions.in_force_since(app)
    return since.date().isoformat() if since else None


def _in_days(seconds: int) -> str:
    """Ops read lifetimes as configured, in days ("395 days"), where the pages say "13 months"."""
    if seconds < 86400:
        return f"{seconds // 60} minutes"
    days = seconds // 86400
    return f"{days} day" if days == 1 else f"{days} days"


def status_text(app: Flask) -> str:
    """The report ops read: see :func:`status`."""
    return text(status(app))


def text(report: dict[str, Any]) -> str:
    """Render a :func:`status` dictionary as the lines `privacy status` prints."""
    policy = report["policy"]
    lines = [f"Policy version: {policy['version']} (dated {policy['date']})"]
    if report["providers"]:
        lines.append("Providers (analytics.providers):")
    else:
        lines.append("Audience measurement: none, and no other tag (analytics.providers = [])")
    for p in report["providers"]:
        lines += _provider_lines(p)
    lines.append(
        f"Choice remembered: {report['choice_days']} days (consent.choice_days), then asked again"
    )
    lines += [report["signals"]["sec_gpc"], report["signals"]["dnt"]]
    banner = report["banner"]
    lines.append(f"Consent banner: {'on' if banner['on'] else 'off'} — {banner['reason']}")
    lines.append("Declared cookies:")
    for c in report["cookies"]:
        consent = "consent required" if c["consent_required"] else "no consent needed"
        lines.append(
            f"  - {c['name']} ({c['category']}, {c['lifetime']}, {consent}): {_scope(c)}"
            + (", HttpOnly" if c["http_only"] else "")
        )
    return "\n".join(lines)


def _provider(app: Flask, p: Provider, publisher: str) -> dict[str, Any]:
    return {
        "key": p.key,
        "name": p.name,
        "controller": p.controller or f"{publisher} (the publisher)",
        "purpose_key": p.purpose_key,
        "purpose_label": p.purpose_label,
        "purpose": p.purpose,
        "exempt": p.exempt,
        "why": p.why,
        "policy_url": p.policy_url,
        "origins": list(p.origins),
        "pages": {
            "tag": p.template is not None,
            "paths": pages.paths_for(app, p) if p.template else [],
            "patterns": list(p.pages),  # empty: the default
        },
        "cookies": [_provider_cookie(c) for c in p.cookies],
        "data_retention_months": p.data_retention_months,
        "exemption_conditions": [
            {"condition": c.text, "enforced": c.enforced} for c in p.conditions
        ],
    }


def _provider_lines(p: dict[str, Any]) -> list[str]:
    verdict = "exempt from consent" if p["exempt"] else "needs prior consent"
    lines = [
        f"  - {p['key']}: {p['name']}: {verdict}",
        f"      why: {p['why']}",
        f"      controller: {p['controller']}",
        f"      purpose: {p['purpose_label']} ({p['purpose_key']}): {p['purpose']}",
    ]
    if p["policy_url"]:
        lines.append(f"      policy: {p['policy_url']}")
    lines.append(f"      origins: {', '.join(p['origins']) or 'none (nothing leaves the server)'}")
    lines.append(f"      pages: {_pages(p['pages'])}")
    if p["cookies"]:
        lines.append("      cookies:")
        lines += [
            f"        - {c['name']}{' (name pattern)' if c['name'].endswith('*') else ''}: "
            f"{c['lifetime']}, {_scope(c)}"
            for c in p["cookies"]
        ]
    else:
        lines.append("      cookies: none")
    months = p["data_retention_months"]
    lines.append(
        f"      data retention: {months} months" if months
        else "      data retention: not declared (decided by the controller)"
    )  # fmt: skip
    if p["exempt"]:
        lines.append("      exemption conditions:")
        lines += [
            f"        - [{ENFORCED if c['enforced'] else ASSERTED}] {c['condition']}"
            for c in p["exemption_conditions"]
        ]
    return lines


def _pages(p: dict[str, Any]) -> str:
    if not p["tag"]:
        return "no tag: the server itself counts the HTML pages it serves, by route"
    paths = ", ".join(p["paths"]) or "none"
    if p["patterns"]:
        return f"{paths} (configured: {', '.join(p['patterns'])})"
    return f"{paths} (default: public pages but {', '.join(pages.SECTION_4)})"


def _provider_cookie(c: ProviderCookie) -> dict[str, Any]:
    return {
        "name": c.name,
        "lifetime": _in_days(c.max_age),
        "max_age": c.max_age,
        "domain": c.domain,
        "path": c.path,
        "secure": c.secure,
        "same_site": c.same_site,
    }


def _declared_cookie(c: dict[str, Any]) -> dict[str, Any]:
    attributes = c["attributes"]
    age = attributes["max_age"]
    return {
        "name": c["name"],
        "category": c["category"],
        "consent_required": c["consent_required"],
        "lifetime": "browser session" if age is None else _in_days(age),
        "max_age": age,
        "domain": attributes["domain"],
        "path": attributes["path"],
        "secure": attributes["secure"],
        "http_only": attributes["http_only"],
        "same_site": attributes["same_site"],
    }


def _scope(c: dict[str, Any]) -> str:
    where = f"domain {c['domain']} and its subdomains" if c["domain"] else "host-only"
    secure = "Secure, " if c["secure"] else "not Secure, "
    return f"{where}, path {c['path']}, {secure}SameSite={c['same_site']}"
