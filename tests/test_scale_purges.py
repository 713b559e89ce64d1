"""Cost stays flat as data grows: every purge reads its rows through an index, the consent purge
on SQLite writes a few pages per batch rather than one per row, and no request deletes more than
one small batch. Run on SQLite and on PostgreSQL (the SQL session store on both).

The tables hold 20,000 rows, nearly all of them still live: at that size a full scan shows in the
plan (the control test proves the check sees one), and seeding still takes a fraction of a second.
"""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import text

from prospectra import sessions
from prospectra.analytics import builtin
from prospectra.consent import proof
from prospectra.extensions import db
from prospectra.models import ConsentRecord
from prospectra.models import LoginSession
from prospectra.models import PageView
from prospectra.sessions.store import REQUEST_CLEANUP_BATCH

ROWS = 20_000
EXPIRED = 200  # of each kind: 1 % of the table
NOW = datetime.datetime.now(datetime.UTC)
LONG_AGO = NOW - datetime.timedelta(days=900)

pytestmark = pytest.mark.parametrize("backend", ["embedded", "postgresql"], indirect=True)


def _seed(model_or_table, rows: list[dict]) -> None:
    db.session.execute(insert(model_or_table), rows)
    db.session.commit()


def _seed_store(app, live: int, expired: int) -> None:
    """Session store records: ``live`` valid ones, ``expired`` past their expiry."""
    naive_now = NOW.replace(tzinfo=None)  # the store keeps naive UTC
    _seed(
        app.session_interface.store.sql_session_model,
        [
            {
                "session_id": f"session:{n:064x}",
                "data": b"\x80",
                "expiry": naive_now + datetime.timedelta(minutes=-60 if n < expired else 30),
            }
            for n in range(live + expired)
        ],
    )


def _seed_login_sessions(user_id: int) -> None:
    """Index rows: a few idle too long, a few past the absolute lifetime, the rest live."""

    def row(n: int) -> dict:
        created = LONG_AGO if EXPIRED <= n < 2 * EXPIRED else NOW
        seen = LONG_AGO if n < EXPIRED else NOW
        return {
            "sid_hash": f"{n:064x}",
            "sealed_sid": "00",
            "user_id": user_id,
            "device": "Firefox on Linux",
            "created_at": created,
            "last_seen_at": seen,
        }

    _seed(LoginSession, [row(n) for n in range(ROWS)])


def _seed_consents() -> None:
    _seed(
        ConsentRecord,
        [
            {
                "consent_id": f"{n:032x}",
                "policy_version": "1",
                "action": "refuse_all",
                "choices": {},
                "created_at": LONG_AGO if n < EXPIRED else NOW,
            }
            for n in range(ROWS)
        ],
    )


def _seed_consents_as_made() -> None:
    """Consent records with random ids, as the banner makes them (consent/decision.py)."""
    _seed(
        ConsentRecord,
        [
            {
                "consent_id": secrets.token_urlsafe(16),
                "policy_version": "1",
                "action": "refuse_all",
                "choices": {},
                "created_at": LONG_AGO if n < EXPIRED else NOW,
            }
            for n in range(ROWS)
        ],
    )


def _pages_written_per_row(purge: Callable[[], int]) -> float:
    """Pages a SQLite purge wrote (frames appended to the WAL) per row it deleted."""
    db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))  # an empty WAL to count from
    db.session.commit()
    deleted = purge()
    # Far fewer frames than the 1,000 at which SQLite checkpoints by itself: all still in the WAL.
    frames = db.session.execute(text("PRAGMA wal_checkpoint(PASSIVE)")).one()[1]
    db.session.commit()
    assert deleted == EXPIRED
    return frames / deleted


def _seed_page_views() -> None:
    today = NOW.date()
    _seed(
        PageView,
        [
            {"day": LONG_AGO.date() if n < EXPIRED else today, "page": f"/page/{n}", "views": 1}
            for n in range(ROWS)
        ],
    )


def _analyze() -> None:
    # PostgreSQL plans from the statistics ANALYZE gathers (autovacuum would, later); SQLite
    # plans from its own estimates unless ANALYZE ran, so it is run on both, as ops would.
    db.session.execute(text("ANALYZE"))
    db.session.commit()


@contextmanager
def _deletes() -> Iterator[list[tuple[str, object]]]:
    """The DELETE statements sent to the database meanwhile, with their parameters."""
    sent: list[tuple[str, object]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many):
        if statement.lstrip().upper().startswith("DELETE"):
            sent.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)


def _plan(statement: str, parameters) -> str:
    """The plan of a statement, as one text: EXPLAIN QUERY PLAN (SQLite) or EXPLAIN (PostgreSQL)."""
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
        return "\n".join(row[-1] for row in rows)
    rows = connection.exec_driver_sql("EXPLAIN " + statement, parameters).all()
    return "\n".join(row[0] for row in rows)


def _full_scans(plan: str) -> list[str]:
    """The lines of a plan that read a whole table (or a whole index) instead of searching it."""
    return [
        line for line in plan.splitlines() if "Seq Scan" in line or line.strip().startswith("SCAN ")
    ]


