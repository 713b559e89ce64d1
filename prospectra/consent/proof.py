"""Proof of consent (CNIL 2020-092): one server-side record per choice, purged after retention."""

from __future__ import annotations

import datetime

from ..database import delete_in_batches
from ..extensions import db
from ..models import ConsentRecord
from .decision import Choice


def record(choice: Choice, action: str) -> None:
    """Keep the proof of a choice: random consent id, policy version, choices, time. No IP."""
    db.session.add(
        ConsentRecord(
            consent_id=choice.consent_id,
            policy_version=choice.version,
            action=action,
            choices=choice.choices,
            created_at=datetime.datetime.fromtimestamp(choice.at, datetime.UTC),
        )
    )
    db.session.commit()


def purge(retention_days: int) -> int:
    """Delete the records older than ``retention_days`` (in bounded batches); return how many."""
    cutoff = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=retention_days)
    return delete_in_batches(ConsentRecord, ConsentRecord.created_at < cutoff)
