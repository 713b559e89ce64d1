"""Any measurement set-up the schema accepts keeps the policy true; any other stops the app.

Each row is a configuration an ops person could type, refused with one line naming the key.
"""

from __future__ import annotations

import pytest

from prospectra import create_app
from prospectra import providers as analytics
from prospectra import state
from prospectra.config import ConfigError
from prospectra.config import load_settings
from tests.helpers import LEGAL_HOSTING
from tests.helpers import LEGAL_SERVICE
from tests.measurement import CONFIGS
from tests.measurement import MATOMO
from tests.measurement import SCRIPT

SECRETS = {"app": {"secret_key": "s" * 40}, "mail": {"encryption_key": "A" * 43 + "="}}
PRODUCTION = {"app": {"environment": "production", **SECRETS["app"]},
              "service": {"domain": "app.example.org", **LEGAL_SERVICE}, "hosting": LEGAL_HOSTING,
              "mail": SECRETS["mail"]}  # fmt: skip


def script(**changes):
    return {"analytics": {"providers": ["script"], "script": dict(SCRIPT, **changes)}}


def cookie(**changes):
    return script(cookies=[dict(SCRIPT["cookies"][0], **changes)])


def matomo(**changes):
    return {
        "analytics": {"providers": ["matomo"], "matomo": {**MATOMO, "mode": "exempt", **changes}}
    }


def both(matomo_changes=None, **script_changes):
    return {
        "analytics": {
            "providers": ["matomo", "script"],
            "matomo": {**MATOMO, "mode": "exempt", **(matomo_changes or {})},
            "script": dict(SCRIPT, **script_changes),
        }
    }


