"""The audit's rules, on records built by hand: what is a finding and what is not."""

from __future__ import annotations

import pytest

from prospectra.audit import findings as kinds
from prospectra.audit.findings import findings
from prospectra.audit.records import ACCEPTED
from prospectra.audit.records import NOT_ASKED
from prospectra.audit.records import WITHDRAW_JOURNEY
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


def page(path: str = "/", cookies=(), requests=(), via="link", **fields) -> PageRecord:
    cookies = list(cookies)
    return PageRecord(
        url=SITE + path, via=via, status=200, observed_at=NOW, cookies=cookies,
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


GA_DECLARATION = DECLARATION | {
    "cookies": DECLARATION["cookies"][:1] + [
        {"name": "_ga", "provider": "script", "consent_required": True,
         "attributes": {"secure": False, "http_only": False, "same_site": "None", "path": "/",
                        "domain": "example.org", "max_age": 395 * DAY}},
        {"name": "_ga_*", "provider": "script", "consent_required": True,
         "attributes": {"secure": True, "http_only": False, "same_site": "Lax", "path": "/legal",
                        "domain": None, "max_age": 395 * DAY}},
    ],
    "audience_measurement": [
        {"provider": "script", "exempt": False, "origins": ["https://tags.example.net"]},
    ],
}  # fmt: skip
GA = cookie("_ga", domain=".example.org", secure=False, http_only=False, same_site="None",
            expires=NOW + 395 * DAY)  # fmt: skip
GA_X = cookie("_ga_X", path="/legal", http_only=False, expires=NOW + 395 * DAY)
TAG = RequestRecord("https://tags.example.net/ga.js", "GET", "script")


def withdrawal(*after: PageRecord, before=()) -> AuditRecord:
    """An "accept, then withdraw" journey: accepted, pages, "Refuse all", then ``after``."""
    journey = JourneyRecord(WITHDRAW_JOURNEY, ACCEPTED)
    journey.pages.extend([page("/", via="Accept all"), *before, page("/", via="Refuse all")])
    journey.withdrawn_at = len(journey.pages) - 1
    journey.pages.extend(after)
    return AuditRecord(base_url=SITE + "/", started="", declaration=GA_DECLARATION,
                       journeys=[journey])  # fmt: skip


def test_provider_cookies_are_compared_with_their_declared_scope_and_attributes():
    accepted = audit_of(page(cookies=[GA, GA_X]), consent=ACCEPTED)
    accepted.declaration = GA_DECLARATION
    assert kinds_of(accepted) == []  # not Secure, SameSite=None, a domain, a path: as declared
    host_only = cookie("_ga", secure=False, http_only=False, same_site="None")
    elsewhere = cookie("_ga_Y", path="/help", http_only=False)
    departing = audit_of(page(cookies=[host_only, elsewhere]), consent=ACCEPTED)
    departing.declaration = GA_DECLARATION
    assert kinds_of(departing) == [
        (kinds.COOKIE_ATTRIBUTE, "_ga", "Domain is app.example.org, declared example.org"),
        (kinds.COOKIE_ATTRIBUTE, "_ga_Y", "Path is /help, declared /legal"),
    ]


def test_a_test_cookie_a_tag_deletes_at_once_is_judged_only_if_it_survives():
    gone = page()  # set and deleted while the page loaded: never in the jar
    assert kinds_of(audit_of(gone, consent=ACCEPTED)) == []
    kept = page(cookies=[cookie("_pk_testcookie", secure=False)])
    assert kinds_of(audit_of(kept, consent=ACCEPTED)) == [
        (kinds.UNDECLARED_COOKIE, "_pk_testcookie", "not in /legal/cookies.json")
    ]


def test_withdrawal_that_removes_every_provider_cookie_and_call_finds_nothing():
    before = page("/legal/cookies", cookies=[GA, GA_X], requests=[TAG])
    csrf = cookie("__Host-csrf")
    after = [page("/"), page("/legal/cookies", cookies=[csrf])]
    for p in after:
        p.cookies_set = []
    assert kinds_of(withdrawal(*after, before=[before])) == []


def test_a_provider_cookie_left_in_the_jar_after_withdrawal_is_a_finding():
    last = page("/", cookies=[GA_X])
    last.cookies_set = []  # set before the withdrawal, never deleted
    (finding,) = findings(withdrawal(page("/legal/cookies"), last))
    assert (finding.kind, finding.subject) == (kinds.SURVIVES_WITHDRAWAL, "_ga_X")
    assert finding.detail == (
        "still in the browser 2 page(s) after 'Refuse all' (domain app.example.org, path "
        "/legal); declared host-only, path /legal"
    )
    assert finding.pages == [SITE + "/"]


def test_a_provider_called_or_a_cookie_set_after_withdrawal_is_a_finding():
    again = page("/", cookies=[GA], requests=[TAG])
    found = kinds_of(withdrawal(page("/help/"), again))
    assert (kinds.AFTER_WITHDRAWAL, "https://tags.example.net", TAG.url) in found
    assert (kinds.BEFORE_CONSENT, "_ga", "needs consent; consent refused") in found
    assert (kinds.SURVIVES_WITHDRAWAL, "_ga") in [(k, s) for k, s, _ in found]
    assert not [k for k, _, _ in found if k == kinds.THIRD_PARTY]  # said once, as withdrawal


def test_a_withdrawal_journey_that_cannot_reach_refuse_all_is_a_finding():
    journey = JourneyRecord(WITHDRAW_JOURNEY, ACCEPTED, pages=[page("/", via="Accept all")])
    journey.notes.append("no 'Refuse all' button on https://app.example.org/consent")
    audit = AuditRecord(base_url=SITE + "/", started="", declaration=GA_DECLARATION,
                        journeys=[journey])  # fmt: skip
    assert kinds_of(audit) == [
        (kinds.NO_WITHDRAWAL, "Cookie settings",
         "no 'Refuse all' button on https://app.example.org/consent")
    ]  # fmt: skip
