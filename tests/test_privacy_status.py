"""`privacy status`: what ops read about the running set-up, and the same as JSON for machines."""

from __future__ import annotations

import json

import pytest

from prospectra import state
from prospectra.consent import decision
from prospectra.privacy import report
from tests.measurement import CONFIGS
from tests.measurement import EXPECTED
from tests.measurement import MATOMO
from tests.measurement import SCRIPT

# Exempt Matomo narrowed to the home page and the help pages.
MATOMO_PAGES = {
    "analytics": {
        "providers": ["matomo"],
        "matomo": dict(MATOMO, mode="exempt", pages=["/", "/help/*"]),
    }
}
SETUPS = {
    **CONFIGS,
    "matomo-exempt-pages": MATOMO_PAGES,
    "builtin-forced": {"analytics": {"providers": ["builtin"]}, "consent": {"banner": "on"}},
    "matomo-consent+script": {
        "analytics": {
            "providers": ["matomo", "script"],
            "matomo": dict(MATOMO, mode="consent"),
            "script": SCRIPT,
        }
    },
}
BANNER = {
    "none": "Consent banner: off — no provider configured",
    "builtin": "Consent banner: off — every provider is exempt (consent.banner = 'auto')",
    "matomo-exempt": "Consent banner: off — every provider is exempt (consent.banner = 'auto')",
    "matomo-consent": "Consent banner: on — matomo (Matomo (stats.example.org)) needs prior consent",
    "script": "Consent banner: on — script (Example Analytics) needs prior consent",
    "matomo-exempt-pages": "Consent banner: off — every provider is exempt (consent.banner = 'auto')",
    "builtin-forced": "Consent banner: on — forced by consent.banner = 'on' with exempt providers only",
    "matomo-consent+script": (
        "Consent banner: on — matomo (Matomo (stats.example.org)), script (Example Analytics) "
        "need prior consent"
    ),
}  # fmt: skip


@pytest.fixture
def status_of(app_factory, settings):
    """Run `privacy status` (with ``*args``) on an app built from the named set-up."""

    def run(name: str, *args: str) -> str:
        app = app_factory({**settings, **SETUPS[name]})
        result = app.test_cli_runner().invoke(args=["privacy", "status", *args])
        assert result.exit_code == 0, result.output
        return result.output

    return run


@pytest.mark.parametrize("name", list(SETUPS))
def test_status_gives_the_banner_decision_with_its_reason(status_of, name):
    lines = status_of(name).splitlines()
    assert [line for line in lines if line.startswith("Consent banner:")] == [BANNER[name]]
    if name in EXPECTED:
        assert BANNER[name].startswith(
            "Consent banner: on" if EXPECTED[name][0] else "Consent banner: off"
        )


def test_status_marks_each_exemption_condition_of_matomo_asserted_or_enforced(status_of):
    output = status_of("matomo-exempt-pages")
    assert block(output, "  - matomo: ") == [
        "  - matomo: Matomo (stats.example.org): exempt from consent",
        "      why: self-hosted Matomo in CNIL-exempt configuration: publisher-only statistics, IP "
        "addresses anonymised in Matomo's settings, cookie at most 13 months, no user id, no "
        "cross-domain linking, opt-out offered",
        "      controller: Prospectra (the publisher)",
        "      purpose: Audience measurement (audience_measurement): Measure the audience of the "
        "service for its publisher only (visits, pages, errors).",
        "      origins: https://stats.example.org",
        "      pages: /, /help/, /help/cookies (configured: /, /help/*)",
        "      cookies:",
        "        - _pk_id.3.* (name pattern): 395 days, host-only, path /, Secure, SameSite=Lax",
        "        - _pk_ses.3.* (name pattern): 30 minutes, host-only, path /, Secure, SameSite=Lax",
        "      data retention: 25 months",
        "      exemption conditions:",
        "        - [enforced by the app] visitor cookie 395 days at most, never extended by later visits",
        "        - [enforced by the app] no user id, no cross-domain linking, no browser-feature detection",
        "        - [enforced by the app] tag only on the pages allowed, never on login, password or logged-in pages",
        "        - [enforced by the app] objection offered and honoured (Cookie settings, Sec-GPC, DNT)",
        "        - [asserted by configuration] IP addresses anonymised (2 bytes) in Matomo's settings",
        "        - [asserted by configuration] raw data deleted after 25 months in Matomo's settings",
        "        - [asserted by configuration] data used by the publisher only, not combined with other processing",
    ]  # fmt: skip