REFUSED = [
    # Item 3: values that would reach the CSP, a page or a cookie name unchecked.
    (script(origins=["https://a.example; script-src *"]), "analytics.script.origins[0]: must be a URL without spaces"),
    (script(origins=["https://a.example;script-src"]), "analytics.script.origins[0]: needs a host name"),
    (script(origins=["https://a.example https://b.example"]), "analytics.script.origins[0]: must be a URL without spaces"),
    (script(origins=["https://*.example.net"]), "analytics.script.origins[0]: needs a host name, without wildcards"),
    (script(origins=["https://u:p@collect.example.net"]), "analytics.script.origins[0]: must not carry credentials"),
    (script(origins=["https://collect.example.net/path"]), "analytics.script.origins[0]: an origin is scheme://host[:port], without path or query"),
    (script(origins=["https://collect.example.net?x=1"]), "analytics.script.origins[0]: an origin is scheme://host[:port]"),
    (script(origins=["ftp://collect.example.net"]), "analytics.script.origins[0]: must be an https:// URL"),
    (script(origins=["https://collect.example.net:99999"]), "analytics.script.origins[0]: not a valid URL"),
    (script(src="https://u:p@tags.example.net/tag.js"), "analytics.script.src: must not carry credentials"),
    (script(src="https://tags.example.net/tag.js#x"), "analytics.script.src: not a script URL"),
    (script(src="javascript:alert(1)"), "analytics.script.src: needs a host name"),
    (matomo(url="https://stats.example.org/?a=b"), "analytics.matomo.url: must not carry a query or fragment"),
    (matomo(url="https://stats.example.org/#a"), "analytics.matomo.url: must not carry a query or fragment"),
    (matomo(url="https://u:p@stats.example.org/"), "analytics.matomo.url: must not carry credentials"),
    (matomo(url="https://stats.example.org"), "analytics.matomo.url: must end with '/'"),
    (matomo(url="http://stats.example.org/"), "analytics.matomo.url: must be an https:// URL"),
    (cookie(name="*"), "analytics.script.cookies[0].name: a cookie name"),
    (cookie(name="_a*b"), "analytics.script.cookies[0].name: a cookie name"),
    (cookie(name="a b"), "analytics.script.cookies[0].name: a cookie name"),
    (cookie(name="x;y"), "analytics.script.cookies[0].name: a cookie name"),
    (cookie(name="__Host-session"), "analytics.script.cookies[0].name: __Host- and __Secure- names are reserved"),
    (cookie(name="__Secure-x"), "analytics.script.cookies[0].name: __Host- and __Secure- names are reserved"),
    (cookie(name="__host-x"), "analytics.script.cookies[0].name: __Host- and __Secure- names are reserved"),
    (cookie(name="session"), "analytics.script.cookies[0].name: 'session' would match the application's own cookie"),
    (cookie(name="cs*"), "analytics.script.cookies[0].name: 'cs*' would match the application's own cookie csrf"),
    (cookie(name="__*"), "analytics.script.cookies[0].name: '__*' would match the application's own cookie __Host-consent"),
    (cookie(domain="other.example"), "analytics.script.cookies[0].domain: must be the service's domain"),
    (cookie(domain="org"), "analytics.script.cookies[0].domain: must be the service's domain"),
    (cookie(path="legal"), "analytics.script.cookies[0].path: a path such as"),
    (cookie(path="/a;b"), "analytics.script.cookies[0].path: a path such as"),
    (cookie(same_site="none"), "analytics.script.cookies[0].same_site: one of"),
    (cookie(same_site="None", secure=False), "analytics.script.cookies[0].secure: SameSite=None cookies must be Secure"),
    (cookie(colour="blue"), "analytics.script.cookies[0].colour: unknown key"),
    (cookie(retention_days="395"), "analytics.script.cookies[0].retention_days: expected int"),
    (script(cookies=[{"name": "_x"}]), "analytics.script.cookies[0]: needs at least name, retention_days and purpose"),
    (script(cookies=["_ga"]), "analytics.script.cookies[0]: needs at least name, retention_days and purpose"),
    (script(pages=["/login*x"]), "analytics.script.pages[0]: a path such as '/' or '/help/*'"),
    (script(pages=["help/*"]), "analytics.script.pages[0]: a path such as"),
    (script(pages=["/login"]), "analytics.script.pages[0]: '/login' names no public page"),
    (script(pages=["/account"]), "analytics.script.pages[0]: '/account' names no public page"),
    (script(pages=["/mail/*"]), "analytics.script.pages[0]: '/mail/*' names no public page"),
    (script(name="A\nB"), "analytics.script.name: at most 80 characters, on one line"),
    (script(policy_url=""), "analytics.script.policy_url: required"),
    (script(policy_url="http://example.net/privacy"), "analytics.script.policy_url: must be an https:// URL"),
    (both(origins=["https://stats.example.org"]), "analytics.script: shares the origin https://stats.example.org with matomo"),
    (both(cookies=[dict(SCRIPT["cookies"][0], name="_pk_id.3.abcd")]), "analytics.script: cookie '_pk_id.3.abcd' overlaps matomo's '_pk_id.3.*'"),
    (both(cookies=[dict(SCRIPT["cookies"][0], name="_pk*")]), "analytics.script: cookie '_pk*' overlaps matomo's '_pk_id.3.*'"),
    (script(origins=["https://c.example.net", "https://c.example.net"]), "analytics.script.origins: an origin is listed twice"),
    # Item 4: CNIL's ceilings.
    (cookie(retention_days=396), "analytics.script.cookies[0].retention_days: must be between 1 and 395 days (CNIL 2020-091: a cookie that needs consent lasts 13 months at most)"),
    (cookie(retention_days=100000), "analytics.script.cookies[0].retention_days: must be between 1 and 395"),
    (matomo(cookie_days=3650), "analytics.matomo.cookie_days: must be between 1 and 395 days (CNIL 2020-091: an exempt measurement cookie lasts 13 months at most)"),
    ({"analytics": {"providers": ["matomo"], "matomo": dict(MATOMO, mode="consent", cookie_days=396)}},
     "analytics.matomo.cookie_days: must be between 1 and 395 days (CNIL 2020-091: a cookie that needs consent"),
    (matomo(retention_months=26), "analytics.matomo.retention_months: must be between 1 and 25 (CNIL: measurement data kept 25 months at most)"),
    ({"consent": {"choice_days": 183}}, "consent.choice_days: must be between 1 and 182 (CNIL: a choice is remembered 6 months at most)"),
    ({"consent": {"choice_days": 395}}, "consent.choice_days: must be between 1 and 182"),
    ({"analytics": {"providers": ["builtin"], "builtin": {"retention_months": 26}}}, "analytics.builtin.retention_months: must be between 1 and 25"),
    # Item 5: Matomo does not fail open.
    ({"analytics": {"providers": ["matomo"], "matomo": MATOMO}}, "analytics.matomo.mode: choose 'exempt'"),
    (matomo(mode="yes"), "analytics.matomo.mode: choose 'exempt'"),
    ({"analytics": {"providers": ["matomo"], "matomo": dict(MATOMO, exempt=True)}}, "analytics.matomo.exempt: unknown key"),
    # Item 7: a purpose is stated as it is.
    (script(category=""), "analytics.script.category: required"),
    (script(controller=" "), "analytics.script.controller: required"),
    (script(category="analytics"), "analytics.script.category: must be one of"),
    (script(category="advertising", purpose_fr="Ciblage"), "analytics.script.purpose: speaks of audience measurement while the declared category is 'advertising'"),
    (script(category="advertising", purpose="Ads", purpose_fr="Mesure d'audience"), "analytics.script.purpose_fr: speaks of audience measurement"),
    # Earlier rules, still true.
    ({**script(), "consent": {"banner": "off"}}, "consent.banner: cannot be 'off' while script needs prior consent"),
    ({"analytics": {"providers": ["matomo"], "matomo": {"url": "https://s.example.org/", "mode": "exempt"}}}, "analytics.matomo.site_id: must be Matomo's site id"),
    (script(src=""), "analytics.script.src: required"),
    # GDPR art. 13(2)(a): the vendor's retention is a period.
    (script(retention_months=121), "analytics.script.retention_months: must be between 1 and 120"),
    ({"analytics": {"providers": ["hotjar"]}}, "analytics.providers: unknown provider 'hotjar'"),
    ({"analytics": {"providers": ["builtin", "builtin"]}}, "analytics.providers: a provider is listed twice"),
    ({"consent": {"banner": "maybe"}}, "consent.banner: must be one of"),
]  # fmt: skip

