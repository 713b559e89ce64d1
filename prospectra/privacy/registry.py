"""The cookie registry: every cookie Prospectra may set, declared once.

This is the only place a cookie name is written. Flask's and the extensions' cookie settings, the
policy page, /legal/cookies.json, the Set-Cookie guard and the CSP all derive from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..analytics import providers as analytics

SESSION = "session"
CSRF = "csrf"
CONSENT = "consent"
HOST_PREFIX = "__Host-"
STRICTLY_NECESSARY = "strictly necessary"


@dataclass(frozen=True)
class Cookie:
    """One declared cookie, as the policy describes it to users."""

    key: str
    label: str
    purpose: str
    retention: str  # may use {idle_minutes} and {absolute_hours}
    exemption: str
    category: str = STRICTLY_NECESSARY
    http_only: bool = True
    max_age_days: int | None = None  # None: deleted when the browser session ends


COOKIES: tuple[Cookie, ...] = (
    Cookie(
        key=SESSION,
        label="Authentication session cookie",
        purpose=(
            "Identify the logged-in user between two HTTP requests. Without this cookie, the "
            "user would be logged out at every page. Set only when you log in."
        ),
        retention=(
            "Session duration: deleted when the browser closes; the session ends on the server "
            "after {idle_minutes} minutes of inactivity, {absolute_hours} hours after login at "
            "the latest, and at logout."
        ),
        exemption=(
            "Cookie strictly necessary to the provision of an online communication service "
            "expressly requested by the user."
        ),
    ),
    Cookie(
        key=CSRF,
        label="CSRF protection cookie",
        purpose=(
            "Anti-request-forgery token (Cross-Site Request Forgery) protecting forms and "
            "sensitive actions against attacks by third-party sites. Set by pages with a form."
        ),
        retention="Session duration: deleted when the browser closes.",
        exemption="Security cookie strictly necessary to protect the service against fraud.",
    ),
)


# Declared only while an audience-measurement provider is configured: it keeps the visitor's choice.
CONSENT_COOKIE = Cookie(
    key=CONSENT,
    label="Cookie choice",
    purpose=(
        "Remember your choice about audience measurement (acceptance, refusal or objection), so "
        "that you are not asked again on every page. Set only when you make a choice."
    ),
    retention="{choice_days} days, then you are asked again.",
    exemption=(
        "Cookie keeping the user's choice about trackers, exempt from consent (CNIL "
        "deliberation 2020-091, art. 5)."
    ),
)


def cookie_name(key: str, *, relaxed: bool = False) -> str:
    """Return the name a cookie is sent under: ``__Host-`` prefixed unless in relaxed mode.

    The prefix makes the browser refuse the cookie unless it is Secure, has Path=/ and no
    Domain, so a sibling subdomain or a plain-http page cannot plant or overwrite it.
    """
    return key if relaxed else HOST_PREFIX + key


def declared(settings: dict[str, Any]) -> list[dict[str, Any]]:
    """Return every cookie the running configuration may set, with its exact attributes.

    The app's own cookies first, then (with an audience-measurement provider) the choice cookie
    and the provider's cookies, which its script deposits only when the visitor may be measured.
    """
    relaxed = settings["cookies"]["relaxed"]
    providers = analytics.build(settings)
    lifetimes = {
        "idle_minutes": settings["session"]["idle_timeout_minutes"],
        "absolute_hours": settings["session"]["absolute_lifetime_hours"],
        "choice_days": settings["consent"]["choice_days"],
    }
    own = COOKIES + ((CONSENT_COOKIE,) if providers else ())
    issuer = f"{settings['service']['publisher']} ({settings['service']['domain']})"
    result = [
        _entry(
            name=cookie_name(c.key, relaxed=relaxed),
            label=c.label,
            issuer=issuer,
            purpose=c.purpose,
            retention=c.retention.format(**lifetimes),
            exemption=c.exemption,
            category=c.category,
            consent_required=False,
            secure=not relaxed,
            http_only=c.http_only,
            same_site=settings["cookies"]["samesite"],
            max_age_days=lifetimes["choice_days"] if c.key == CONSENT else c.max_age_days,
        )
        for c in own
    ]
    for provider in providers:
        for cookie in provider.cookies:
            result.append(
                _entry(
                    name=cookie["name"],
                    label=f"{provider.name}: {cookie['name']}",
                    issuer=provider.name,
                    purpose=cookie["purpose"],
                    retention=f"{cookie['retention_days']} days.",
                    exemption=(
                        f"Exempt audience measurement: {provider.why}."
                        if provider.exempt
                        else "None: deposited only after your consent."
                    ),
                    category=analytics.AUDIENCE,
                    consent_required=not provider.exempt,
                    secure=True,
                    http_only=False,  # set by the provider's script
                    same_site="Lax",
                    max_age_days=cookie["retention_days"],
                )
            )
    return result


def _entry(*, secure, http_only, same_site, max_age_days, **description) -> dict[str, Any]:
    return {
        **description,
        "attributes": {
            "secure": secure,
            "http_only": http_only,
            "same_site": same_site,
            "path": "/",
            "domain": None,
            "max_age": None if max_age_days is None else max_age_days * 86400,
        },
    }
