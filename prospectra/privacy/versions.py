"""Policy versions: recorded when the declaration changes; a change is told to users once.

The version is a fingerprint of what the policy declares (privacy/policy.py), so adding a cookie
or a measurement provider makes a new version by itself; nobody has to remember to bump it.
"""

from __future__ import annotations

import datetime
from typing import Any

from flask import Flask
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import accounts
from .. import database
from .. import state
from ..extensions import db
from ..formatting import duration
from ..models import PolicyVersion
from ..providers import AUDIENCE
from ..providers import PURPOSES

HISTORY_SHOWN = 10  # versions listed under "Change history"


def init_app(app: Flask) -> None:
    """Record the running version once the database answers; give every page the one-time
    notice and the day the policy in force came into force ("Last updated")."""
    database.on_first_contact(app, _record_and_read_history)
    app.context_processor(_page_context)
    app.jinja_env.globals["policy_updated"] = policy_updated  # called by the legal pages only


def _page_context() -> dict[str, Any]:
    return {"policy_notice": notice_for_current_user()}


def _record_and_read_history(app: Flask) -> None:
    shared = state.of(app)
    record(shared.declaration)
    # Versions are recorded only here, once per process, so the history is read once too.
    versions = history(limit=HISTORY_SHOWN + 1)  # one more: the change of the oldest shown
    shared.policy_history = [
        {
            "version": v.version,
            "in_force_since": v.in_force_since,
            "changes": v.changes,
            "change_list": _change_list(v, versions[i + 1] if i + 1 < len(versions) else None),
        }
        for i, v in enumerate(versions[:HISTORY_SHOWN])
    ]


def in_force_since(app: Flask) -> datetime.datetime | None:
    """When the running version came into force (None before the database first answered)."""
    shared = state.of(app)
    known = shared.policy_history
    return next((e["in_force_since"] for e in known if e["version"] == shared.policy_version), None)


def policy_updated() -> datetime.datetime | None:
    """When the policy version in force came into force: "Last updated" on every legal page.

    Read from the policy history (recorded at first contact with the database); None before it.
    """
    shared = state.current()
    if not shared.policy_history:
        return None
    current = next(
        (e for e in shared.policy_history if e["version"] == shared.policy_version),
        shared.policy_history[0],
    )
    return current["in_force_since"]


def record(declaration: dict[str, Any]) -> PolicyVersion:
    """Store this version with what changed (a list, told in each language), unless known."""
    version = declaration["policy_version"]
    known = db.session.scalar(select(PolicyVersion).where(PolicyVersion.version == version))
    if known is not None:
        return known
    previous = db.session.scalar(select(PolicyVersion).order_by(PolicyVersion.id.desc()).limit(1))
    changed = changes_between(previous.declaration if previous else None, declaration)
    entry = PolicyVersion(
        version=version,
        changes=describe(changed, "en")[:2000],
        change_list=changed,
        declaration=declaration,
    )
    db.session.add(entry)
    try:
        db.session.commit()
    except IntegrityError:  # another worker recorded it at the same moment
        db.session.rollback()
        entry = db.session.scalar(select(PolicyVersion).where(PolicyVersion.version == version))
    return entry


def _change_list(version: PolicyVersion, previous: PolicyVersion | None) -> list[dict[str, Any]]:
    """The stored list; for a version recorded before lists were, worked out from the two
    declarations the rows keep (the first version ever has no predecessor)."""
    if version.change_list is not None:
        return version.change_list
    if previous is None:
        previous = db.session.scalar(
            select(PolicyVersion)
            .where(PolicyVersion.id < version.id)
            .order_by(PolicyVersion.id.desc())
            .limit(1)
        )
    return changes_between(previous.declaration if previous else None, version.declaration)


def describe_changes(before: dict[str, Any] | None, after: dict[str, Any]) -> str:
    """A one-line English summary of what changed between two declarations."""
    return describe(changes_between(before, after), "en")


def changes_between(before: dict[str, Any] | None, after: dict[str, Any]) -> list[dict[str, Any]]:
    """What changed, as a list of facts (``kind`` and the names and values it needs)."""
    if before is None:
        return [{"kind": "first"}]
    old = {c["name"]: c for c in before["cookies"]}
    new = {c["name"]: c for c in after["cookies"]}
    old_tools = {t["provider"]: t for t in before["audience_measurement"]}
    new_tools = {t["provider"]: t for t in after["audience_measurement"]}
    found = _mention_changes(before.get("mentions"), after.get("mentions"))
    found += [{"kind": "cookie_added", "name": n} for n in new if n not in old]
    found += [{"kind": "cookie_removed", "name": n} for n in old if n not in new]
    found += [_cookie_change(old[n], new[n]) for n in new if n in old]
    found += [_tool("tool_added", new_tools[k]) for k in new_tools if k not in old_tools]
    found += [_tool("tool_removed", old_tools[k]) for k in old_tools if k not in new_tools]
    found += [
        _tool("tool_changed", new_tools[k])
        for k in new_tools
        if k in old_tools and _own_terms(new_tools[k], after) != _own_terms(old_tools[k], before)
    ]
    found = [f for f in found if f]
    return found or [{"kind": "wording"}]


