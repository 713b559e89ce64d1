"""Audience-measurement providers, built from the settings: what each is, sets and needs.

Each provider says whether it is exempt from consent (CNIL deliberation 2020-091, art. 5: strictly
the publisher's own measurement, anonymous statistics, cookie lifetime at most 13 months...) and
why, which cookies it deposits (declared into the registry) and which origins it talks to
(admitted by the CSP only when the visitor may be measured).
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import Any
from urllib.parse import urlsplit

THIRTEEN_MONTHS_DAYS = 395
AUDIENCE = "audience measurement"


class ProviderError(ValueError):
    """A provider's settings contradict the rules; the message names the key."""


@dataclass(frozen=True)
class Provider:
    key: str
    name: str
    exempt: bool
    why: str
    purpose: str
    cookies: tuple[dict[str, Any], ...] = ()
    origins: tuple[str, ...] = ()
    template: str | None = None  # the tag, rendered only for visitors who may be measured
    settings: dict[str, Any] = field(default_factory=dict)
    fr: dict[str, str] = field(default_factory=dict)  # purpose and why in French, where written


def build(settings: dict[str, Any]) -> list[Provider]:
    """Return the configured providers, in the order of ``analytics.providers``.

    :raises ProviderError: on a setting that contradicts the rules.
    """
    analytics = settings["analytics"]
    names = analytics["providers"]
    for name in names:
        if name not in _BUILDERS:
            raise ProviderError(
                f"analytics.providers: unknown provider {name!r} (builtin, matomo, script)"
            )
    if len(set(names)) != len(names):
        raise ProviderError("analytics.providers: a provider is listed twice")
    return [_BUILDERS[name](analytics[name]) for name in names]


def _builtin(conf: dict[str, Any]) -> Provider:
    if not 1 <= conf["retention_months"] <= 25:
        raise ProviderError("analytics.builtin.retention_months: must be between 1 and 25 (CNIL)")
    return Provider(
        key="builtin",
        name="Prospectra (built-in statistics)",
        exempt=True,
        why=(
            "self-hosted and cookieless: the server counts page views per page and per day; no "
            "cookie, no storage, no identifier, no IP address kept, nothing sent to a third party"
        ),
        purpose="Count how many times each page is viewed per day, to size and improve the service.",
        settings=conf,
        fr={
            "purpose": (
                "Compter combien de fois chaque page est vue par jour, pour dimensionner et "
                "améliorer le service."
            ),
            "why": (
                "auto-hébergée et sans cookie : le serveur compte les pages vues par page et par "
                "jour ; ni cookie, ni stockage, ni identifiant, ni adresse IP conservée, rien "
                "n'est transmis à un tiers"
            ),
        },
    )


LOOPBACK = ("localhost", "127.0.0.1", "::1")


def _https_origin(key: str, url: str) -> str:
    """Return the URL's origin; https only, but for a provider on this machine (tests, dev)."""
    parts = urlsplit(url)
    local_http = parts.scheme == "http" and parts.hostname in LOOPBACK
    if not (parts.scheme == "https" or local_http) or not parts.hostname:
        raise ProviderError(f"{key}: must be an https:// URL (http only on localhost)")
    return f"{parts.scheme}://{parts.netloc}"


def _matomo(conf: dict[str, Any]) -> Provider:
    origin = _https_origin("analytics.matomo.url", conf["url"])
    if not conf["url"].endswith("/"):
        raise ProviderError("analytics.matomo.url: must end with '/'")
    if conf["site_id"] < 1:
        raise ProviderError("analytics.matomo.site_id: must be Matomo's site id (1 or more)")
    if not 1 <= conf["cookie_days"] <= 3650:
        raise ProviderError("analytics.matomo.cookie_days: must be between 1 and 3650")
    if conf["exempt"] and conf["cookie_days"] > THIRTEEN_MONTHS_DAYS:
        raise ProviderError(
            "analytics.matomo.cookie_days: an exempt provider's cookie may last 13 months "
            f"({THIRTEEN_MONTHS_DAYS} days) at most"
        )
    site = conf["site_id"]
    purpose = "Measure the audience of the service for its publisher only (visits, pages, errors)."
    cookies = (
        _cookie(f"_pk_id.{site}.*", conf["cookie_days"], "Matomo visitor identifier."),
        _cookie(f"_pk_ses.{site}.*", 1, "Matomo visit in progress (30 minutes)."),
    )
    fr_purpose = "Mesurer l'audience du service pour son seul éditeur (visites, pages, erreurs)."
    if conf["exempt"]:
        fr_why = (
            "Matomo auto-hébergé en configuration exemptée (CNIL) : statistiques réservées à "
            "l'éditeur, IP anonymisée, cookie de 13 mois au plus, sans identifiant utilisateur "
            "ni suivi inter-domaines, opposition proposée"
        )
        why = (
            "self-hosted Matomo in CNIL-exempt configuration: publisher-only statistics, IP "
            "anonymised, cookie at most 13 months, no user id, no cross-domain linking, opt-out offered"
        )
    else:
        fr_why = "Matomo non configuré pour l'exemption CNIL : consentement préalable requis"
        why = "Matomo not configured for the CNIL exemption: prior consent required"
    return Provider(
        key="matomo",
        name=f"Matomo ({urlsplit(conf['url']).hostname})",
        exempt=conf["exempt"],
        why=why,
        purpose=purpose,
        cookies=cookies,
        origins=(origin,),
        template="analytics/_matomo.html",
        settings=conf,
        fr={"purpose": fr_purpose, "why": fr_why},
    )


def _script(conf: dict[str, Any]) -> Provider:
    for key in ("name", "src", "purpose"):
        if not conf[key].strip():
            raise ProviderError(f"analytics.script.{key}: required for the script provider")
    src_origin = _https_origin("analytics.script.src", conf["src"])
    origins = [_https_origin("analytics.script.origins", o) for o in conf["origins"]]
    if src_origin not in origins:
        origins.insert(0, src_origin)
    cookies = []
    for i, cookie in enumerate(conf["cookies"]):
        where = f"analytics.script.cookies[{i}]"
        if not isinstance(cookie, dict) or set(cookie) != {"name", "retention_days", "purpose"}:
            raise ProviderError(f"{where}: needs exactly name, retention_days and purpose")
        if not isinstance(cookie["name"], str) or not cookie["name"].strip():
            raise ProviderError(f"{where}.name: required")
        if type(cookie["retention_days"]) is not int or cookie["retention_days"] < 1:
            raise ProviderError(f"{where}.retention_days: a number of days (1 or more)")
        cookies.append(_cookie(cookie["name"], cookie["retention_days"], str(cookie["purpose"])))
    return Provider(
        key="script",
        name=conf["name"].strip(),
        exempt=False,
        why="third-party tag: its provider may use the data for its own purposes; prior consent required",
        purpose=conf["purpose"].strip(),
        cookies=tuple(cookies),
        origins=tuple(origins),
        template="analytics/_script.html",
        settings=conf,
        fr={
            "why": (
                "marqueur tiers : son fournisseur peut utiliser les données pour ses propres "
                "finalités ; consentement préalable requis"
            )
        },  # the purpose is the operator's own text, shown as written
    )


def _cookie(name: str, days: int, purpose: str) -> dict[str, Any]:
    return {"name": name, "retention_days": days, "purpose": purpose}


_BUILDERS = {"builtin": _builtin, "matomo": _matomo, "script": _script}
