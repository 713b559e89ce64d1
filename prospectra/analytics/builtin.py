"""Built-in, cookieless audience measurement: page views per page and per day, nothing else.

No cookie, no storage, no identifier, no IP address: the server adds one to a daily counter of
the page's route (its URL pattern, never the query string or a user's id), unless the visitor
objects (Sec-GPC, DNT, or an objection recorded in Cookie settings).
"""

from __future__ import annotations

import calendar
import datetime

from flask import request
from flask.wrappers import Response
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite

from .. import state
from ..consent import decision
from ..database import delete_in_batches
from ..extensions import db
from ..models import PageView


def count_page_view(response: Response) -> Response:
    """After a page is served, count it if it is an HTML page and the visitor does not object."""
    if (
        request.method != "GET"
        or response.status_code != 200
        or response.mimetype != "text/html"
        or request.url_rule is None
    ):
        return response
    provider = next(p for p in state.current().providers if p.key == "builtin")
    if decision.current().allows(provider):
        record(request.url_rule.rule[:200], datetime.datetime.now(datetime.UTC).date())
    return response


def record(page: str, day: datetime.date) -> None:
    """Add one view of ``page`` on ``day`` (one upsert; concurrent workers are safe)."""
    insert = postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert
    statement = insert(PageView).values(day=day, page=page, views=1)
    statement = statement.on_conflict_do_update(
        index_elements=["day", "page"], set_={"views": PageView.views + 1}
    )
    db.session.execute(statement)
    db.session.commit()


def report(days: int, today: datetime.date | None = None) -> list[tuple[str, int]]:
    """Views per page over the last ``days`` days, most viewed first."""
    today = today or datetime.datetime.now(datetime.UTC).date()
    since = today - datetime.timedelta(days=days - 1)
    total = func.sum(PageView.views).label("views")
    rows = db.session.execute(
        select(PageView.page, total)
        .where(PageView.day >= since)
        .group_by(PageView.page)
        .order_by(total.desc(), PageView.page)
    )
    return [(page, int(views)) for page, views in rows]


def purge(retention_months: int, today: datetime.date | None = None) -> int:
    """Delete the counts older than the retention period (CNIL: 25 months at most)."""
    today = today or datetime.datetime.now(datetime.UTC).date()
    year, month = divmod(today.year * 12 + today.month - 1 - retention_months, 12)
    cutoff = datetime.date(year, month + 1, min(today.day, calendar.monthrange(year, month + 1)[1]))
    return delete_in_batches(PageView, PageView.day < cutoff)
