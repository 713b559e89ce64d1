"""The cookie registry: every cookie Prospectra may set, declared once.

This is the only place a cookie name is written. Flask's and the extensions' cookie settings, the
policy page, /legal/cookies.json, the Set-Cookie guard and the CSP all derive from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .formatting import duration
from .providers import PURPOSES
from .providers import Provider
from .providers import ProviderCookie
from .providers import build as build_providers

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
    fr: dict[str, str]  # the same label, purpose, retention and exemption, in French
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
        fr={
            "label": "Cookie de session d'authentification",
            "purpose": (
                "Identifier l'utilisateur connecté entre deux requêtes HTTP. Sans ce cookie, "
                "l'utilisateur serait déconnecté à chaque page. Déposé seulement à la connexion."
            ),
            "retention": (
                "Durée de la session : supprimé à la fermeture du navigateur ; la session prend "
                "fin sur le serveur après {idle_minutes} minutes d'inactivité, {absolute_hours} "
                "heures après la connexion au plus tard, et à la déconnexion."
            ),
            "exemption": (
                "Cookie strictement nécessaire à la fourniture d'un service de communication en "
                "ligne expressément demandé par l'utilisateur."
            ),
        },
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
        fr={
            "label": "Cookie de protection CSRF",
            "purpose": (
                "Jeton anti-falsification de requête (Cross-Site Request Forgery) protégeant les "
                "formulaires et actions sensibles contre les attaques de sites tiers. Déposé par "
                "les pages comportant un formulaire."
            ),
            "retention": "Durée de la session : supprimé à la fermeture du navigateur.",
            "exemption": (
                "Cookie de sécurité strictement nécessaire pour protéger le service contre la fraude."
            ),
        },
    ),
)


# Declared only while an audience-measurement provider is configured: it keeps the visitor's choice.
CONSENT_COOKIE = Cookie(
    key=CONSENT,
    label="Cookie choice",
    purpose=(
        "Remember your choice about the optional tools this policy describes (acceptance, "
        "refusal or objection), so that you are not asked again on every page. Set only when "
        "you make a choice."
    ),
    retention="{choice}, then you are asked again.",
    exemption=(
        "Cookie keeping the user's choice about trackers, exempt from consent (CNIL "
        "deliberation 2020-091, art. 5)."
    ),
    fr={
        "label": "Cookie de choix",
        "purpose": (
            "Mémoriser votre choix concernant les outils facultatifs que décrit cette "
            "politique (acceptation, refus ou opposition), pour ne pas vous le redemander à "
            "chaque page. Déposé seulement quand vous faites un choix."
        ),
        "retention": "{choice}, puis la question vous est reposée.",
        "exemption": (
            "Cookie conservant le choix de l'utilisateur sur les traceurs, exempté de "
            "consentement (article 5 de la délibération de la CNIL n°\u00a02020-091)."
        ),
    },
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
    providers = build_providers(settings)
    lifetimes = {
        "idle_minutes": settings["session"]["idle_timeout_minutes"],
        "absolute_hours": settings["session"]["absolute_lifetime_hours"],
        "choice_days": settings["consent"]["choice_days"],
    }

    def _choice(language: str) -> str:
        return duration(lifetimes["choice_days"], language)

    own = COOKIES + ((CONSENT_COOKIE,) if providers else ())
    issuer = f"{settings['service']['publisher']} ({settings['service']['domain']})"
    result = [
        _entry(
            name=cookie_name(c.key, relaxed=relaxed),
            label=c.label,
            issuer=issuer,
            purpose=c.purpose,
            retention=c.retention.format(**lifetimes, choice=_choice("en")),
            exemption=c.exemption,
            fr={**c.fr, "retention": c.fr["retention"].format(**lifetimes, choice=_choice("fr"))},
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
            result.append(_provider_entry(provider, cookie))
    return result


def lifetime(seconds: int, language: str = "en") -> str:
    """A cookie lifetime as people say it: "30 minutes", "13 months" (395 days), "100 days"."""
    if seconds < 86400:
        minutes = seconds // 60
        return f"{minutes} minutes" if language == "en" else f"{minutes} minutes"
    return duration(seconds // 86400, language)


def _provider_entry(provider: Provider, cookie: ProviderCookie) -> dict:
    if provider.exempt:
        exemption = f"Exempt audience measurement: {provider.why}."
        exemption_fr = f"Mesure d'audience exemptée : {provider.fr.get('why', provider.why)}."
    else:
        exemption = "None: deposited only after your consent."
        exemption_fr = "Aucune : déposé seulement après votre consentement."
    purpose_en = PURPOSES[provider.purpose_key][0]
    return {
        "name": cookie.name,
        "label": f"{provider.name}: {cookie.name}",
        "issuer": provider.name,
        "purpose": cookie.purpose,
        "retention": lifetime(cookie.max_age) + ".",
        "exemption": exemption,
        "fr": {
            "label": f"{provider.name} : {cookie.name}",
            "purpose": cookie.purpose_fr,
            "retention": lifetime(cookie.max_age, "fr") + ".",
            "exemption": exemption_fr,
        },
        "category": purpose_en.lower(),
        "purpose_key": provider.purpose_key,
        "provider": provider.key,
        "consent_required": not provider.exempt,
        "attributes": {
            "secure": cookie.secure,
            "http_only": False,  # set by the provider's script
            "same_site": cookie.same_site,
            "path": cookie.path,
            "domain": cookie.domain,
            "max_age": cookie.max_age,
        },
    }


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
