"""Policy changes: a new version follows the declaration; logged-in users are told once."""

from __future__ import annotations

import datetime
import html as html_module
import re

import pytest

from prospectra import create_app
from prospectra import state
from prospectra.extensions import db
from prospectra.models import PolicyVersion
from prospectra.privacy import versions
from tests.helpers import AuthActions
from tests.helpers import BufferedClient
from tests.helpers import cookies_set

NOTICE = 'class="notice" role="status"'


def build(tmp_path, providers=(), **sections):
    app = create_app(
        {
            "app": {"instance_path": str(tmp_path)},
            "analytics": {"providers": list(providers)},
            **sections,
        },
        testing=True,
    )
    app.test_client_class = BufferedClient
    return app


def client_of(app):
    client = app.test_client()
    client.environ_base["HTTP_REFERER"] = "https://localhost/"
    return client


def test_policy_page_shows_its_version_history(tmp_path):
    html = " ".join(client_of(build(tmp_path)).get("/legal/cookies").get_data(as_text=True).split())
    assert "Change history" in html and "First published version." in html


def test_adding_a_provider_makes_a_new_version_with_its_changes(tmp_path):
    first = build(tmp_path)
    second = build(tmp_path, ["builtin"])
    v1 = state.of(first).policy_version
    v2 = state.of(second).policy_version
    assert v1 != v2
    html = " ".join(client_of(second).get("/legal/cookies").get_data(as_text=True).split())
    assert (
        f"version {v2}: Cookie __Host-consent added; audience measurement by Prospectra (built-in statistics) added."
        in html
    )
    assert f"version {v1}: First published version." in html
    assert state.of(build(tmp_path, ["builtin"])).policy_version == v2  # same set-up, same version


def test_logged_in_user_is_told_of_a_change_once_without_a_new_cookie(tmp_path, make_user_in):
    make_user_in(build(tmp_path), "ada@example.org")
    changed = build(tmp_path, ["builtin"])
    client = client_of(changed)
    AuthActions(client).login()
    first = client.get("/dashboard")
    assert NOTICE in first.get_data(as_text=True)
    assert "audience measurement by Prospectra (built-in statistics) added" in first.get_data(
        as_text=True
    )
    assert set(cookies_set(first)) <= {"__Host-csrf"}
    assert NOTICE not in client.get("/account").get_data(as_text=True)  # told once


def test_new_account_gets_no_notice_about_older_changes(tmp_path, make_user_in):
    build(tmp_path)
    changed = build(tmp_path, ["builtin"])
    make_user_in(changed, "new@example.org")
    client = client_of(changed)
    AuthActions(client).login("new@example.org")
    assert NOTICE not in client.get("/dashboard").get_data(as_text=True)


def test_anonymous_visitors_get_no_notice(tmp_path):
    build(tmp_path)
    assert NOTICE not in client_of(build(tmp_path, ["builtin"])).get("/").get_data(as_text=True)


def test_a_change_names_the_tool_by_its_purpose_in_both_languages():
    before = {"cookies": [], "audience_measurement": []}
    after = {
        "cookies": [],
        "audience_measurement": [
            {"provider": "script", "name": "AdTag", "purpose_key": "advertising"}
        ],
    }
    changes = versions.changes_between(before, after)
    assert versions.describe(changes, "en") == "Advertising by AdTag added."
    assert versions.describe(changes, "fr") == "Outil de publicité AdTag ajouté."
    removed = versions.changes_between(after | {"audience_measurement": [
        {"provider": "x", "name": "X", "purpose_key": "audience_measurement"}]}, before)  # fmt: skip
    assert versions.describe(removed, "fr") == "Mesure d'audience par X supprimée."


# A deployment changes one thing; the history says that thing and nothing else, in both languages.
CHANGES = {
    "publisher": (
        {"service": {"publisher": "Nouvel Éditeur SAS"}},
        "Publisher changed.",
        "Changement d'éditeur.",
    ),
    "domain": (
        {"service": {"domain": "prospectra.example"}},
        "Domain changed.",
        "Changement de domaine.",
    ),
    "host": (
        {"hosting": {"name": "Autre Hébergeur SA"}},
        "Hosting provider changed.",
        "Changement d'hébergeur.",
    ),
    "choice lifetime": (
        {"consent": {"choice_days": 91}},
        "Lifetime of cookie __Host-consent changed from 6 months to 3 months.",
        "Durée de vie du cookie __Host-consent portée de 6 mois à 3 mois.",
    ),
}


