"""Compare what the browser saw with the deployment's declaration: each departure is a finding."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from . import records
from .records import AuditRecord
from .records import CookieRecord
from .records import JourneyRecord
from .records import PageRecord

UNDECLARED_COOKIE = "undeclared cookie"
COOKIE_ATTRIBUTE = "cookie attribute differs"
COOKIE_EXPIRY = "cookie outlives its declaration"
BEFORE_CONSENT = "cookie set without consent"
THIRD_PARTY = "third-party request"
STORAGE = "browser storage used"
CSP_VIOLATION = "CSP violation"
BANNER_MISSING = "consent banner missing"
EXPIRY_SLACK_SECONDS = 60  # clocks and the time between Set-Cookie and reading the jar


@dataclass
class Finding:
    """One departure from the declaration, with the pages where it happened (first one first)."""

    kind: str
    journey: str
    subject: str
    detail: str
    pages: list[str] = field(default_factory=list)

    @property
    def page(self) -> str:
        return self.pages[0] if self.pages else ""


def findings(audit: AuditRecord) -> list[Finding]:
    """Every finding of the audit, one per journey, kind, subject and detail."""
    found: dict[tuple[str, str, str, str], Finding] = {}

    def add(journey: JourneyRecord, page: PageRecord, kind: str, subject: str, detail: str):
        key = (journey.name, kind, subject, detail)
        finding = found.setdefault(key, Finding(kind, journey.name, subject, detail))
        if page.url not in finding.pages:
            finding.pages.append(page.url)

    declared = audit.declaration.get("cookies", [])
    host = audit.base_url.split("//", 1)[-1].split("/", 1)[0].split(":")[0]
    for journey in audit.journeys:
        allowed = _allowed_origins(audit, journey)
        for page in journey.pages:
            for cookie in page.cookies:
                if cookie.name in page.cookies_set:
                    for kind, detail in _cookie_problems(cookie, declared, host, journey, page):
                        add(journey, page, kind, cookie.name, detail)
            for request in page.requests:
                if request.origin not in allowed:
                    where = (
                        "on load of an internal page" if journey.logged_in else "on a public page"
                    )
                    add(journey, page, THIRD_PARTY, request.origin, f"{where}: {request.url}")
            for kind, keys in page.storage.items():
                for key in keys:
                    add(journey, page, STORAGE, f"{kind}: {key}", "the policy declares none")
            for message in page.console:
                if "Content Security Policy" in message["text"]:
                    add(journey, page, CSP_VIOLATION, "console", message["text"][:300])
    result = list(found.values())
    if audit.declaration.get("consent_banner") and audit.journeys:
        if not any(j.consent != records.NOT_ASKED for j in audit.journeys):
            first = audit.journeys[0]
            result.append(
                Finding(
                    BANNER_MISSING,
                    first.name,
                    "banner",
                    "/legal/cookies.json says the banner is on; no 'Refuse all' button was found",
                    [first.pages[0].url] if first.pages else [],
                )
            )
    return result


def _allowed_origins(audit: AuditRecord, journey: JourneyRecord) -> set[str]:
    """The site itself, exempt providers' origins, and all providers' once the visitor accepted."""
    allowed = {audit.origin}
    for tool in audit.declaration.get("audience_measurement", []):
        if tool.get("exempt") or journey.consent == records.ACCEPTED:
            allowed.update(tool.get("origins", []))
    return allowed


def _declared_entry(name: str, declared: list[dict[str, Any]]) -> dict[str, Any] | None:
    exact = next((c for c in declared if c["name"] == name), None)
    return exact or next(
        (c for c in declared if "*" in c["name"] and fnmatch.fnmatchcase(name, c["name"])), None
    )


def _cookie_problems(
    cookie: CookieRecord,
    declared: list[dict[str, Any]],
    host: str,
    journey: JourneyRecord,
    page: PageRecord,
) -> list[tuple[str, str]]:
    if cookie.domain.lstrip(".") != host and not host.endswith("." + cookie.domain.lstrip(".")):
        return [(UNDECLARED_COOKIE, f"set for another site ({cookie.domain})")]
    entry = _declared_entry(cookie.name, declared)
    if entry is None:
        return [(UNDECLARED_COOKIE, "not in /legal/cookies.json")]
    expected = entry["attributes"]
    problems = []
    if expected["secure"] and not cookie.secure:
        problems.append((COOKIE_ATTRIBUTE, "lacks Secure"))
    if expected["http_only"] and not cookie.http_only:
        problems.append((COOKIE_ATTRIBUTE, "lacks HttpOnly"))
    if cookie.same_site.lower() != str(expected["same_site"]).lower():
        problems.append(
            (COOKIE_ATTRIBUTE, f"SameSite is {cookie.same_site}, declared {expected['same_site']}")
        )
    if cookie.path != expected["path"]:
        problems.append((COOKIE_ATTRIBUTE, f"Path is {cookie.path}, declared {expected['path']}"))
    if expected["domain"] is None and cookie.domain.startswith("."):
        problems.append((COOKIE_ATTRIBUTE, f"has Domain={cookie.domain}, declared host-only"))
    if cookie.expires is not None:
        lifetime = cookie.expires - page.observed_at
        if expected["max_age"] is None:
            problems.append(
                (COOKIE_EXPIRY, f"kept {_days(lifetime)}, declared for the browser session")
            )
        elif lifetime > expected["max_age"] + EXPIRY_SLACK_SECONDS:
            problems.append(
                (COOKIE_EXPIRY, f"kept {_days(lifetime)}, declared {_days(expected['max_age'])}")
            )
    if entry.get("consent_required") and journey.consent != records.ACCEPTED:
        problems.append((BEFORE_CONSENT, f"needs consent; consent {journey.consent}"))
    return problems


def _days(seconds: float) -> str:
    return f"{seconds / 86400:.0f} days"
