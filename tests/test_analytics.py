"""Audience measurement: built-in counts without any visitor data; Matomo's tag only when allowed."""

from __future__ import annotations

import datetime

import pytest
from sqlalchemy import select

from prospectra.analytics import builtin
from prospectra.extensions import db
from prospectra.models import ConsentRecord
from prospectra.models import PageView
from tests.helpers import AuthActions
from tests.test_consent import choose
from tests.test_consent import make_app
from tests.test_consent import new_client
from tests.test_consent import page


def counts(app) -> dict[str, int]:
    with app.app_context():
        return {v.page: v.views for v in db.session.scalars(select(PageView))}


def test_builtin_counts_page_views_per_page_without_cookie_or_identifier(tmp_path):
    app = make_app(tmp_path, "builtin")
    client = new_client(app)
    for path in (
        "/",
        "/",
        "/legal/cookies",
        "/static/style.css",
        "/legal/cookies.json",
        "/no-such-page",
        "/?utm_source=x",
    ):
        response = client.get(path)
        assert response.headers.getlist("Set-Cookie") == []
    assert counts(app) == {"/": 3, "/legal/cookies": 1}  # pages only; no query string kept
    with app.app_context():
        columns = set(PageView.__table__.columns.keys())
    assert columns == {"id", "day", "page", "views"}  # nothing about the visitor can be stored


@pytest.mark.parametrize("header", [{"Sec-GPC": "1"}, {"DNT": "1"}])
def test_builtin_honours_privacy_signals_as_objection(tmp_path, header):
    app = make_app(tmp_path, "builtin")
    page(new_client(app), "/", **header)
    assert counts(app) == {}


def test_builtin_objection_in_cookie_settings_stops_counting(tmp_path):
    app = make_app(tmp_path, "builtin")
    client = new_client(app)
    choose(client, "customise")  # the box left unticked: objection
    page(client, "/")
    page(client, "/legal/cookies")
    assert counts(app) == {"/consent": 1}  # only the settings page viewed before objecting


def test_builtin_needs_no_banner_and_loads_no_script(tmp_path):
    _, html, csp = page(new_client(make_app(tmp_path, "builtin")))
    assert 'class="consent-banner"' not in html
    assert html.count("<script") == 1  # the app's own script only
    assert "connect-src" not in csp


def test_statistics_page_is_for_administrators_only(tmp_path, make_user_in):
    app = make_app(tmp_path, "builtin")
    make_user_in(app, "ops@example.org", admin=True)
    make_user_in(app, "ada@example.org")
    user = new_client(app)
    AuthActions(user).login("ada@example.org")
    assert user.get("/admin/statistics").status_code == 403
    ops = new_client(app)
    AuthActions(ops).login("ops@example.org")
    ops.get("/legal/cookies")
    html = ops.get("/admin/statistics").get_data(as_text=True)
    assert "<code>/legal/cookies</code>" in html
    assert new_client(app).get("/admin/statistics").status_code == 302  # anonymous: log in first


def test_statistics_page_does_not_exist_without_builtin(tmp_path, make_user_in):
    app = make_app(tmp_path, "none")
    make_user_in(app, "ops@example.org", admin=True)
    client = new_client(app)
    AuthActions(client).login("ops@example.org")
    assert client.get("/admin/statistics").status_code == 404


def test_report_and_purge_commands(tmp_path):
    app = make_app(tmp_path, "builtin")
    today = datetime.datetime.now(datetime.UTC).date()
    with app.app_context():
        builtin.record("/", today)
        builtin.record("/", today)
        builtin.record("/help/", today - datetime.timedelta(days=10))
        builtin.record("/old", today - datetime.timedelta(days=800))
    runner = app.test_cli_runner()
    report = runner.invoke(args=["analytics", "report", "--days", "30"])
    assert report.exit_code == 0
    lines = report.output.splitlines()
    assert lines[1].split() == ["/", "2"] and lines[2].split() == ["/help/", "1"]
    assert lines[-1].split()[:2] == ["total", "3"]
    purge = runner.invoke(args=["analytics", "purge"])
    assert "Deleted 1 daily count(s) older than 25 months." in purge.output
    assert counts(app) == {"/": 2, "/help/": 1}


def test_matomo_exempt_tag_is_rendered_with_the_cnil_settings(tmp_path):
    _, html, csp = page(new_client(make_app(tmp_path, "matomo-exempt")))
    assert 'src="/static/matomo-init.js?v=' in html  # the app's own script, versioned
    assert 'data-matomo-url="https://stats.example.org/"' in html and 'data-exempt="true"' in html
    assert 'data-cookie-days="395"' in html
    assert "script-src 'self' https://stats.example.org" in csp


def test_matomo_exempt_respects_gpc_and_objection(tmp_path):
    client = new_client(make_app(tmp_path, "matomo-exempt"))
    assert "matomo-init.js" not in page(client, **{"Sec-GPC": "1"})[1]
    choose(client, "customise")
    _, html, csp = page(client)
    assert "matomo-init.js" not in html and "stats.example.org" not in csp


def test_privacy_status_describes_the_setup(tmp_path):
    app = make_app(tmp_path, "script")
    output = app.test_cli_runner().invoke(args=["privacy", "status"]).output
    assert "script: Example Analytics: needs prior consent" in output
    assert "_ex (audience measurement, 395 days, consent required)" in output
    assert "__Host-consent (strictly necessary, 182 days, no consent needed)" in output
    assert "Consent banner: on" in output
    plain = (
        make_app(tmp_path / "other", "none")
        .test_cli_runner()
        .invoke(args=["privacy", "status"])
        .output
    )
    assert "Audience measurement: none" in plain and "Consent banner: off" in plain


def test_consent_records_are_purged_after_their_retention(tmp_path):
    app = make_app(tmp_path, "script")
    client = new_client(app)
    choose(client, "refuse_all")
    with app.app_context():
        old = ConsentRecord(consent_id="x" * 22, policy_version="v", action="accept_all", choices={"script": True},
                            created_at=datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=1100))  # fmt: skip
        db.session.add(old)
        db.session.commit()
    output = app.test_cli_runner().invoke(args=["privacy", "purge-consents"]).output
    assert "Deleted 1 consent record(s) older than 1095 days." in output
    with app.app_context():
        assert [r.action for r in db.session.scalars(select(ConsentRecord))] == ["refuse_all"]