def test_status_shows_a_consent_tag_with_its_controller_origins_default_pages_and_cookies(
    status_of,
):
    output = status_of("script")
    assert block(output, "  - script: ") == [
        "  - script: Example Analytics: needs prior consent",
        "      why: third-party tag: its provider may use the data for its own purposes; prior "
        "consent required",
        "      controller: Example Analytics Ltd",
        "      purpose: Audience measurement (audience_measurement): Audience statistics by "
        "Example Analytics.",
        "      policy: https://example.net/privacy",
        "      origins: https://tags.example.net, https://collect.example.net",
        "      pages: / (default: public pages but /legal/*, /help/*)",
        "      cookies:",
        "        - _ex: 395 days, host-only, path /, Secure, SameSite=Lax",
        "      data retention: 14 months",
    ]  # no exemption conditions: consent is asked
    assert (
        "  - _ex (audience measurement, 395 days, consent required): host-only, path /, Secure, "
        "SameSite=Lax" in output.splitlines()
    )


def test_status_gives_the_policy_version_choice_days_and_signal_handling(app_factory, settings):
    app = app_factory({**settings, **CONFIGS["builtin"], "consent": {"choice_days": 90}})
    lines = app.test_cli_runner().invoke(args=["privacy", "status"]).output.splitlines()
    declaration = state.of(app).declaration
    # The date the version came into force, as recorded in the policy history.
    since = state.of(app).policy_history[0]["in_force_since"].date().isoformat()
    assert lines[0] == f"Policy version: {declaration['policy_version']} (dated {since})"
    assert "Choice remembered: 90 days (consent.choice_days), then asked again" in lines
    assert report.SIGNALS["sec_gpc"] in lines and report.SIGNALS["dnt"] in lines
    assert (
        "  - __Host-consent (strictly necessary, 90 days, no consent needed): host-only, path /, "
        "Secure, SameSite=Lax, HttpOnly" in lines
    )


def test_the_signal_lines_say_what_the_consent_state_does(app_factory, settings):
    """Sec-GPC refuses everything and hides the banner; DNT stops exempt measurement only;
    a choice made in Cookie settings prevails over both."""
    app = app_factory({**settings, **SETUPS["matomo-consent+script"]})
    app_with_exempt = app_factory({**settings, **CONFIGS["builtin"]})

    def state(app, **headers):
        with app.test_request_context("/", headers=headers):
            return decision.current()

    gpc, dnt = state(app, **{"Sec-GPC": "1"}), state(app, DNT="1")
    assert not gpc.show_banner and gpc.allowed == ()
    assert dnt.show_banner and dnt.allowed == ()
    assert state(app_with_exempt, **{"Sec-GPC": "1"}).allowed == ()
    assert state(app_with_exempt, DNT="1").allowed == ()
    assert [p.key for p in state(app_with_exempt).allowed] == ["builtin"]
    with app_with_exempt.test_request_context("/", headers={"DNT": "1"}):
        chosen = decision.ConsentState(
            providers=decision.current().providers, banner=False, gpc=True, dnt=True,
            choice=decision.Choice("id", "v", {"builtin": True}, 0),
        )  # fmt: skip
        assert [p.key for p in chosen.allowed] == ["builtin"]


@pytest.mark.parametrize("name", list(SETUPS))
def test_status_json_parses_and_says_what_the_text_says(status_of, name):
    data = json.loads(status_of(name, "--json"))
    assert report.text(data) + "\n" == status_of(name)
    assert list(data) == ["policy", "providers", "choice_days", "signals", "banner", "cookies"]
    assert (
        f"Consent banner: {'on' if data['banner']['on'] else 'off'} — {data['banner']['reason']}"
        == BANNER[name]
    )
    for provider in data["providers"]:
        assert all(isinstance(c["enforced"], bool) for c in provider["exemption_conditions"])
        assert bool(provider["exemption_conditions"]) == provider["exempt"]


def test_status_json_lists_matomo_pages_and_conditions_for_machines(status_of):
    (matomo,) = json.loads(status_of("matomo-exempt-pages", "--json"))["providers"]
    assert matomo["pages"] == {
        "tag": True,
        "paths": ["/", "/help/", "/help/cookies"],
        "patterns": ["/", "/help/*"],
    }
    asserted = [c["condition"] for c in matomo["exemption_conditions"] if not c["enforced"]]
    assert asserted == [
        "IP addresses anonymised (2 bytes) in Matomo's settings",
        "raw data deleted after 25 months in Matomo's settings",
        "data used by the publisher only, not combined with other processing",
    ]
    assert matomo["cookies"][1] == {
        "name": "_pk_ses.3.*", "lifetime": "30 minutes", "max_age": 1800, "domain": None,
        "path": "/", "secure": True, "same_site": "Lax",
    }  # fmt: skip


def block(output: str, start: str) -> list[str]:
    """The lines of one provider: its first line and the indented ones below it."""
    lines = output.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith(start))
    end = first + 1
    while end < len(lines) and lines[end].startswith("      "):
        end += 1
    return lines[first:end]
