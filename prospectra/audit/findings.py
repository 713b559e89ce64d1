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
SURVIVES_WITHDRAWAL = "cookie survives withdrawal"
AFTER_WITHDRAWAL = "provider contacted after withdrawal"
NO_WITHDRAWAL = "consent cannot be withdrawn"
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
    providers = _provider_origins(audit)
    for journey in audit.journeys:
        for index, page in enumerate(journey.pages):
            consent = journey.consent_at(index)
            withdrawn = consent != journey.consent
            allowed = _allowed_origins(audit, consent)
            for cookie in page.cookies:
                if cookie.name in page.cookies_set:
                    for kind, detail in _cookie_problems(cookie, declared, host, consent, page):
                        add(journey, page, kind, cookie.name, detail)
            for request in page.requests:
                if withdrawn and request.origin in providers:
                    add(journey, page, AFTER_WITHDRAWAL, request.origin, request.url)
                elif request.origin not in allowed:
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
        if journey.name == records.WITHDRAW_JOURNEY and journey.pages:
            for kind, subject, detail in _withdrawal_problems(journey, declared):
                add(journey, journey.pages[-1], kind, subject, detail)
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


def _allowed_origins(audit: AuditRecord, consent: str) -> set[str]:
    """The site itself, exempt providers' origins, and all providers' once the visitor accepted."""
    allowed = {audit.origin}
    for tool in audit.declaration.get("audience_measurement", []):
        if tool.get("exempt") or consent == records.ACCEPTED:
            allowed.update(tool.get("origins", []))
    return allowed


def _provider_origins(audit: AuditRecord) -> set[str]:
    return {o for tool in audit.declaration.get("audience_measurement", []) for o in tool.get(
        "origins", [])}  # fmt: skip


def _withdrawal_problems(
    journey: JourneyRecord, declared: list[dict[str, Any]]
) -> list[tuple[str, str, str]]:
    """After "Refuse all" and the pages seen again, the jar holds no cookie of any provider."""
    if journey.withdrawn_at is None:
        why = "; ".join(journey.notes) or "the journey did not reach 'Refuse all'"
        return [(NO_WITHDRAWAL, "Cookie settings", why)]
    seen = len(journey.pages) - 1 - journey.withdrawn_at
    problems = []
    for cookie in journey.pages[-1].cookies:
        entry = _declared_entry(cookie.name, [c for c in declared if c.get("provider")])
        if entry is not None:
            problems.append((
                SURVIVES_WITHDRAWAL, cookie.name,
                f"still in the browser {seen} page(s) after 'Refuse all' (domain {cookie.domain}, "
                f"path {cookie.path}); declared {_scope(entry['attributes'])}",
            ))  # fmt: skip
    return problems


def _scope(attributes: dict[str, Any]) -> str:
    domain = attributes.get("domain")
    where = f"domain {domain}" if domain else "host-only"
    return f"{where}, path {attributes.get('path') or '/'}"


def _declared_entry(name: str, declared: list[dict[str, Any]]) -> dict[str, Any] | None:
    exact = next((c for c in declared if c["name"] == name), None)
    return exact or next(
        (c for c in declared if "*" in c["name"] and fnmatch.fnmatchcase(name, c["name"])), None
    )


def _cookie_problems(
    cookie: CookieRecord,
    declared: list[dict[str, Any]],
    host: str,
    consent: str,
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
    # As declared: host-only (a browser keeps a Domain equal to an IP address or a single label
    # such as localhost as host-only), or on the declared domain, which a browser shows dotted.
    domain = expected.get("domain")
    if domain is None and cookie.domain.startswith("."):
        problems.append((COOKIE_ATTRIBUTE, f"has Domain={cookie.domain}, declared host-only"))
    elif domain is not None and cookie.domain.lstrip(".") != domain:
        problems.append((COOKIE_ATTRIBUTE, f"Domain is {cookie.domain}, declared {domain}"))
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
    if entry.get("consent_required") and consent != records.ACCEPTED:
        problems.append((BEFORE_CONSENT, f"needs consent; consent {consent}"))
    return problems


def _days(seconds: float) -> str:
    return f"{seconds / 86400:.0f} days"
