"""The cookie registry: every cookie Prospectra may set, declared once.

This is the only place a cookie name is written. Flask's and the extensions' cookie settings, the
policy page, /legal/cookies.json, the Set-Cookie guard and the CSP all derive from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SESSION = "session"
CSRF = "csrf"
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
    max_age: int | None = None  # None: deleted when the browser session ends


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


def cookie_name(key: str, *, relaxed: bool = False) -> str:
    """Return the name a cookie is sent under: ``__Host-`` prefixed unless in relaxed mode.

    The prefix makes the browser refuse the cookie unless it is Secure, has Path=/ and no
    Domain, so a sibling subdomain or a plain-http page cannot plant or overwrite it.
    """
    return key if relaxed else HOST_PREFIX + key


def declared(settings: dict[str, Any]) -> list[dict[str, Any]]:
    """Return every cookie the running configuration may set, with its exact attributes."""
    relaxed = settings["cookies"]["relaxed"]
    lifetimes = {
        "idle_minutes": settings["session"]["idle_timeout_minutes"],
        "absolute_hours": settings["session"]["absolute_lifetime_hours"],
    }
    return [
        {
            "name": cookie_name(c.key, relaxed=relaxed),
            "label": c.label,
            "issuer": f"{settings['service']['publisher']} ({settings['service']['domain']})",
            "purpose": c.purpose,
            "retention": c.retention.format(**lifetimes),
            "exemption": c.exemption,
            "category": c.category,
            "consent_required": False,
            "attributes": {
                "secure": not relaxed,
                "http_only": c.http_only,
                "same_site": settings["cookies"]["samesite"],
                "path": "/",
                "domain": None,
                "max_age": c.max_age,
            },
        }
        for c in COOKIES
    ]