def _assert_searched_through(sent: list[tuple[str, object]], indexes: set[str]) -> None:
    assert sent, "no DELETE was sent"
    used = set()
    for statement, parameters in sent:
        plan = _plan(statement, parameters)
        assert not _full_scans(plan), f"{statement}\n-- plan --\n{plan}"
        used |= {name for name in indexes if name in plan}
    assert used == indexes, f"indexes used: {used}, expected: {indexes}"


def _count(model_or_table, condition=None) -> int:
    query = select(func.count()).select_from(model_or_table)
    return db.session.scalar(query if condition is None else query.where(condition))


def test_session_purge_searches_the_store_and_the_list_by_index(app, make_user):
    user = make_user()
    with app.app_context():
        _seed_store(app, ROWS - EXPIRED, EXPIRED)
        _seed_login_sessions(user.id)
        _analyze()
        with _deletes() as sent:
            sessions.purge_expired()
        store = app.session_interface.store.sql_session_model
        assert _count(store) == ROWS - EXPIRED
        assert _count(LoginSession) == ROWS - 2 * EXPIRED
        _assert_searched_through(
            sent,
            {
                "ix_sessions_expiry",
                "ix_login_sessions_last_seen_at",
                "ix_login_sessions_created_at",
            },
        )


@pytest.mark.parametrize(
    ("seed", "purge", "model", "index"),
    [
        (_seed_consents, lambda: proof.purge(retention_days=365), ConsentRecord,
         "ix_consent_records_created_at"),
        (_seed_page_views, lambda: builtin.purge(retention_months=25), PageView,
         "ix_page_views_day"),
    ],
    ids=["consent records", "page views"],
)  # fmt: skip
def test_retention_purge_searches_by_index(app, seed, purge, model, index):
    with app.app_context():
        seed()
        _analyze()
        with _deletes() as sent:
            assert purge() == EXPIRED
        assert _count(model) == ROWS - EXPIRED
        _assert_searched_through(sent, {index})


def test_a_consent_purge_on_sqlite_writes_a_few_pages_not_one_per_row(app, backend):
    # Each deleted row's entry in an index on a random column sits on a page of its own: with
    # such an index (consent_id had one), SQLite rewrote about a page per row, and a million
    # records purged at 15,000 rows/s. PostgreSQL's deletes leave index entries to its vacuum.
    if backend != "embedded":
        pytest.skip("SQLite's page writes")
    with app.app_context():
        _seed_consents_as_made()
        assert _pages_written_per_row(lambda: proof.purge(retention_days=365)) < 0.15


def test_the_page_count_sees_an_index_on_random_values(app, backend):
    # The control: the same purge, with the consent_id index dropped by d41f0c9a6b3e put back.
    if backend != "embedded":
        pytest.skip("SQLite's page writes")
    with app.app_context():
        db.session.execute(text("CREATE INDEX ix_random ON consent_records (consent_id)"))
        _seed_consents_as_made()
        assert _pages_written_per_row(lambda: proof.purge(retention_days=365)) > 0.3


def test_the_plan_check_sees_a_full_scan(app):
    # The control: a purge on a column without an index is reported, at the same size.
    from prospectra.database import delete_in_batches

    with app.app_context():
        _seed_consents()
        _analyze()
        with _deletes() as sent:
            delete_in_batches(ConsentRecord, ConsentRecord.policy_version == "0")
        plan = _plan(*sent[0])
        assert _full_scans(plan), plan


def _request_cleanup(app, monkeypatch: pytest.MonkeyPatch) -> Callable[[], object]:
    """A request that runs Flask-Session's in-request cleanup (its dice made to say yes)."""
    monkeypatch.setattr("flask_session.base.random.randint", lambda _a, _b: 0)
    client = app.test_client()
    return lambda: client.get("/login")


def test_a_request_deletes_at_most_one_small_batch_of_expired_sessions(app, monkeypatch):
    # The default setting (one request in about 1,000 cleans up); the dice are loaded.
    backlog = 3 * REQUEST_CLEANUP_BATCH + 50
    with app.app_context():
        _seed_store(app, live=500, expired=backlog)
        store = app.session_interface.store.sql_session_model
        expired = store.expiry <= NOW.replace(tzinfo=None)
        request = _request_cleanup(app, monkeypatch)
        assert request().status_code == 200
        db.session.rollback()  # see the other connection's commit
        assert _count(store, expired) == backlog - REQUEST_CLEANUP_BATCH
        assert _count(store) == 500 + backlog - REQUEST_CLEANUP_BATCH  # no live record went
        for _ in range(3):
            request()
        db.session.rollback()
        assert _count(store, expired) == 0 and _count(store) == 500


def test_no_request_cleans_up_when_the_setting_is_zero(app_factory, settings, monkeypatch):
    settings["session"] = {**settings.get("session", {}), "cleanup_every_n_requests": 0}
    app = app_factory(settings)
    with app.app_context():
        _seed_store(app, live=10, expired=10)
        assert _request_cleanup(app, monkeypatch)().status_code == 200
        db.session.rollback()
        assert _count(app.session_interface.store.sql_session_model) == 20
