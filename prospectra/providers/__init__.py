"""Measurement and other tag providers, built from the settings: what each is, sets and needs.

Each provider says whether it is exempt from consent (CNIL deliberation 2020-091, art. 5: strictly
the publisher's own measurement, anonymous statistics, cookie lifetime at most 13 months...) and
why, for which purpose (from a fixed list), which cookies it deposits and with which attributes
(declared into the registry), which origins it talks to (admitted by the CSP only where and when
it may run) and on which pages its tag may run. Every value that reaches a page, a header or the
CSP is checked here; a refusal names the key (:class:`ProviderError`).
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from urllib.parse import urlsplit

from . import rules
from .rules import ProviderError

__all__ = ["ProviderError", "Provider", "ProviderCookie", "build", "PURPOSES"]

# A third-party tag's data: no legal ceiling as for exempt measurement (rules.py), a bound on typos.
SCRIPT_DATA_MONTHS = 120
AUDIENCE = "audience_measurement"
# CNIL's granularity (guidelines of 17 September 2020, art. 2): consent is asked per purpose.
PURPOSES = {
    AUDIENCE: ("Audience measurement", "Mesure d'audience"),
    "advertising": ("Advertising", "Publicité"),
    "social_media": ("Social media", "Réseaux sociaux"),
    "personalisation": ("Personalisation", "Personnalisation"),
}
# Text claiming audience measurement, refused in the purpose of a provider declared for another.
_AUDIENCE_WORDS = re.compile(r"audience|statisti|mesure d.audience|analytics", re.IGNORECASE)


@dataclass(frozen=True)
class ProviderCookie:
    """One cookie a provider deposits, with the attributes it really has."""

    name: str  # exact, or a prefix ending with "*" where the tool appends ids
    max_age: int  # seconds
    purpose: str
    purpose_fr: str
    domain: str | None = None  # None: host-only
    path: str = "/"
    secure: bool = True
    same_site: str = "Lax"

    @property
    def is_pattern(self) -> bool:
        return self.name.endswith("*")

    def matches(self, name: str) -> bool:
        return fnmatch.fnmatchcase(name, self.name)


@dataclass(frozen=True)
class Condition:
    """One condition of the CNIL exemption and whether the app enforces it or ops assert it."""

    text: str
    text_fr: str
    enforced: bool


@dataclass(frozen=True)
class Provider:
    key: str
    name: str
    controller: str  # who decides what the data is used for ("" : the publisher itself)
    exempt: bool
    why: str
    purpose_key: str  # one of PURPOSES
    purpose: str
    cookies: tuple[ProviderCookie, ...] = ()
    origins: tuple[str, ...] = ()
    pages: tuple[str, ...] = ()  # empty: the default pages (see prospectra.providers.pages)
    policy_url: str = ""
    template: str | None = None  # the tag, rendered only for visitors who may be measured
    settings: dict[str, Any] = field(default_factory=dict)
    fr: dict[str, str] = field(default_factory=dict)  # purpose and why in French
    conditions: tuple[Condition, ...] = ()
    data_retention_months: int | None = None
    # Who else receives the data (GDPR art. 13(1)(e)-(f)): "" for a tool the publisher runs itself.
    legal_name: str = ""
    role: str = ""  # "processor" or "controller"
    country: str = ""  # ISO 3166-1 alpha-2
    transfer_safeguard: str = ""  # "" (in the EEA), "adequacy", "dpf" or "scc"

    @property
    def purpose_label(self) -> str:
        return PURPOSES[self.purpose_key][0]

    def owns(self, cookie_name: str) -> bool:
        return any(c.matches(cookie_name) for c in self.cookies)


def build(settings: dict[str, Any]) -> list[Provider]:
    """Return the configured providers, in the order of ``analytics.providers``.

    :raises ProviderError: on a setting that contradicts the rules.
    """
    analytics = settings["analytics"]
    names = analytics["providers"]
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ProviderError("analytics.providers: expected a list of provider names")
    for name in names:
        if name not in _BUILDERS:
            raise ProviderError(
                f"analytics.providers: unknown provider {name!r} (builtin, matomo, script)"
            )
    if len(set(names)) != len(names):
        raise ProviderError("analytics.providers: a provider is listed twice")
    context = rules.Context.from_settings(settings)
    providers = [_BUILDERS[name](analytics[name], context) for name in names]
    rules.check_together(providers)
    return providers


def _builtin(conf: dict[str, Any], context: rules.Context) -> Provider:
    if not 1 <= conf["retention_months"] <= rules.MEASUREMENT_DATA_MONTHS:
        raise ProviderError(
            "analytics.builtin.retention_months: must be between 1 and 25 (CNIL: measurement "
            "data kept 25 months at most)"
        )
    return Provider(
        key="builtin",
        name="Prospectra (built-in statistics)",
        controller="",
        exempt=True,
        why=(
            "self-hosted and cookieless: the server counts page views per page and per day; no "
            "cookie, no storage, no identifier, no IP address kept, nothing sent to a third party"
        ),
        purpose_key=AUDIENCE,
        purpose="Count how many times each page is viewed per day, to size and improve the service.",
        settings=conf,
        data_retention_months=conf["retention_months"],
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
        conditions=(
            Condition("no cookie, no storage, no identifier", "ni cookie, ni stockage, ni identifiant", True),
            Condition("no IP address kept", "aucune adresse IP conservée", True),
            Condition("nothing sent to a third party", "rien n'est transmis à un tiers", True),
            Condition(
                f"counts kept {conf['retention_months']} months at most (flask analytics purge)",
                f"comptes conservés {conf['retention_months']} mois au plus (flask analytics purge)",
                True,
            ),
            Condition("objection honoured (Cookie settings, Sec-GPC, DNT)",
                      "opposition respectée (paramètres des cookies, Sec-GPC, DNT)", True),
        ),
    )  # fmt: skip


def _matomo(conf: dict[str, Any], context: rules.Context) -> Provider:
    url = rules.base_url(context, "analytics.matomo.url", conf["url"])
    origin = rules.origin_of(url)
    if conf["site_id"] < 1:
        raise ProviderError("analytics.matomo.site_id: must be Matomo's site id (1 or more)")
    if conf["mode"] not in ("exempt", "consent"):
        raise ProviderError(
            "analytics.matomo.mode: choose 'exempt' (the CNIL-exempt set-up: IP anonymised in "
            "Matomo, publisher-only data) or 'consent' (a banner asks first)"
        )
    exempt = conf["mode"] == "exempt"
    legal_name = rules.text("analytics.matomo.legal_name", conf["legal_name"], 200)
    rules.recipient("analytics.matomo", conf, production=context.production,
                    required=bool(legal_name))  # fmt: skip
    if exempt and legal_name and conf["role"] == "controller":
        raise ProviderError(
            "analytics.matomo.role: 'controller' contradicts mode 'exempt' (CNIL: the data of an "
            "exempt measurement serves the publisher only; its host can only be a processor)"
        )
    rules.cookie_days("analytics.matomo.cookie_days", conf["cookie_days"], exempt=exempt)
    rules.data_months("analytics.matomo.retention_months", conf["retention_months"])
    site = conf["site_id"]
    host = urlsplit(url).hostname
    cookies = (
        ProviderCookie(
            f"_pk_id.{site}.*", conf["cookie_days"] * 86400,
            "Matomo visitor identifier (a random id and the date of the first visit).",
            "Identifiant de visiteur Matomo (un identifiant aléatoire et la date de la première visite).",
        ),
        ProviderCookie(
            f"_pk_ses.{site}.*", 30 * 60,
            "Matomo visit in progress.", "Visite Matomo en cours.",
        ),
    )  # fmt: skip
    if exempt:
        why = (
            "self-hosted Matomo in CNIL-exempt configuration: publisher-only statistics, IP "
            "addresses anonymised in Matomo's settings, cookie at most 13 months, no user id, no "
            "cross-domain linking, opt-out offered"
        )
        fr_why = (
            "Matomo auto-hébergé en configuration exemptée (CNIL) : statistiques réservées à "
            "l'éditeur, adresses IP anonymisées dans les réglages de Matomo, cookie de 13 mois au "
            "plus, sans identifiant utilisateur ni suivi inter-domaines, opposition proposée"
        )
    else:
        why = "Matomo not configured for the CNIL exemption: prior consent required"
        fr_why = "Matomo non configuré pour l'exemption CNIL : consentement préalable requis"
    days, months = conf["cookie_days"], conf["retention_months"]
    return Provider(
        key="matomo",
        name=f"Matomo ({host})",
        controller="",
        exempt=exempt,
        why=why,
        purpose_key=AUDIENCE,
        purpose="Measure the audience of the service for its publisher only (visits, pages, errors).",
        cookies=cookies,
        origins=(origin,),
        pages=rules.pages("analytics.matomo.pages", conf["pages"]),
        policy_url=rules.policy_url(context, "analytics.matomo.policy_url", conf["policy_url"]),
        template="analytics/_matomo.html",
        settings=conf,
        data_retention_months=months,
        fr={
            "purpose": "Mesurer l'audience du service pour son seul éditeur (visites, pages, erreurs).",
            "why": fr_why,
        },
        conditions=(
            Condition(f"visitor cookie {days} days at most, never extended by later visits",
                      f"cookie visiteur de {days} jours au plus, jamais prolongé par les visites suivantes", True),
            Condition("no user id, no cross-domain linking, no browser-feature detection",
                      "ni identifiant utilisateur, ni suivi inter-domaines, ni détection des fonctions du navigateur", True),
            Condition("tag only on the pages allowed, never on login, password or logged-in pages",
                      "marqueur seulement sur les pages permises, jamais sur la connexion, un mot de passe ou une page connectée", True),
            Condition("objection offered and honoured (Cookie settings, Sec-GPC, DNT)",
                      "opposition proposée et respectée (paramètres des cookies, Sec-GPC, DNT)", True),
            Condition("IP addresses anonymised (2 bytes) in Matomo's settings",
                      "adresses IP anonymisées (2 octets) dans les réglages de Matomo", False),
            Condition(f"raw data deleted after {months} months in Matomo's settings",
                      f"données brutes supprimées après {months} mois dans les réglages de Matomo", False),
            Condition("data used by the publisher only, not combined with other processing",
                      "données utilisées par le seul éditeur, sans recoupement avec d'autres traitements", False),
        ) if exempt else (),
        legal_name=legal_name,
        role=conf["role"] if legal_name else "",
        country=conf["country"] if legal_name else "",
        transfer_safeguard=conf["transfer_safeguard"] if legal_name else "",
    )  # fmt: skip


def _script(conf: dict[str, Any], context: rules.Context) -> Provider:
    for key in ("name", "controller", "src", "purpose", "category"):
        if not conf[key].strip():
            raise ProviderError(f"analytics.script.{key}: required for the script provider")
    if conf["category"] not in PURPOSES:
        raise ProviderError(
            f"analytics.script.category: must be one of {', '.join(map(repr, PURPOSES))}"
        )
    for key in ("purpose", "purpose_fr"):
        if conf["category"] != AUDIENCE and _AUDIENCE_WORDS.search(conf[key]):
            raise ProviderError(
                f"analytics.script.{key}: speaks of audience measurement while the declared "
                f"category is {conf['category']!r} (CNIL: each purpose is stated as it is)"
            )
    if context.production and not conf["purpose_fr"].strip():
        raise ProviderError(
            "analytics.script.purpose_fr: required in production (French pages show no English)"
        )
    rules.recipient("analytics.script", conf, production=context.production, required=True)
    months = conf["retention_months"]
    if months and not 1 <= months <= SCRIPT_DATA_MONTHS:
        raise ProviderError(
            f"analytics.script.retention_months: must be between 1 and {SCRIPT_DATA_MONTHS} "
            f"(0: not known yet, development only)"
        )
    if context.production and not months:
        raise ProviderError(
            "analytics.script.retention_months: required in production (GDPR art. 13(2)(a): "
            "how long its provider keeps the data)"
        )
    name = rules.text("analytics.script.name", conf["name"], 80)
    src = rules.script_src(context, "analytics.script.src", conf["src"])
    src_origin = rules.origin_of(src)
    origins = [rules.origin(context, f"analytics.script.origins[{i}]", o)
               for i, o in enumerate(conf["origins"])]  # fmt: skip
    if src_origin not in origins:
        origins.insert(0, src_origin)
    if len(set(origins)) != len(origins):
        raise ProviderError("analytics.script.origins: an origin is listed twice")
    cookies = tuple(
        rules.script_cookie(context, f"analytics.script.cookies[{i}]", cookie)
        for i, cookie in enumerate(conf["cookies"])
    )
    return Provider(
        key="script",
        name=name,
        controller=rules.text("analytics.script.controller", conf["controller"], 200),
        exempt=False,
        why="third-party tag: its provider may use the data for its own purposes; prior consent required",
        purpose_key=conf["category"],
        purpose=rules.text("analytics.script.purpose", conf["purpose"], 500),
        cookies=cookies,
        origins=tuple(origins),
        pages=rules.pages("analytics.script.pages", conf["pages"]),
        policy_url=rules.policy_url(context, "analytics.script.policy_url", conf["policy_url"],
                                    required=True),
        data_retention_months=months or None,
        legal_name=conf["controller"].strip(),
        role=conf["role"],
        country=conf["country"],
        transfer_safeguard=conf["transfer_safeguard"],
        template="analytics/_script.html",
        settings={**conf, "src": src},
        fr={
            "purpose": rules.text("analytics.script.purpose_fr", conf["purpose_fr"], 500)
            or conf["purpose"].strip(),
            "why": (
                "marqueur tiers : son fournisseur peut utiliser les données pour ses propres "
                "finalités ; consentement préalable requis"
            ),
        },
    )  # fmt: skip


_BUILDERS = {"builtin": _builtin, "matomo": _matomo, "script": _script}
