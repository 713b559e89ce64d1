"""Policy changes: a new version follows the declaration; logged-in users are told once."""

from __future__ import annotations

from prospectra import create_app
from prospectra.legal.views import _changes_in_french
from prospectra.privacy import versions
from tests.helpers import AuthActions
from tests.helpers import BufferedClient
from tests.helpers import cookies_set

NOTICE = 'class="notice" role="status"'


def build(tmp_path, providers=()):
    app = create_app(
        {"app": {"instance_path": str(tmp_path)}, "analytics": {"providers": list(providers)}},
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
    v1 = first.extensions["prospectra.policy_version"]
    v2 = second.extensions["prospectra.policy_version"]
    assert v1 != v2
    html = " ".join(client_of(second).get("/legal/cookies").get_data(as_text=True).split())
    assert (
        f"version {v2}: Cookie __Host-consent added; audience measurement by Prospectra (built-in statistics) added."
        in html
    )
    assert f"version {v1}: First published version." in html
    assert (
        build(tmp_path, ["builtin"]).extensions["prospectra.policy_version"] == v2
    )  # same set-up, same version


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
    changes = versions.describe_changes(before, after)
    assert changes == "Advertising by AdTag added."
    assert _changes_in_french(changes) == "Outil de publicité AdTag ajouté."
    assert _changes_in_french("Audience measurement by X removed.") == (
        "Mesure d'audience par X supprimée."
    )