# The legal mentions of the declaration (policy.mentions): what each change is called.
_MENTIONS = {
    "publisher": ("Publisher changed", "Changement d'éditeur"),
    "publisher_address": ("Publisher's address changed", "Nouvelle adresse de l'éditeur"),
    "publisher_legal_form": ("Publisher's legal form changed", "Nouvelle forme juridique de l'éditeur"),
    "publisher_registration": ("Publisher's registration number changed", "Nouveau numéro d'immatriculation de l'éditeur"),
    "publisher_share_capital": ("Publisher's share capital changed", "Nouveau capital social de l'éditeur"),
    "publisher_vat": ("Publisher's VAT number changed", "Nouveau numéro de TVA intracommunautaire de l'éditeur"),
    "publisher_phone": ("Publisher's phone number changed", "Nouveau numéro de téléphone de l'éditeur"),
    "publication_director": ("Publication director changed", "Changement de directeur de la publication"),
    "domain": ("Domain changed", "Changement de domaine"),
    "contact_email": ("Contact address changed", "Nouvelle adresse de contact"),
    "dpo": ("Data protection officer changed", "Changement de délégué à la protection des données"),
    "hosting": ("Hosting provider changed", "Changement d'hébergeur"),
    "hosting_details": ("Hosting provider's details changed", "Coordonnées de l'hébergeur mises à jour"),
    "assistant": ("Writing assistant's provider changed", "Changement de prestataire de l'assistant d'écriture"),
    "assistant_added": ("Writing assistant added", "Assistant d'écriture ajouté"),
    "assistant_removed": ("Writing assistant removed", "Assistant d'écriture supprimé"),
    "legal_notice": ("Legal notice changed", "Mentions légales mises à jour"),
    "declared": ("Publisher, host and recipients now recorded with the policy", "Éditeur, hébergeur et destinataires désormais consignés avec la politique"),
}  # fmt: skip
_RETENTIONS = {
    "access_log_retention_days": ("Retention of server access logs", "Durée de conservation des journaux d'accès du serveur"),
    "consent_record_retention_days": ("Retention of consent records", "Durée de conservation des preuves de consentement"),
}  # fmt: skip


def _mention_changes(before: dict | None, after: dict | None) -> list[dict[str, Any]]:
    if before == after:
        return []
    if before is None or after is None:
        return [{"kind": "mention", "key": "declared"}]
    found = []
    old_service, new_service = before.get("service", {}), after.get("service", {})
    for key in sorted(old_service.keys() | new_service.keys()):
        if old_service.get(key) != new_service.get(key):
            name = (
                key
                if key in _MENTIONS
                else "hosting"
                if key == "hosting_provider"
                else "legal_notice"
            )
            found.append({"kind": "mention", "key": name})
    old_host, new_host = before.get("hosting") or {}, after.get("hosting") or {}
    if old_host != new_host:
        same = old_host.get("name") == new_host.get("name")
        found.append({"kind": "mention", "key": "hosting_details" if same else "hosting"})
    for key in _RETENTIONS:
        if before.get(key) != after.get(key):
            found.append(
                {
                    "kind": "retention",
                    "key": key,
                    "before": before.get(key),
                    "after": after.get(key),
                }
            )
    old_assistant, new_assistant = before.get("assistant"), after.get("assistant")
    if old_assistant != new_assistant:
        key = (
            "assistant_added"
            if not old_assistant
            else "assistant_removed"
            if not new_assistant
            else "assistant"
        )
        found.append({"kind": "mention", "key": key})
    unique = []
    for change in found:  # the legacy hosting_provider and the [hosting] table: told once
        if change not in unique:
            unique.append(change)
    return unique


