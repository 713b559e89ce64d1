"""The audit's rules, on records built by hand: what is a finding and what is not."""

from __future__ import annotations

import pytest

from prospectra.audit import findings as kinds
from prospectra.audit.findings import findings
from prospectra.audit.records import ACCEPTED
from prospectra.audit.records import NOT_ASKED
from prospectra.audit.records import AuditRecord
from prospectra.audit.records import CookieRecord
from prospectra.audit.records import JourneyRecord
from prospectra.audit.records import PageRecord
from prospectra.audit.records import RequestRecord

SITE = "https://app.example.org"
NOW = 1_800_000_000.0
DAY = 86400
SESSION_ONLY = {"secure": True, "http_only": True, "same_site": "Lax", "path": "/",
                "domain": None, "max_age": None}  # fmt: skip
DECLARATION = {
    "consent_banner": True,
    "cookies": [
        {"name": "__Host-csrf", "consent_required": False, "attributes": SESSION_ONLY},
        {"name": "_pk_id.1.*", "consent_required": True,
         "attributes": SESSION_ONLY | {"http_only": False, "max_age": 395 * DAY}},
    ],
    "audience_measurement": [
        {"provider": "matomo", "exempt": False, "origins": ["https://stats.example.org"]},
        {"provider": "builtin", "exempt": True, "origins": ["https://count.example.org"]},
    ],
}  # fmt: skip


def cookie(name: str, **changes) -> CookieRecord:
    fields = dict(domain="app.example.org", path="/", expires=None, http_only=True, secure=True,
                  same_site="Lax", size=40)  # fmt: skip
    return CookieRecord(name=name, **(fields | changes))


def audit_of(*pages: PageRecord, consent: str = NOT_ASKED, banner: bool = True) -> AuditRecord:
    journey = JourneyRecord("first visit" if consent == NOT_ASKED else "accept all", consent)
    journey.pages.extend(pages)
    return AuditRecord(
        base_url=SITE + "/",
        started="",
        declaration=DECLARATION | {"consent_banner": banner},
        journeys=[journey, JourneyRecord("refuse all", "refused")],
    )


def page(path: str = "/", cookies=(), requests=(), **fields) -> PageRecord:
    cookies = list(cookies)
    return PageRecord(
        url=SITE + path, via="link", status=200, observed_at=NOW, cookies=cookies,
        cookies_set=[c.name for c in cookies], requests=list(requests), **fields,
    )  # fmt: skip


def kinds_of(audit: AuditRecord) -> list[tuple[str, str, str]]:
    return [(f.kind, f.subject, f.detail) for f in findings(audit)]


def test_a_declared_family_of_cookies_matches_by_pattern_once_consent_is_given():
    matomo = cookie("_pk_id.1.a1b2", http_only=False, expires=NOW + 395 * DAY)
    assert kinds_of(audit_of(page(cookies=[matomo]), consent=ACCEPTED)) == []


@pytest.mark.parametrize(
    ("seen", "expected"),
    [
        (cookie("_ga"), (kinds.UNDECLARED_COOKIE, "_ga", "not in /legal/cookies.json")),
        (cookie("__Host-csrf", domain="other.example"),
         (kinds.UNDECLARED_COOKIE, "__Host-csrf", "set for another site (other.example)")),
        (cookie("__Host-csrf", domain=".example.org"),
         (kinds.COOKIE_ATTRIBUTE, "__Host-csrf", "has Domain=.example.org, declared host-only")),
        (cookie("__Host-csrf", secure=False), (kinds.COOKIE_ATTRIBUTE, "__Host-csrf", "lacks Secure")),
        (cookie("__Host-csrf", same_site="None"),
         (kinds.COOKIE_ATTRIBUTE, "__Host-csrf", "SameSite is None, declared Lax")),
        (cookie("__Host-csrf", expires=NOW + 2 * DAY),
         (kinds.COOKIE_EXPIRY, "__Host-csrf", "kept 2 days, declared for the browser session")),
        (cookie("_pk_id.1.x", http_only=False, expires=NOW + 400 * DAY),
         (kinds.COOKIE_EXPIRY, "_pk_id.1.x", "kept 400 days, declared 395 days")),
        (cookie("_pk_id.1.x", http_only=False),
         (kinds.BEFORE_CONSENT, "_pk_id.1.x", "needs consent; consent not given")),
    ],
)  # fmt: skip
def test_each_cookie_departure_is_a_finding(seen, expected):
    assert expected in kinds_of(audit_of(page(cookies=[seen])))


def test_a_cookie_is_reported_on_the_page_that_set_it_not_on_every_later_page():
    csrf = cookie("__Host-csrf", secure=False)
    later = page("/help/", cookies=[csrf])
    later.cookies_set = []  # already in the jar, unchanged
    (finding,) = findings(audit_of(page("/login", cookies=[csrf]), later))
    assert finding.pages == [SITE + "/login"]


def test_third_party_requests_allowed_only_for_exempt_providers_or_after_consent():
    calls = [
        RequestRecord("https://count.example.org/hit", "GET", "fetch"),
        RequestRecord("https://stats.example.org/matomo.js", "GET", "script"),
        RequestRecord(SITE + "/static/app.js", "GET", "script"),
    ]
    before = kinds_of(audit_of(page(requests=calls)))
    assert before == [
        (
            kinds.THIRD_PARTY,
            "https://stats.example.org",
            "on a public page: https://stats.example.org/matomo.js",
        )
    ]
    assert kinds_of(audit_of(page(requests=calls), consent=ACCEPTED)) == []


def test_storage_keys_and_csp_violations_are_findings():
    seen = page(
        storage={"localStorage": ["_id"], "sessionStorage": [], "indexedDB": ["db/visits"]},
        console=[{"type": "error", "text": "Refused to load the script because it violates the "
                  "following Content Security Policy directive: script-src 'self'"}],
    )  # fmt: skip
    found = {(k, s) for k, s, _ in kinds_of(audit_of(seen))}
    assert found == {
        (kinds.STORAGE, "localStorage: _id"),
        (kinds.STORAGE, "indexedDB: db/visits"),
        (kinds.CSP_VIOLATION, "console"),
    }


def test_a_banner_declared_on_but_never_answered_is_a_finding():
    audit = audit_of(page())
    audit.journeys = audit.journeys[:1]  # only the first visit: no banner was found
    assert [f.kind for f in findings(audit)] == [kinds.BANNER_MISSING]
