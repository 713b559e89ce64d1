"""Cost stays flat as data grows: the account page lists a user's sessions from the index and one
read of the store for the whole list, however many sessions there are. Run on SQLite and on
Redis + PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from prospectra.extensions import db
from tests.browsers import CHROME
from tests.browsers import Browser

pytestmark = pytest.mark.both_backends


@contextmanager
def _reads(app) -> Iterator[dict[str, int]]:
    """Count SQL statements and session-store reads by session id while the block runs."""
    counts = {"sql": 0, "store": 0}
    interface = app.session_interface.store
    retrieve = interface._retrieve_session_data

    def counted(store_id):
        counts["store"] += 1
        return retrieve(store_id)

    def statement(*_args):
        counts["sql"] += 1

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", statement)
    interface._retrieve_session_data = counted
    try:
        yield counts
    finally:
        del interface._retrieve_session_data
        event.remove(engine, "before_cursor_execute", statement)


def _account_page(app, laptop: Browser) -> tuple[str, dict[str, int]]:
    with _reads(app) as counts:
        response = laptop.get("/account")
    assert response.status_code == 200
    return response.get_data(as_text=True), counts


def test_the_account_page_costs_the_same_with_many_sessions(app, two_browsers):
    laptop, _phone = two_browsers
    laptop.get("/account")  # anything done once per worker is done
    page, few = _account_page(app, laptop)
    mentions = page.count("Chrome on Windows")  # in the list, and in the form to end one
    assert mentions > 0
    for _ in range(8):
        assert Browser(app, CHROME).login().status_code == 303
    page, many = _account_page(app, laptop)
    assert page.count("Chrome on Windows") == 9 * mentions  # every session is listed
    assert many == few
    assert many["store"] == 1  # the visitor's own session, read as on every page