PRODUCTION_REFUSED = [
    (script(src="http://127.0.0.1:8000/tag.js"), "analytics.script.src: a loopback or localhost address is refused in production"),
    (script(origins=["https://localhost"]), "analytics.script.origins[0]: a loopback or localhost address is refused in production"),
    (script(origins=["https://127.0.0.2:8443"]), "analytics.script.origins[0]: a loopback or localhost address is refused"),
    (script(origins=["https://[::1]"]), "analytics.script.origins[0]: a loopback or localhost address is refused"),
    (script(origins=["https://stats.localhost"]), "analytics.script.origins[0]: a loopback or localhost address is refused"),
    (matomo(url="https://localhost/"), "analytics.matomo.url: a loopback or localhost address is refused in production"),
    (cookie(domain="example.org"), None),  # accepted: a parent of app.example.org
    (cookie(domain="other.org"), "analytics.script.cookies[0].domain: must be the service's domain (app.example.org) or a parent of it"),
    (script(retention_months=0), "analytics.script.retention_months: required in production (GDPR art. 13(2)(a): how long its provider keeps the data)"),
]  # fmt: skip


def message_pattern(message: str) -> str:
    return "^" + "".join("\\" + c if c in "[]().*?+|^$\\{}" else c for c in message)


@pytest.mark.parametrize(("overrides", "message"), REFUSED)
def test_a_config_that_would_break_the_policy_is_refused_with_one_line(
    tmp_path, overrides, message
):
    with pytest.raises(ConfigError, match=message_pattern(message)) as refused:
        create_app({"app": {"instance_path": str(tmp_path)}, **overrides}, testing=True)
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize(("overrides", "message"), PRODUCTION_REFUSED)
def test_production_refuses_loopback_origins_and_foreign_cookie_domains(overrides, message):
    settings = {
        **overrides,
        **PRODUCTION,
        "app": {**PRODUCTION["app"], "instance_path": "/nonexistent"},
    }
    if message is None:
        load_settings(settings, environ={})
        return
    with pytest.raises(ConfigError, match=message_pattern(message)):
        load_settings(settings, environ={})