def _cookie_change(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any] | None:
    """A cookie's lifetime change is told with both lifetimes; the issuer (publisher and domain)
    is a mention of its own, not a change of the cookie."""
    ignored = ("issuer", "attributes")
    if before.get("attributes") == after.get("attributes") and _without(
        before, ignored
    ) == _without(after, ignored):
        return None
    old_age = (before.get("attributes") or {}).get("max_age")
    new_age = (after.get("attributes") or {}).get("max_age")
    rest_same = _without(before, (*ignored, "retention", "fr")) == _without(
        after, (*ignored, "retention", "fr")
    ) and _without(before.get("attributes") or {}, ("max_age",)) == _without(
        after.get("attributes") or {}, ("max_age",)
    )
    if old_age != new_age and old_age and new_age and rest_same:
        return {
            "kind": "cookie_lifetime",
            "name": after["name"],
            "before": old_age // 86400,
            "after": new_age // 86400,
        }
    return {"kind": "cookie_changed", "name": after["name"]}


def _without(entry: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if k not in keys}


def _own_terms(tool: dict[str, Any], declaration: dict[str, Any]) -> dict[str, Any]:
    """The tool without the publisher: a tool the publisher controls is not changed by a new
    publisher (that is one change, "Publisher changed")."""
    if tool.get("controller") == declaration.get("publisher"):
        return _without(tool, ("controller",))
    return tool


def _tool(kind: str, tool: dict[str, Any]) -> dict[str, Any]:
    return {"kind": kind, "name": tool["name"], "purpose_key": tool.get("purpose_key", AUDIENCE)}


_TOOL_VERBS = {
    "tool_added": ("added", "ajouté", "ajoutée"),
    "tool_removed": ("removed", "supprimé", "supprimée"),
    "tool_changed": ("changed", "modifié", "modifiée"),
}
_COOKIE_VERBS = {"cookie_added": ("added", "ajouté"), "cookie_removed": ("removed", "supprimé"), "cookie_changed": ("changed", "modifié")}  # fmt: skip


def describe(changes: list[dict[str, Any]], lang: str) -> str:
    """The changes as one sentence in ``lang`` ("Publisher changed; domain changed.")."""
    parts = [_one(change, lang) for change in changes]
    # French puts a no-break space before the semicolon.
    summary = ("\u00a0; " if lang == "fr" else "; ").join(parts)
    return summary[:1].upper() + summary[1:] + "."


def _one(change: dict[str, Any], lang: str) -> str:
    fr = lang == "fr"
    kind = change["kind"]
    if kind == "first":
        return "première version publiée" if fr else "first published version"
    if kind == "wording":
        return (
            "formulation des déclarations modifiée" if fr else "wording of the declarations changed"
        )
    if kind == "mention":
        english, french = _MENTIONS[change["key"]]
        return _lower_first(french if fr else english)
    if kind == "retention":
        english, french = _RETENTIONS[change["key"]]
        if change["before"] is None or change["after"] is None:
            return _lower_first(f"{french} modifiée" if fr else f"{english} changed")
        was, now = duration(change["before"], lang), duration(change["after"], lang)
        return _lower_first(
            f"{french} portée de {was} à {now}" if fr else f"{english} changed from {was} to {now}"
        )
    if kind == "cookie_lifetime":
        was, now = duration(change["before"], lang), duration(change["after"], lang)
        if fr:
            return f"durée de vie du cookie {change['name']} portée de {was} à {now}"
        return f"lifetime of cookie {change['name']} changed from {was} to {now}"
    if kind in _COOKIE_VERBS:
        english, french = _COOKIE_VERBS[kind]
        return f"cookie {change['name']} {french if fr else english}"
    english_label, french_label = PURPOSES[change["purpose_key"]]
    english, masculine, feminine = _TOOL_VERBS[kind]
    if not fr:
        return f"{english_label.lower()} by {change['name']} {english}"
    if change["purpose_key"] == AUDIENCE:
        return f"mesure d'audience par {change['name']} {feminine}"
    return f"outil de {french_label.lower()} {change['name']} {masculine}"


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def history(limit: int = HISTORY_SHOWN) -> list[PolicyVersion]:
    """The most recent versions, newest first."""
    return list(
        db.session.scalars(select(PolicyVersion).order_by(PolicyVersion.id.desc()).limit(limit))
    )


def notice_for_current_user() -> PolicyVersion | None:
    """The change a logged-in user has not been told about yet, marked as told (shown once)."""
    user = current_user._get_current_object()  # read on every page: one lookup
    if not user.is_authenticated:
        return None
    current = state.current().policy_version
    if user.policy_version_seen == current:  # the session's snapshot: no query
        return None
    if not accounts.mark_policy_seen(user.id, current):
        return None  # told already, on another device
    return db.session.scalar(select(PolicyVersion).where(PolicyVersion.version == current))
