"""The audit's results for people (terminal text) and for machines (JSON)."""

from __future__ import annotations

import dataclasses
import datetime
import json
from collections import Counter
from typing import Any

from .findings import Finding
from .records import AuditRecord
from .records import CookieRecord


def summary(audit: AuditRecord, found: list[Finding]) -> dict[str, Any]:
    """Per journey: pages, cookies seen, requests and the origins they went to; findings count."""
    journeys = []
    for journey in audit.journeys:
        origins = Counter(r.origin for p in journey.pages for r in p.requests)
        journeys.append(
            {
                "name": journey.name,
                "consent": journey.consent,
                # The page (0-based) where consent was withdrawn, for "accept, then withdraw".
                "withdrawn_at": journey.withdrawn_at,
                "logged_in": journey.logged_in,
                "pages": len(journey.pages),
                "cookies": sorted({c.name for p in journey.pages for c in p.cookies}),
                "requests": sum(origins.values()),
                "origins": dict(origins),
                "findings": sum(1 for f in found if f.journey == journey.name),
                "notes": journey.notes,
            }
        )
    return {
        "base_url": audit.base_url,
        "policy_version": audit.declaration.get("policy_version"),
        "consent_banner": audit.declaration.get("consent_banner"),
        "pages": sum(j["pages"] for j in journeys),
        "journeys": journeys,
        "findings": len(found),
    }


def expiry(cookie: CookieRecord, observed_at: float) -> str:
    if cookie.expires is None:
        return "session"
    date = datetime.datetime.fromtimestamp(cookie.expires, datetime.UTC)
    days = (cookie.expires - observed_at) / 86400
    return f"{date:%Y-%m-%d} ({days:.0f} d)"


def cookie_rows(audit: AuditRecord) -> dict[str, list[dict[str, Any]]]:
    """Per journey, each cookie as it was first seen, with the page that set it."""
    tables: dict[str, list[dict[str, Any]]] = {}
    for journey in audit.journeys:
        rows: dict[tuple[str, str, str], dict[str, Any]] = {}
        for page in journey.pages:
            for cookie in page.cookies:
                key = (cookie.name, cookie.domain, cookie.path)
                if key not in rows:
                    rows[key] = dataclasses.asdict(cookie) | {
                        "expiry": expiry(cookie, page.observed_at),
                        "first_page": page.url,
                    }
        tables[journey.name] = list(rows.values())
    return tables


def text(audit: AuditRecord, found: list[Finding]) -> str:
    """A report a person reads in the terminal."""
    s = summary(audit, found)
    lines = [
        f"Cookie audit of {audit.base_url} ({audit.browser}), {audit.started} to {audit.finished}",
        f"Policy version {s['policy_version']}; consent banner "
        f"{'declared on' if s['consent_banner'] else 'declared off'}",
        "",
    ]
    tables = cookie_rows(audit)
    for journey in s["journeys"]:
        lines.append(
            f"{journey['name']} (consent {journey['consent']}"
            f"{'' if journey['withdrawn_at'] is None else ', then withdrawn'}): "
            f"{journey['pages']} page(s), "
            f"{journey['requests']} request(s) to {', '.join(journey['origins']) or 'nowhere'}"
        )
        for row in tables[journey["name"]]:
            flags = [
                f for f, on in (("HttpOnly", row["http_only"]), ("Secure", row["secure"])) if on
            ]
            lines.append(
                f"  cookie {row['name']} on {row['domain']}{row['path']}: {row['expiry']}, "
                f"{' '.join(flags) or 'no flags'}, SameSite={row['same_site'] or '-'}, "
                f"{row['size']} bytes, first set on {row['first_page']}"
            )
        if not tables[journey["name"]]:
            lines.append("  no cookie")
        lines.extend(f"  note: {note}" for note in journey["notes"])
        lines.extend(
            f"  page not audited: {page.url or page.via}: {page.error}"
            for page in next(j for j in audit.journeys if j.name == journey["name"]).pages
            if page.error
        )
    lines.append("")
    if not found:
        lines.append("No finding: the browser saw only what /legal/cookies.json declares.")
    else:
        lines.append(f"{len(found)} finding(s):")
        for f in found:
            more = f" (and {len(f.pages) - 1} other page(s))" if len(f.pages) > 1 else ""
            lines.append(f"  [{f.journey}] {f.kind}: {f.subject}: {f.detail}")
            lines.append(f"      on {f.page}{more}")
    return "\n".join(lines)


def to_json(audit: AuditRecord, found: list[Finding]) -> str:
    """Everything seen, the findings and the summary; screenshots by file name only."""
    data = {
        "summary": summary(audit, found),
        "findings": [dataclasses.asdict(f) | {"page": f.page} for f in found],
        "audit": dataclasses.asdict(audit, dict_factory=_without_bytes),
    }
    return json.dumps(data, indent=2, ensure_ascii=False)


def _without_bytes(items: list[tuple[str, Any]]) -> dict[str, Any]:
    return {k: v for k, v in items if k != "png"}
