"""What the legal pages state about who publishes, hosts and receives data: ``legal`` in templates.

Built once per app from the settings, the measurement providers and the assistant's settings;
only the words that depend on the page's language (a country's name, a purpose) are chosen per
request. The required mentions production refuses to start without (config.required_mentions)
are, in development, shown on the pages as a visible placeholder naming the key:
``placeholder("service.publisher_phone")``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from babel import Locale
from flask import Flask
from flask import current_app
from markupsafe import Markup
from markupsafe import escape

from .. import state
from ..config import NOT_A_COMPANY
from ..config import missing_mentions
from ..i18n import language
from ..providers import Provider

EXTENSION = "prospectra.legal"

# What each recipient does with the data, per processing ("what").
_PURPOSES = {
    "hosting": (
        "Hosts the service's servers, its database and its logs.",
        "Héberge les serveurs du service, sa base de données et ses journaux.",
    ),
    "assist": (
        "Writes the text a user asks the writing assistant for; receives that user's "
        "instructions only, when they click “Generate”.",
        "Rédige le texte demandé à l'assistant de rédaction ; ne reçoit que les instructions de "
        "l'utilisateur, lorsqu'il clique sur « Générer ».",
    ),
}


@dataclass(frozen=True)
class LegalFacts:
    """The publisher's, host's and recipients' mentions as the configuration states them."""

    service: dict[str, Any]
    hosting: dict[str, Any]
    access_log_retention_days: int
    required_missing: tuple[str, ...]  # empty in production, which refuses to start otherwise
    _recipients: tuple[dict[str, Any], ...]

    @property
    def dpo(self) -> str:
        """The DPO's contact, "none" when no DPO is designated, "" when not set (development)."""
        return self.service["dpo"]

    @property
    def dpo_designated(self) -> bool:
        return self.dpo not in ("", "none")

    @property
    def dpo_is_email(self) -> bool:
        return self.dpo_designated and "@" in self.dpo and " " not in self.dpo.strip()

    @property
    def publisher_is_individual(self) -> bool:
        return self.service["publisher_legal_form"] == "individual"

    @property
    def publisher_is_company(self) -> bool:
        """Registered with the RCS: registration, share capital and VAT are stated."""
        return self.service["publisher_legal_form"] not in ("", *NOT_A_COMPANY)

    @property
    def hosting_country_name(self) -> str:
        return country_name(self.hosting["country"]) if self.hosting["country"] else ""

    @property
    def recipients(self) -> list[dict[str, Any]]:
        """Who receives personal data besides the publisher, in the page's language.

        Each: name, role ("processor" or "controller"), country (ISO code), country_name,
        transfer_safeguard ("" in the EEA, "adequacy", "dpf" or "scc"), policy_url, what (the
        processing: "hosting", "assist", "analytics.<provider>") and purpose.
        """
        french = language() == "fr"
        return [
            {
                **entry,
                "country_name": country_name(entry["country"]) if entry["country"] else "",
                "purpose": entry["purpose_fr"] if french else entry["purpose_en"],
            }
            for entry in self._recipients
        ]


def country_name(code: str) -> str:
    """The country's name in the page's language, from Babel ("US": "United States", « États-Unis »)."""
    return Locale(language()).territories.get(code, code)


def build(settings: dict[str, Any], providers: Sequence[Provider]) -> LegalFacts:
    """The facts of one configuration (the providers are those the shared state holds for it)."""
    hosting, assist = settings["hosting"], settings["assist"]
    recipients = [
        _recipient("hosting", hosting["name"], "processor", hosting["country"],
                   hosting["transfer_safeguard"], "", *_PURPOSES["hosting"]),
    ]  # fmt: skip
    if assist["provider"] != "none":
        recipients.append(
            _recipient("assist", assist["legal_name"], assist["role"], assist["country"],
                       assist["transfer_safeguard"], assist["privacy_policy_url"],
                       *_PURPOSES["assist"], retention_days=assist["retention_days"])
        )  # fmt: skip
    for provider in providers:
        if provider.legal_name:  # never a tool the publisher runs itself
            recipients.append(
                _recipient(f"analytics.{provider.key}", provider.legal_name, provider.role,
                           provider.country, provider.transfer_safeguard, provider.policy_url,
                           provider.purpose, provider.fr.get("purpose", provider.purpose))
            )  # fmt: skip
    return LegalFacts(
        service=settings["service"],
        hosting=hosting,
        access_log_retention_days=settings["server"]["access_log_retention_days"],
        required_missing=tuple(missing_mentions(settings)),
        _recipients=tuple(recipients),
    )


def _recipient(
    what, name, role, country, safeguard, policy_url, purpose_en, purpose_fr, retention_days=None
):
    return {
        "retention_days": retention_days,  # the assistant's provider: -1 when not stated
        "what": what,
        "name": name,
        "role": role,
        "country": country,
        "transfer_safeguard": safeguard,
        "policy_url": policy_url,
        "purpose_en": purpose_en,
        "purpose_fr": purpose_fr,
    }


def placeholder(key: str) -> Markup:
    """A visible mark where a required mention is not set yet (development only)."""
    if language() == "fr":
        text = f"[à renseigner\u00a0: {key}]"
    else:
        text = f"[to be set: {key}]"
    return Markup('<mark class="placeholder">%s</mark>') % escape(text)


def current() -> LegalFacts:
    return current_app.extensions[EXTENSION]


def init_app(app: Flask) -> None:
    """Build the facts once; give templates ``hosting``, ``legal`` and ``placeholder()``."""
    facts = build(app.config["PROSPECTRA"], state.of(app).providers)
    app.extensions[EXTENSION] = facts
    app.jinja_env.globals["placeholder"] = placeholder
    app.jinja_env.globals.update(hosting=facts.hosting, legal=facts)  # fixed: nothing per render
