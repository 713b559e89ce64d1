"""Policy versions: recorded when the declaration changes; a change is told to users once.

The version is a fingerprint of what the policy declares (privacy/policy.py), so adding a cookie
or a measurement provider makes a new version by itself; nobody has to remember to bump it.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask import current_app
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import database
from ..analytics.providers import AUDIENCE
from ..analytics.providers import PURPOSES
from ..extensions import db
from ..models import PolicyVersion


def init_app(app: Flask) -> None:
    """Record the running version once the database answers, and expose the one-time notice."""
    database.on_first_contact(app, _record_and_read_history)
    app.context_processor(lambda: {"policy_notice": notice_for_current_user()})


def _record_and_read_history(app: Flask) -> None:
    record(app.extensions["prospectra.declaration"])
    # Versions are recorded only here, once per process, so the history is read once too.
    app.extensions["prospectra.policy_history"] = [
        {"version": v.version, "in_force_since": v.in_force_since, "changes": v.changes}
        for v in history()
    ]


def record(declaration: dict[str, Any]) -> PolicyVersion:
    """Store this version with a summary of what changed, unless it is already known."""
    version = declaration["policy_version"]
    known = db.session.scalar(select(PolicyVersion).where(PolicyVersion.version == version))
    if known is not None:
        return known
    previous = db.session.scalar(select(PolicyVersion).order_by(PolicyVersion.id.desc()).limit(1))
    entry = PolicyVersion(
        version=version,
        changes=describe_changes(previous.declaration if previous else None, declaration),
        declaration=declaration,
    )
    db.session.add(entry)
    try:
        db.session.commit()
    except IntegrityError:  # another worker recorded it at the same moment
        db.session.rollback()
        entry = db.session.scalar(select(PolicyVersion).where(PolicyVersion.version == version))
    return entry


def describe_changes(before: dict[str, Any] | None, after: dict[str, Any]) -> str:
    """A one-line summary of what changed between two declarations."""
    if before is None:
        return "First published version."
    old = {c["name"]: c for c in before["cookies"]}
    new = {c["name"]: c for c in after["cookies"]}
    old_tools = {t["provider"]: t for t in before["audience_measurement"]}
    new_tools = {t["provider"]: t for t in after["audience_measurement"]}
    parts = [f"cookie {n} added" for n in new if n not in old]
    parts += [f"cookie {n} removed" for n in old if n not in new]
    parts += [f"cookie {n} changed" for n in new if n in old and new[n] != old[n]]
    parts += [f"{_what(new_tools[k])} added" for k in new_tools if k not in old_tools]
    parts += [f"{_what(old_tools[k])} removed" for k in old_tools if k not in new_tools]
    parts += [
        f"{_what(new_tools[k])} changed"
        for k in new_tools
        if k in old_tools and new_tools[k] != old_tools[k]
    ]
    summary = "; ".join(parts) or "wording of the declarations changed"
    return summary[0].upper() + summary[1:] + "."


def _what(tool: dict[str, Any]) -> str:
    """ "audience measurement by Matomo (...)", "advertising by X": the tool and its purpose."""
    label = PURPOSES[tool.get("purpose_key", AUDIENCE)][0].lower()
    return f"{label} by {tool['name']}"


def history(limit: int = 10) -> list[PolicyVersion]:
    """The most recent versions, newest first."""
    return list(
        db.session.scalars(select(PolicyVersion).order_by(PolicyVersion.id.desc()).limit(limit))
    )


def notice_for_current_user() -> PolicyVersion | None:
    """The change a logged-in user has not been told about yet, marked as told (shown once)."""
    if not current_user.is_authenticated:
        return None
    current = current_app.extensions["prospectra.policy_version"]
    if current_user.policy_version_seen == current:
        return None
    current_user.policy_version_seen = current
    db.session.commit()
    return db.session.scalar(select(PolicyVersion).where(PolicyVersion.version == current))