def test_loopback_origins_are_accepted_in_development_for_local_tests():
    settings = load_settings(script(src="http://127.0.0.1:8000/tag.js"), environ={})
    (provider,) = analytics.build(settings)
    assert provider.origins == ("http://127.0.0.1:8000", "https://collect.example.net")


def test_two_providers_on_different_origins_with_different_purposes_are_accepted(tmp_path):
    app = create_app({"app": {"instance_path": str(tmp_path)},
                      **both(category="advertising", purpose="Ads by Example.", purpose_fr="Publicité.")},
                     testing=True)  # fmt: skip
    keys = [p.key for p in state.of(app).providers]
    assert keys == ["matomo", "script"]


def test_two_providers_may_share_an_origin_when_they_need_the_same_consent(tmp_path):
    settings = both({"mode": "consent"}, origins=["https://stats.example.org"])
    create_app({"app": {"instance_path": str(tmp_path)}, **settings}, testing=True)


def test_declared_cookie_attributes_reach_the_registry_as_written(tmp_path):
    app = create_app({"app": {"instance_path": str(tmp_path)}, "service": {"domain": "app.example.org"},
                      **script(cookies=[dict(SCRIPT["cookies"][0], name="_ga", domain=".Example.org"),
                                        dict(SCRIPT["cookies"][0], name="_ga_*", path="/legal",
                                             same_site="Strict")])},
                     testing=True)  # fmt: skip
    declared = {c["name"]: c["attributes"] for c in state.of(app).declaration["cookies"]}
    assert declared["_ga"] == {"secure": True, "http_only": False, "same_site": "Lax",
                               "path": "/", "domain": "example.org", "max_age": 395 * 86400}  # fmt: skip
    assert declared["_ga_*"]["path"] == "/legal"
    assert declared["_ga_*"]["domain"] is None
    assert declared["_ga_*"]["same_site"] == "Strict"


def test_matomo_session_cookie_is_declared_for_thirty_minutes(tmp_path):
    app = create_app(
        {"app": {"instance_path": str(tmp_path)}, **CONFIGS["matomo-consent"]}, testing=True
    )
    cookies = {c["name"]: c for c in state.of(app).declaration["cookies"]}
    assert cookies["_pk_ses.3.*"]["attributes"]["max_age"] == 1800
    assert cookies["_pk_ses.3.*"]["retention"] == "30 minutes."
    assert cookies["_pk_id.3.*"]["retention"] == "13 months."  # 395 days, said as people say it


def test_a_tag_without_its_vendor_retention_shows_a_placeholder_in_development(tmp_path):
    app = create_app(
        {"app": {"instance_path": str(tmp_path)}, **script(retention_months=0)}, testing=True
    )
    client = app.test_client()
    for path in ("/legal/cookies", "/legal/privacy"):
        page = client.get(path).get_data(as_text=True)
        assert "[to be set: analytics.script.retention_months]" in page, path
    french = client.get("/legal/cookies?lang=fr").get_data(as_text=True)
    assert "[à renseigner\u00a0: analytics.script.retention_months]" in french