@pytest.mark.parametrize("change", CHANGES)
def test_a_change_of_the_settings_is_named_and_nothing_else(tmp_path, change):
    setting, english, french = CHANGES[change]
    first = build(tmp_path, ["builtin"])
    second = build(tmp_path, ["builtin"], **setting)
    v1 = state.of(first).policy_version
    v2 = state.of(second).policy_version
    assert v1 != v2, "a change of what the legal pages state is a new version"
    client = client_of(second)
    assert f"version {v2}: {english}" in visible(client.get("/legal/cookies"))
    assert f"version {v2}\u00a0: {french}" in visible(client.get("/legal/cookies?lang=fr"))
    assert "Cookie __Host-session changed" not in visible(client.get("/legal/cookies"))


def test_a_version_recorded_before_change_lists_is_told_from_its_declarations(tmp_path):
    first = build(tmp_path)
    build(tmp_path, service={"publisher": "Nouvel Éditeur SAS"})
    with first.app_context():
        latest = db.session.scalar(db.select(PolicyVersion).order_by(PolicyVersion.id.desc()))
        latest.change_list = None  # as upgraded from a database of the previous release
        db.session.commit()
    again = build(tmp_path, service={"publisher": "Nouvel Éditeur SAS"})
    html = visible(client_of(again).get("/legal/cookies?lang=fr"))
    assert "\u00a0: Changement d'éditeur." in html and "Première version publiée." in html


FIRST_DAY = datetime.datetime(2026, 11, 2, 9, 30, tzinfo=datetime.UTC)
MONTHS_FR = "janvier février mars avril mai juin juillet août septembre octobre novembre décembre"


def written(day: datetime.date, lang: str) -> str:
    """The day as each language writes it, spelled here rather than asked of Babel."""
    if lang == "fr":
        return f"{'1er' if day.day == 1 else day.day} {MONTHS_FR.split()[day.month - 1]} {day.year}"
    return f"{day.day} {day.strftime('%B')} {day.year}"


def published_on(app, moment: datetime.datetime) -> None:
    """Date the version the app recorded as if it had been published at ``moment``."""
    with app.app_context():
        only = db.session.scalar(db.select(PolicyVersion))
        only.in_force_since = moment
        db.session.commit()


LAST_UPDATED = {"en": "Last updated {day}", "fr": "Dernière mise à jour\u00a0: {day}"}


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("path", ["/legal/cookies", "/legal/privacy", "/legal/notice"])
def test_a_new_host_moves_last_updated_and_the_history_on_every_legal_page(tmp_path, path, lang):
    published_on(build(tmp_path), FIRST_DAY)
    before = visible(client_of(build(tmp_path)).get(f"{path}?lang={lang}"))
    assert LAST_UPDATED[lang].format(day=written(FIRST_DAY, lang)) in before
    moved = build(tmp_path, hosting={"name": "Autre Hébergeur SA", "country": "DE"})
    with moved.app_context():
        since = db.session.scalar(
            db.select(PolicyVersion.in_force_since).order_by(PolicyVersion.id.desc())
        )
    after = visible(client_of(moved).get(f"{path}?lang={lang}"))
    assert LAST_UPDATED[lang].format(day=written(since, lang)) in after
    assert LAST_UPDATED[lang].format(day=written(FIRST_DAY, lang)) not in after
    if path == "/legal/cookies":  # the history is the cookie policy's section 6
        version = state.of(moved).policy_version
        told = "Hosting provider changed." if lang == "en" else "Changement d'hébergeur."
        colon = ":" if lang == "en" else "\u00a0:"
        assert f"{written(since, lang)}, version {version}{colon} {told}" in after
        assert f"{written(FIRST_DAY, lang)}, version" in after


INLINE = r"</?(a|time|span|code|strong|em|abbr|b|i)\b[^>]*>"


def visible(response) -> str:
    """The page's text as read: tags removed, entities decoded, blanks (not no-break spaces)
    collapsed."""
    assert response.status_code == 200
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", response.get_data(as_text=True), flags=re.S)
    body = re.sub(r"<[^>]+>", " ", re.sub(INLINE, "", body))
    return re.sub(r"[ \t\r\n]+", " ", html_module.unescape(body)).strip()
