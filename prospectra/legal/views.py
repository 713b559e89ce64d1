"""Legal pages: the cookie policy (rendered from the registry), its JSON form, privacy, notice.

What any page says about cookies and tags (these pages, the banner, Cookie settings, help, home,
the meta descriptions) is read from one object counted from the declaration, ``cookie_facts``:
no template writes a number of cookies or a provider's name of its own.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any

from flask import Blueprint
from flask import Flask
from flask import current_app
from flask import jsonify
from flask import render_template
from limits import parse_many

from .. import state
from ..caching import public_page
from ..i18n import localized
from ..privacy import versions
from ..providers import PURPOSES
from ..providers import Provider
from ..providers import pages

bp = Blueprint("legal", __name__, url_prefix="/legal")


@bp.get("/cookies")
@public_page
def cookies():
    """The cookie policy, its table generated from the registry."""
    return render_template(localized("legal/cookies.html"), policy=state.current().declaration)


@bp.get("/cookies.json")
def cookies_json():
    """The same declaration, machine-readable (for audits and the cookie scanner)."""
    return jsonify(state.current().declaration)


@bp.get("/privacy")
@public_page
def privacy():
    """The privacy notice (GDPR art. 13): one table per processing, then your rights."""
    return render_template(localized("legal/privacy.html"), counters=_counters())


@bp.get("/terms")
@public_page
def terms():
    """The terms of use: the contract that the privacy notice's contract basis points to."""
    return render_template(localized("legal/terms.html"))


def _counters() -> dict[str, Any]:
    """How long the throttling counters live: the longest window of each set of limits."""
    limits = current_app.config["PROSPECTRA"]["limits"]

    def longest(*keys: str) -> int:
        return max(item.get_expiry() for key in keys for item in parse_many(limits[key]))

    return {
        "shared": not limits["storage_uri"].startswith("memory://"),
        "password_seconds": longest("login_per_address", "login_per_account"),
        "send_seconds": longest("sends_per_user"),
        "generation_seconds": longest("generations_per_user"),
    }


@bp.get("/notice")
@public_page
def notice():
    """The legal notice (publisher, publication director, host)."""
    return render_template(localized("legal/notice.html"))


@dataclass(frozen=True)
class CookieFacts:
    """The declaration as the texts state it: counts, tools by purpose, where their tags run."""

    version: str
    cookies: list[dict[str, Any]]  # every declared cookie, as /legal/cookies.json lists them
    tools: list[dict[str, Any]]  # each provider as the policy describes it (see _tool)
    history: list[dict[str, Any]]  # the policy's versions, newest first, told in both languages

    @property
    def change(self) -> dict[str, Any] | None:
        """The history's entry for the version in force (what the banner tells a returning visitor)."""
        return next((e for e in self.history if e["version"] == self.version), None)

    @property
    def total(self) -> int:
        return len(self.cookies)

    @property
    def own(self) -> list[dict[str, Any]]:
        """The cookies Prospectra sets itself (session, CSRF, and the choice with a tool)."""
        return [c for c in self.cookies if "provider" not in c]

    @property
    def exempt_tools(self) -> list[dict[str, Any]]:
        return [t for t in self.tools if t["exempt"]]

    @property
    def consent_tools(self) -> list[dict[str, Any]]:
        return [t for t in self.tools if not t["exempt"]]

    @property
    def tags(self) -> list[dict[str, Any]]:
        """The tools whose tag the pages load (from another origin); the built-in one has none."""
        return [t for t in self.tools if t["tag"]]

    @property
    def on_section_4(self) -> list[dict[str, Any]]:
        """The tools whose tag runs on a /legal/ or /help/ page (a widened ``pages`` setting)."""
        return [t for t in self.tools if t["section_4"]]

    @property
    def third_parties(self) -> list[dict[str, Any]]:
        """The tools whose data someone other than the publisher controls."""
        return [t for t in self.tools if t["third_party"]]

    @property
    def purposes(self) -> list[str]:
        """The purposes of the configured tools, in the fixed order of PURPOSES."""
        used = {t["purpose_key"] for t in self.tools}
        return [key for key in PURPOSES if key in used]

    @property
    def purpose_labels(self) -> list[dict[str, Any]]:
        return [_label(key) for key in self.purposes]

    @property
    def consent_groups(self) -> list[dict[str, Any]]:
        """The consent-needing tools grouped by purpose: one switch each (CNIL granularity)."""
        return [
            {**_label(key), "key": key, "tools": tools}
            for key in PURPOSES
            if (tools := [t for t in self.consent_tools if t["purpose_key"] == key])
        ]

    def cookies_of(self, tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
        keys = {t["provider"] for t in tools}
        return [c for c in self.cookies if c.get("provider") in keys]

    def tool(self, key: str) -> dict[str, Any]:
        return next(t for t in self.tools if t["provider"] == key)


_FACTS: weakref.WeakKeyDictionary[Flask, CookieFacts] = weakref.WeakKeyDictionary()


@bp.app_context_processor
def _cookie_facts() -> dict[str, Any]:
    return {"cookie_facts": cookie_facts()}


def cookie_facts() -> CookieFacts:
    """The running app's facts, counted once (the declaration does not change while it runs)."""
    app = current_app._get_current_object()
    if app not in _FACTS:
        # The history is read at first contact with the database; until then (an error page
        # during an outage) the facts are made without it, and not kept.
        shared = state.of(app)
        declared = shared.declaration
        providers = {p.key: p for p in shared.providers}
        history = [_told(entry) for entry in shared.policy_history]
        facts = CookieFacts(
            cookies=declared["cookies"],
            tools=[
                _tool(app, entry, providers[entry["provider"]], declared["cookies"])
                for entry in declared["audience_measurement"]
            ],
            version=declared["policy_version"],
            history=history,
        )
        if not shared.policy_history:
            return facts
        _FACTS[app] = facts
    return _FACTS[app]


def _label(purpose_key: str) -> dict[str, Any]:
    english, french = PURPOSES[purpose_key]
    return {"label": english, "fr": {"label": french}}


def _tool(app: Flask, entry: dict, provider: Provider, cookies: list[dict]) -> dict[str, Any]:
    english, french = PURPOSES[entry["purpose_key"]]
    publisher = app.config["PROSPECTRA"]["service"]["publisher"]
    tag = provider.template is not None
    return {
        **entry,
        "purpose_label": english,
        "fr": {**entry["fr"], "purpose_label": french},
        "tag": tag,
        # Public pages the tag runs on, and those of them section 4 names (by default none).
        "paths": pages.paths_for(app, provider) if tag else [],
        "section_4": pages.section_4_paths(app, provider) if tag else [],
        "cookie_entries": [c for c in cookies if c.get("provider") == entry["provider"]],
        # Someone other than the publisher decides what the data is used for.
        "third_party": provider.controller not in ("", publisher),
    }


def _told(entry: dict[str, Any]) -> dict[str, Any]:
    """A history entry with its changes told in English and in French (from the stored list)."""
    return {
        **entry,
        "changes": versions.describe(entry["change_list"], "en"),
        "fr": {"changes": versions.describe(entry["change_list"], "fr")},
    }
