"""Consent (CNIL 2020-091/092): the banner exactly when needed, nothing before consent, easy refusal."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from sqlalchemy import select

from prospectra import create_app
from prospectra.extensions import db
from prospectra.models import ConsentRecord
from tests.helpers import BufferedClient
from tests.helpers import cookies_set
from tests.helpers import csrf_token
from tests.helpers import public_pages
from tests.measurement import CONFIGS
from tests.measurement import EXPECTED

BANNER = 'class="consent-banner"'
CONSENT = "__Host-consent"


def make_app(tmp_path, name: str, **extra):
    settings = {"app": {"instance_path": str(tmp_path)}, **CONFIGS[name]}
    for table, values in extra.items():
        settings[table] = {**settings.get(table, {}), **values}
    app = create_app(settings, testing=True)
    app.test_client_class = BufferedClient
    return app


def new_client(app):
    client = app.test_client()
    client.environ_base["HTTP_REFERER"] = "https://localhost/"
    return client


def choose(client, action: str, **fields):
    token = csrf_token(client.get("/consent"))
    return client.post(
        "/consent", data={"csrf_token": token, "action": action, "next": "/", **fields}
    )


def page(client, path: str = "/", **headers):
    response = client.get(path, headers=headers)
    return response, response.get_data(as_text=True), response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("name", list(CONFIGS))
def test_each_setup_shows_the_banner_declares_cookies_and_admits_origins_as_expected(
    tmp_path, name
):
    banner, cookies, origins = EXPECTED[name]
    app = make_app(tmp_path, name)
    client = new_client(app)
    response, html, csp = page(client)
    assert (BANNER in html) is banner
    # Showing the banner deposits nothing but the CSRF cookie that protects its form.
    assert set(cookies_set(response)) == ({"__Host-csrf"} if banner else set())
    declaration = client.get("/legal/cookies.json").get_json()
    assert {c["name"] for c in declaration["cookies"]} == cookies
    assert declaration["consent_banner"] is banner
    assert [t["provider"] for t in declaration["audience_measurement"]] == CONFIGS[name][
        "analytics"
    ]["providers"]
    policy_html = " ".join(client.get("/legal/cookies").get_data(as_text=True).split())
    for cookie in declaration["cookies"]:
        assert cookie["name"] in policy_html
    exempt_origins = origins if name == "matomo-exempt" else []
    for origin in origins:
        assert (origin in csp) is (origin in exempt_origins)  # before any consent


@pytest.mark.parametrize("name", ["script", "matomo-consent"])
def test_nothing_of_a_consent_provider_reaches_the_page_before_consent(tmp_path, name):
    client = new_client(make_app(tmp_path, name))
    for path in public_pages(login=True):  # continued browsing is not consent
        response, html, csp = page(client, path)
        assert 'src="https://' not in html and "matomo-init.js" not in html  # no tag
        assert "example" not in csp
        assert CONSENT not in cookies_set(response)


def test_refusing_takes_one_click_is_remembered_and_loads_nothing(tmp_path):
    app = make_app(tmp_path, "script")
    client = new_client(app)
    response = choose(client, "refuse_all")
    assert response.status_code == 303 and response.headers["Location"] == "/"
    cookie = cookies_set(response)[CONSENT]
    assert cookie["max-age"] == str(182 * 86400)
    assert cookie["secure"] is True and cookie["httponly"] is True and cookie["samesite"] == "Lax"
    _, html, csp = page(client)
    assert BANNER not in html
    assert "tags.example.net" not in html and "example" not in csp
    with app.app_context():
        record = db.session.scalars(select(ConsentRecord)).one()
        assert record.action == "refuse_all" and record.choices == {"script": False}
        assert len(record.consent_id) >= 16


def test_accepting_loads_the_tag_and_admits_its_origins(tmp_path):
    client = new_client(make_app(tmp_path, "script"))
    choose(client, "accept_all")
    _, html, csp = page(client)
    assert BANNER not in html
    assert '<script src="https://tags.example.net/tag.js" async></script>' in html
    assert "script-src 'self' https://tags.example.net https://collect.example.net" in csp
    assert "connect-src 'self' https://tags.example.net https://collect.example.net" in csp


def test_accept_and_refuse_are_the_same_element_with_the_same_style(tmp_path):
    html = page(new_client(make_app(tmp_path, "script")))[1]
    assert (
        '<button type="submit" name="action" value="accept_all" class="consent-button">Accept all</button>'
        in html
    )
    assert (
        '<button type="submit" name="action" value="refuse_all" class="consent-button">Refuse all</button>'
        in html
    )


def test_customise_page_has_every_purpose_off_by_default(tmp_path):
    html = new_client(make_app(tmp_path, "script")).get("/consent").get_data(as_text=True)
    # One switch per purpose, not checked.
    assert 'name="allow-purpose-audience_measurement" value="yes">' in html


def test_customised_choice_applies_per_provider(tmp_path):
    settings_extra = {
        "analytics": {
            "providers": ["builtin", "script"],
            "script": CONFIGS["script"]["analytics"]["script"],
        }
    }
    app = make_app(tmp_path, "none", **settings_extra)
    client = new_client(app)
    # The script's purpose ticked, the builtin's objection switch left unticked: objection.
    choose(client, "customise", **{"allow-purpose-audience_measurement": "yes"})
    _, html, _ = page(client)
    assert "tags.example.net/tag.js" in html
    with app.app_context():
        record = db.session.scalars(select(ConsentRecord)).one()
        assert record.choices == {"builtin": False, "script": True}


def test_withdrawal_expires_the_provider_cookies_the_browser_sent(tmp_path):
    client = new_client(make_app(tmp_path, "script"))
    choose(client, "accept_all")
    client.set_cookie("_ex", "GA1.1.42", secure=True)  # deposited by the provider's script
    response = choose(client, "refuse_all")
    removed = cookies_set(response)["_ex"]
    assert removed["value"] == "" and removed["max-age"] == "0"
    assert "tags.example.net" not in page(client)[1]


def test_changed_policy_version_asks_again(tmp_path):
    client = new_client(make_app(tmp_path, "script"))
    choose(client, "accept_all")
    script = dict(
        CONFIGS["script"]["analytics"]["script"],
        cookies=[{"name": "_ex", "retention_days": 200, "purpose": "Changed."}],
    )
    changed = create_app(
        {
            "app": {"instance_path": str(tmp_path)},
            "analytics": {"providers": ["script"], "script": script},
        },
        testing=True,
    )
    assert changed.secret_key == client.application.secret_key
    client.application = changed
    _, html, csp = page(client)
    assert BANNER in html and "tags.example.net" not in html and "example" not in csp


def test_expired_choice_asks_again(tmp_path):
    client = new_client(make_app(tmp_path, "script"))
    start = datetime.datetime(2026, 11, 29, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False) as clock:
        choose(client, "refuse_all")
        clock.shift(datetime.timedelta(days=181))
        assert BANNER not in page(client)[1]
        clock.shift(datetime.timedelta(days=2))
        client.set_cookie(
            CONSENT, client.get_cookie(CONSENT).value, secure=True, httponly=True
        )  # a lax browser
        assert BANNER in page(client)[1]


def test_tampered_choice_cookie_is_no_choice(tmp_path):
    client = new_client(make_app(tmp_path, "script"))
    client.set_cookie(CONSENT, "eyJjIjp7InNjcmlwdCI6dHJ1ZX19.forged", secure=True, httponly=True)
    _, html, csp = page(client)
    assert BANNER in html and "tags.example.net" not in html


def test_global_privacy_control_is_a_refusal_without_banner(tmp_path):
    client = new_client(make_app(tmp_path, "script"))
    response, html, csp = page(client, **{"Sec-GPC": "1"})
    assert BANNER not in html and "tags.example.net" not in html and "example" not in csp
    assert response.headers.getlist("Set-Cookie") == []


def test_an_explicit_choice_wins_over_global_privacy_control(tmp_path):
    client = new_client(make_app(tmp_path, "script"))
    choose(client, "accept_all")
    assert "tags.example.net" in page(client, **{"Sec-GPC": "1"})[1]


def test_consent_post_is_csrf_protected_and_validated(tmp_path):
    client = new_client(make_app(tmp_path, "script"))
    client.get("/consent")
    assert client.post("/consent", data={"action": "accept_all"}).status_code == 400
    token = csrf_token(client.get("/consent"))
    assert (
        client.post("/consent", data={"csrf_token": token, "action": "everything"}).status_code
        == 400
    )
    assert client.get_cookie(CONSENT) is None


def test_consent_next_never_leaves_the_site(tmp_path):
    client = new_client(make_app(tmp_path, "script"))
    token = csrf_token(client.get("/consent"))
    response = client.post(
        "/consent", data={"csrf_token": token, "action": "refuse_all", "next": "//evil.example"}
    )
    assert response.headers["Location"] == "/consent"


def test_nothing_to_choose_without_a_provider(tmp_path):
    client = new_client(make_app(tmp_path, "none"))
    html = client.get("/consent").get_data(as_text=True)
    assert "Prospectra measures no audience" in html
    token = csrf_token(client.get("/login"))
    assert (
        client.post("/consent", data={"csrf_token": token, "action": "accept_all"}).status_code
        == 404
    )


def test_everything_works_after_refusal(tmp_path, make_user_in):
    app = make_app(tmp_path, "script")
    make_user_in(app)
    client = new_client(app)
    choose(client, "refuse_all")
    from tests.helpers import AuthActions

    assert AuthActions(client).login().status_code == 303
    assert client.get("/account").status_code == 200


def test_every_page_footer_links_cookie_settings(tmp_path):
    client = new_client(make_app(tmp_path, "script"))
    for path in (*public_pages(login=True), "/no-such-page"):
        assert 'href="/consent?next=' in client.get(path).get_data(as_text=True)


def test_privacy_policy_describes_the_choice_records_and_measurement(tmp_path):
    html = " ".join(
        new_client(make_app(tmp_path, "script"))
        .get("/legal/privacy")
        .get_data(as_text=True)
        .split()
    )
    # [consent] choice_days 182 and record_retention_days 1095, said as people say them.
    assert "6 months in your browser; 3 years on our server as proof, then deleted." in html
    assert "Audience measurement by Example Analytics" in html
    assert "Your consent (GDPR art. 6(1)(a))" in html
    plain = (
        new_client(make_app(tmp_path / "plain", "none"))
        .get("/legal/privacy")
        .get_data(as_text=True)
    )
    assert "Your cookie choice" not in plain


def test_cookie_settings_with_nothing_to_choose_set_no_cookie(tmp_path):
    # The policy: the CSRF cookie is "set by pages with a form"; with no tool there is no form.
    client = create_app({"app": {"instance_path": str(tmp_path)}}, testing=True).test_client()
    response = client.get("/consent")
    assert response.status_code == 200
    assert "<form" not in response.get_data(as_text=True).split('<main id="main">')[1]
    assert response.headers.getlist("Set-Cookie") == []
