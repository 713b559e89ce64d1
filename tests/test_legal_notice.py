"""The legal notice states every LCEN art. 6-III mention ops configured; production refuses to
start while one is empty, development shows where one is missing; the recipients' facts.

The expected texts and refusals are written out here, not derived from the code's own tables,
so that a test cannot pass because the code and the test share a mistake.
"""

from __future__ import annotations

import html
import re
import tomllib

import pytest
from cryptography.fernet import Fernet
from flask import render_template_string

from prospectra import create_app
from prospectra.config import ConfigError
from prospectra.config import load_settings
from prospectra.extensions import db
from prospectra.legal import facts
from prospectra.paths import PROJECT_ROOT
from tests.helpers import OPENAI_ASSISTANT
from tests.measurement import SCRIPT

COMPANY = {
    "publisher": "Acme Prospection SAS",
    "publisher_legal_form": "SAS",
    "publisher_address": "1 rue de la Paix, 75002 Paris, France",
    "publisher_registration": "RCS Paris 912 345 678",
    "publisher_share_capital": "10 000 €",
    "publisher_vat": "FR74912345678",
    "publisher_phone": "+33 1 23 45 67 89",
    "publication_director": "Jeanne Martin",
    "domain": "app.acme.example",
    "contact_email": "contact@acme.example",
    "dpo": "dpo@acme.example",
}
INDIVIDUAL = {
    "publisher": "Paul Durand",
    "publisher_legal_form": "individual",
    "publisher_address": "3 chemin des Vignes, 69005 Lyon, France",
    "publisher_phone": "+33 4 00 00 00 00",
    "publication_director": "Paul Durand",
    "domain": "app.durand.example",
    "contact_email": "paul@durand.example",
    "dpo": "none",
}
HOST = {
    "name": "OVH SAS",
    "address": "2 rue Kellermann, 59100 Roubaix, France",
    "phone": "+33 9 72 10 10 07",
    "country": "FR",
}
ASSISTANT = OPENAI_ASSISTANT
SECRETS = {
    "app": {"secret_key": "n" * 40},
    "mail": {"encryption_key": Fernet.generate_key().decode()},
}


def notice_app(tmp_path, service, hosting=HOST, **tables):
    return create_app(
        {"app": {"instance_path": str(tmp_path)}, "service": service, "hosting": hosting, **tables},
        testing=True,
    )


def section(app, lang: str, heading: str) -> list[tuple[str, str]]:
    """The (term, definition) pairs under ``heading`` of the notice, as a reader reads them."""
    page = app.test_client().get(f"/legal/notice?lang={lang}").get_data(as_text=True)
    part = page.split(f"<h2>{heading}</h2>", 1)[1].split("</dl>", 1)[0]
    pairs = re.findall(r"<dt>(.*?)</dt>\s*<dd>(.*?)</dd>", part, re.S)
    return [(_text(term), _text(definition)) for term, definition in pairs]


def _text(fragment: str) -> str:
    """Tags removed, entities decoded, blanks folded (no-break spaces kept, as a reader sees)."""
    return re.sub(r"[ \t\r\n]+", " ", html.unescape(re.sub(r"<[^>]+>", "", fragment))).strip()


def test_a_company_publisher_states_every_lcen_mention_in_english(tmp_path):
    app = notice_app(tmp_path, COMPANY)
    assert section(app, "en", "Publisher") == [
        ("Service", "Prospectra, available at app.acme.example"),
        ("Company name", "Acme Prospection SAS"),
        ("Legal form", "SAS"),
        ("Registered office", "1 rue de la Paix, 75002 Paris, France"),
        ("Registration", "RCS Paris 912 345 678"),
        ("Share capital", "10 000 €"),
        ("VAT number", "FR74912345678"),
        ("Telephone", "+33 1 23 45 67 89"),
        ("E-mail", "contact@acme.example"),
        ("Publication director", "Jeanne Martin"),
    ]
    assert section(app, "en", "Hosting provider") == [
        ("Host", "OVH SAS"),
        ("Address", "2 rue Kellermann, 59100 Roubaix, France"),
        ("Telephone", "+33 9 72 10 10 07"),
        ("Country of the servers", "France"),
    ]


def test_a_company_publisher_states_every_lcen_mention_in_french(tmp_path):
    app = notice_app(tmp_path, COMPANY)
    assert section(app, "fr", "Éditeur du site") == [
        ("Service", "Prospectra, accessible à l'adresse app.acme.example"),
        ("Dénomination sociale", "Acme Prospection SAS"),
        ("Forme juridique", "SAS"),
        ("Siège social", "1 rue de la Paix, 75002 Paris, France"),
        ("Immatriculation", "RCS Paris 912 345 678"),
        ("Capital social", "10 000 €"),
        ("Numéro de TVA intracommunautaire", "FR74912345678"),
        ("Téléphone", "+33 1 23 45 67 89"),
        ("Adresse électronique", "contact@acme.example"),
        ("Directeur de la publication", "Jeanne Martin"),
    ]
    assert section(app, "fr", "Hébergeur") == [
        ("Hébergeur", "OVH SAS"),
        ("Adresse", "2 rue Kellermann, 59100 Roubaix, France"),
        ("Téléphone", "+33 9 72 10 10 07"),
        ("Pays d'hébergement des serveurs", "France"),
    ]


def test_an_individual_publisher_states_name_and_address_and_no_company_mentions(tmp_path):
    app = notice_app(tmp_path, INDIVIDUAL)
    assert section(app, "en", "Publisher") == [
        ("Service", "Prospectra, available at app.durand.example"),
        ("Publisher", "Paul Durand, an individual"),
        ("Address", "3 chemin des Vignes, 69005 Lyon, France"),
        ("Telephone", "+33 4 00 00 00 00"),
        ("E-mail", "paul@durand.example"),
        ("Publication director", "Paul Durand"),
    ]
    assert section(app, "fr", "Éditeur du site") == [
        ("Service", "Prospectra, accessible à l'adresse app.durand.example"),
        ("Éditeur", "Paul Durand, personne physique"),
        ("Adresse", "3 chemin des Vignes, 69005 Lyon, France"),
        ("Téléphone", "+33 4 00 00 00 00"),
        ("Adresse électronique", "paul@durand.example"),
        ("Directeur de la publication", "Paul Durand"),
    ]


def test_a_registered_individual_states_the_registration(tmp_path):
    app = notice_app(tmp_path, {**INDIVIDUAL, "publisher_registration": "RM 123 456 789"})
    assert ("Registration", "RM 123 456 789") in section(app, "en", "Publisher")
    assert ("Immatriculation", "RM 123 456 789") in section(app, "fr", "Éditeur du site")


def test_the_host_s_country_is_named_in_the_page_s_language(tmp_path):
    hosting = {**HOST, "country": "CH", "transfer_safeguard": "adequacy"}
    app = notice_app(tmp_path, COMPANY, hosting)
    assert ("Country of the servers", "Switzerland") in section(app, "en", "Hosting provider")
    assert ("Pays d'hébergement des serveurs", "Suisse") in section(app, "fr", "Hébergeur")


def test_the_french_notice_follows_french_typography(tmp_path):
    page = notice_app(tmp_path, COMPANY).test_client().get("/legal/notice?lang=fr")
    text = html.unescape(page.get_data(as_text=True))
    assert "Mentions légales de Prospectra\u00a0: éditeur du site" in text
    assert "loi n°\u00a02004-575 du 21 juin 2004" in text
    assert not re.search(r"\w [:;?!]", _text(text.split("<main", 1)[1].split("</main>")[0]))


def test_the_notice_never_says_a_mention_is_not_provided(tmp_path):
    for lang in ("en", "fr"):
        page = notice_app(tmp_path, COMPANY).test_client().get(f"/legal/notice?lang={lang}")
        text = page.get_data(as_text=True)
        assert "Not provided yet" not in text and "Non encore communiqué" not in text


# Development: an empty required mention is shown as a placeholder naming the key.
DEFAULT_MISSING = [
    "service.publisher_legal_form",
    "service.publisher_address",
    "service.publisher_phone",
    "service.publication_director",
    "hosting.name",
    "hosting.address",
    "hosting.phone",
    "hosting.country",
]


def test_development_shows_a_placeholder_naming_each_missing_mention(tmp_path):
    app = create_app({"app": {"instance_path": str(tmp_path)}}, testing=True)
    english = app.test_client().get("/legal/notice?lang=en").get_data(as_text=True)
    french = app.test_client().get("/legal/notice?lang=fr").get_data(as_text=True)
    for key in DEFAULT_MISSING:
        assert f'<mark class="placeholder">[to be set: {key}]</mark>' in english
        assert f'<mark class="placeholder">[à renseigner\u00a0: {key}]</mark>' in french
    assert english.count('<mark class="placeholder">') == len(DEFAULT_MISSING)
    assert french.count('<mark class="placeholder">') == len(DEFAULT_MISSING)


def test_development_lists_the_missing_mentions_for_the_other_pages(tmp_path):
    app = create_app({"app": {"instance_path": str(tmp_path)}}, testing=True)
    with app.test_request_context("/?lang=en"):
        assert render_template_string("{{ legal.required_missing | join(',') }}") == ",".join(
            DEFAULT_MISSING[:4] + ["service.dpo"] + DEFAULT_MISSING[4:]
        )
        assert render_template_string("{{ placeholder('service.dpo') }}") == (
            '<mark class="placeholder">[to be set: service.dpo]</mark>'
        )


def test_a_company_with_every_mention_shows_no_placeholder(tmp_path):
    app = notice_app(tmp_path, COMPANY)
    for lang in ("en", "fr"):
        assert "placeholder" not in app.test_client().get(f"/legal/notice?lang={lang}").get_data(
            as_text=True
        )


# Production: each required mention, emptied, stops the start with one line naming it and the law.
def production(service=COMPANY, hosting=HOST, **tables) -> dict:
    return {
        "app": {"environment": "production", **SECRETS["app"]},
        "mail": SECRETS["mail"],
        "service": dict(service),
        "hosting": dict(hosting),
        **tables,
    }


LCEN = "(LCEN art. 6-III)"
REFUSED = [
    ("service", "publisher", f"service.publisher: required in production {LCEN}"),
    ("service", "publisher_legal_form", f"service.publisher_legal_form: required in production {LCEN}"),
    ("service", "publisher_address", f"service.publisher_address: required in production {LCEN}"),
    ("service", "publisher_registration", f"service.publisher_registration: required in production {LCEN}"),
    ("service", "publisher_share_capital", f"service.publisher_share_capital: required in production {LCEN}"),
    ("service", "publisher_vat", "service.publisher_vat: required in production (LCEN art. 19)"),
    ("service", "publisher_phone", f"service.publisher_phone: required in production {LCEN}"),
    ("service", "publication_director", f"service.publication_director: required in production {LCEN}"),
    ("service", "dpo", "service.dpo: required in production (GDPR art. 13(1)(b); 'none' when no DPO is designated)"),
    ("hosting", "name", f"hosting.name: required in production {LCEN}"),
    ("hosting", "address", f"hosting.address: required in production {LCEN}"),
    ("hosting", "phone", f"hosting.phone: required in production {LCEN}"),
    ("hosting", "country", "hosting.country: required in production (GDPR art. 13(1)(f))"),
]  # fmt: skip


def test_production_refuses_an_assistant_whose_retention_is_not_stated():
    settings = production(assist={**ASSISTANT, "retention_days": -1})
    with pytest.raises(ConfigError) as refused:
        load_settings(settings, environ={})
    assert str(refused.value) == (
        "assist.retention_days: required in production (GDPR art. 13(2)(a): how long the provider "
        "keeps the instructions; 0 when it keeps none)"
    )


def test_production_refuses_the_development_contact_address():
    settings = production()
    settings["service"] = {**settings["service"], "contact_email": "privacy@localhost"}
    with pytest.raises(ConfigError) as refused:
        load_settings(settings, environ={})
    assert str(refused.value) == (
        "service.contact_email: an address users can write to is required in production "
        "(LCEN art. 6-III; GDPR art. 13(1)(a))"
    )


def test_production_starts_with_every_mention():
    settings = load_settings(production(), environ={})
    assert settings["service"]["publisher_vat"] == "FR74912345678"


@pytest.mark.parametrize(("table", "key", "message"), REFUSED, ids=[r[1] for r in REFUSED])
def test_production_refuses_an_empty_required_mention(table, key, message):
    settings = production()
    settings[table][key] = ""
    with pytest.raises(ConfigError) as refused:
        load_settings(settings, environ={})
    assert str(refused.value) == message


@pytest.mark.parametrize("key", ["publisher_registration", "publisher_share_capital"])
def test_an_individual_need_not_be_registered(key):
    settings = production(INDIVIDUAL)
    assert load_settings(settings, environ={})["service"][key] == ""


def test_an_association_need_not_state_a_vat_number_but_a_sas_must():
    association = {**COMPANY, "publisher_legal_form": "association", "publisher_vat": ""}
    association |= {"publisher_registration": "", "publisher_share_capital": ""}
    load_settings(production(association), environ={})
    with pytest.raises(ConfigError, match=r"^service\.publisher_vat: required in production"):
        load_settings(production({**COMPANY, "publisher_vat": ""}), environ={})


def test_dpo_none_is_an_answer_in_production():
    assert (
        load_settings(production({**COMPANY, "dpo": "none"}), environ={})["service"]["dpo"]
        == "none"
    )


ASSISTANT_REFUSED = [
    ({"legal_name": ""}, "assist.legal_name: required in production (GDPR art. 13(1)(e)-(f))"),
    ({"role": ""}, "assist.role: required in production (GDPR art. 13(1)(e)-(f))"),
    ({"country": "", "transfer_safeguard": ""}, "assist.country: required in production (GDPR art. 13(1)(e)-(f))"),
    ({"transfer_safeguard": ""}, "assist.transfer_safeguard: required in production (GDPR art. 13(1)(f): US is outside the EEA)"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "message"), ASSISTANT_REFUSED)
def test_production_refuses_an_assistant_whose_recipient_is_not_stated(change, message):
    with pytest.raises(ConfigError) as refused:
        load_settings(production(assist={**ASSISTANT, **change}), environ={})
    assert str(refused.value) == message


def test_an_assistant_in_the_eea_needs_no_safeguard():
    assist = {
        **ASSISTANT,
        "legal_name": "Mistral AI SAS",
        "country": "FR",
        "transfer_safeguard": "",
    }
    load_settings(production(assist=assist), environ={})


def test_production_refuses_a_host_outside_the_eea_without_a_safeguard():
    with pytest.raises(ConfigError) as refused:
        load_settings(production(hosting={**HOST, "country": "US"}), environ={})
    assert str(refused.value) == (
        "hosting.transfer_safeguard: required in production (GDPR art. 13(1)(f): US is outside the EEA)"
    )
    load_settings(
        production(hosting={**HOST, "country": "US", "transfer_safeguard": "scc"}), environ={}
    )


SCRIPT_REFUSED = [
    ({"role": ""}, "analytics.script.role: required in production (GDPR art. 13(1)(e)-(f))"),
    ({"country": ""}, "analytics.script.country: required in production (GDPR art. 13(1)(e)-(f))"),
    ({"country": "US"}, "analytics.script.transfer_safeguard: required in production (GDPR art. 13(1)(f): US is outside the EEA)"),
    ({"purpose_fr": ""}, "analytics.script.purpose_fr: required in production (French pages show no English)"),
    ({"cookies": [{**SCRIPT["cookies"][0], "purpose_fr": ""}]}, "analytics.script.cookies[0].purpose_fr: required in production (French pages show no English)"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "message"), SCRIPT_REFUSED)
def test_production_refuses_a_tag_whose_vendor_is_not_stated(change, message):
    settings = production(
        analytics={"providers": ["script"], "script": {**SCRIPT, **change}},
    )
    settings["service"]["domain"] = "app.acme.example"
    with pytest.raises(ConfigError) as refused:
        load_settings(settings, environ={})
    assert str(refused.value) == message


# Everywhere: a value given is checked, whatever the environment.
INVALID = [
    ({"hosting": {"country": "fr"}}, "hosting.country: an ISO 3166-1 alpha-2 country code in capitals, e.g. 'FR'"),
    ({"hosting": {"country": "XX"}}, "hosting.country: an ISO 3166-1 alpha-2 country code in capitals, e.g. 'FR'"),
    ({"hosting": {"country": "DE", "transfer_safeguard": "scc"}}, "hosting.transfer_safeguard: must be empty, DE is in the EEA (no transfer)"),
    ({"assist": {**ASSISTANT, "country": "GB", "transfer_safeguard": "dpf"}}, "assist.transfer_safeguard: 'dpf' (EU-US Data Privacy Framework) is for a company in the US"),
    ({"assist": {**ASSISTANT, "transfer_safeguard": "adequacy"}}, "assist.transfer_safeguard: no adequacy decision covers US; use 'scc' or 'dpf'"),
    ({"assist": {**ASSISTANT, "transfer_safeguard": "bcr"}}, "assist.transfer_safeguard: must be one of '', 'adequacy', 'dpf', 'scc'"),
    ({"assist": {**ASSISTANT, "role": "vendor"}}, "assist.role: must be one of 'processor', 'controller'"),
    ({"assist": {**ASSISTANT, "privacy_policy_url": "http://openai.com/privacy"}}, "assist.privacy_policy_url: must be an https:// URL"),
    ({"service": {"publisher_phone": "call us"}}, "service.publisher_phone: not a telephone number (digits, spaces, + . ( ) -)"),
    ({"service": {"dpo": "None"}}, 'service.dpo: write "none" in lower case when no DPO is designated'),
    ({"service": {"publication_director": "Jeanne\nMartin"}}, "service.publication_director: at most 300 characters, on one line"),
    ({"server": {"access_log_retention_days": 500}}, "server.access_log_retention_days: must be between 1 and 400"),
    ({"analytics": {"providers": ["matomo"], "matomo": {"url": "https://acme.matomo.cloud/", "site_id": 1, "mode": "exempt", "legal_name": "InnoCraft Ltd", "role": "controller", "country": "NZ", "transfer_safeguard": "adequacy"}}},
     "analytics.matomo.role: 'controller' contradicts mode 'exempt' (CNIL: the data of an exempt measurement serves the publisher only; its host can only be a processor)"),
]  # fmt: skip


@pytest.mark.parametrize(("overrides", "message"), INVALID)
def test_a_malformed_mention_is_refused_in_development_too(overrides, message):
    with pytest.raises(ConfigError) as refused:
        load_settings(overrides, environ={})
    assert str(refused.value) == message


# The recipients the privacy notice names (legal.recipients).
def recipients(app, lang: str) -> list[tuple]:
    with app.test_request_context(f"/?lang={lang}"):
        return [
            (r["what"], r["name"], r["role"], r["country"], r["country_name"],
             r["transfer_safeguard"], r["policy_url"])
            for r in _recipients()
        ]  # fmt: skip


def _recipients():
    return facts.current().recipients


def test_recipients_are_the_host_the_assistant_and_the_tag_vendor(tmp_path):
    app = notice_app(
        tmp_path, COMPANY, assist=ASSISTANT,
        analytics={"providers": ["builtin", "script"], "script": SCRIPT},
    )  # fmt: skip
    assert recipients(app, "en") == [
        ("hosting", "OVH SAS", "processor", "FR", "France", "", ""),
        ("assist", "OpenAI, L.L.C.", "processor", "US", "United States", "dpf",
         "https://openai.com/policies/privacy-policy/"),
        ("analytics.script", "Example Analytics Ltd", "controller", "IE", "Ireland", "",
         "https://example.net/privacy"),
    ]  # fmt: skip
    assert [r[4] for r in recipients(app, "fr")] == ["France", "États-Unis", "Irlande"]
    with app.test_request_context("/?lang=fr"):
        assert [r["purpose"] for r in _recipients()][2] == SCRIPT["purpose_fr"]


def test_a_self_hosted_matomo_is_no_recipient_a_hosted_one_is(tmp_path):
    matomo = {"url": "https://stats.acme.example/", "site_id": 1, "mode": "exempt"}
    own = notice_app(tmp_path / "own", COMPANY,
                     analytics={"providers": ["matomo"], "matomo": matomo})  # fmt: skip
    assert [r[0] for r in recipients(own, "en")] == ["hosting"]
    cloud = {**matomo, "url": "https://acme.matomo.cloud/", "legal_name": "InnoCraft Ltd",
             "role": "processor", "country": "NZ", "transfer_safeguard": "adequacy"}  # fmt: skip
    hosted = notice_app(tmp_path / "cloud", COMPANY,
                        analytics={"providers": ["matomo"], "matomo": cloud})  # fmt: skip
    assert recipients(hosted, "en")[1] == (
        "analytics.matomo",
        "InnoCraft Ltd",
        "processor",
        "NZ",
        "New Zealand",
        "adequacy",
        "",
    )
    assert recipients(hosted, "fr")[1][4] == "Nouvelle-Zélande"


def test_the_access_log_retention_is_stated_from_the_settings(tmp_path):
    app = notice_app(tmp_path, COMPANY, server={"access_log_retention_days": 90})
    with app.test_request_context("/"):
        assert render_template_string("{{ legal.access_log_retention_days }}") == "90"
        assert render_template_string("{{ legal.dpo }} {{ legal.dpo_is_email }}") == (
            "dpo@acme.example True"
        )


# The shipped production example: every mention filled in, nothing left to a placeholder.
EXAMPLE = PROJECT_ROOT / "config" / "production.example.toml"


def test_the_production_example_renders_the_notice_with_no_placeholder(tmp_path, monkeypatch):
    monkeypatch.setenv("PROSPECTRA_CONFIG", str(EXAMPLE))
    monkeypatch.setenv("PROSPECTRA_APP__SECRET_KEY", SECRETS["app"]["secret_key"])
    monkeypatch.setenv("PROSPECTRA_MAIL__ENCRYPTION_KEY", SECRETS["mail"]["encryption_key"])
    app = create_app(
        {
            "app": {"instance_path": str(tmp_path)},
            "database": {"url": "", "auto_upgrade": True},  # SQLite instead of the PostgreSQL
            "session": {"store": "sqlalchemy"},
            "limits": {"storage_uri": "memory://"},
        },
        testing=True,
    )
    with EXAMPLE.open("rb") as file:
        example = tomllib.load(file)
    client = app.test_client()
    for lang in ("en", "fr"):
        page = client.get(
            f"/legal/notice?lang={lang}", base_url="https://app.prospectra.example"
        ).get_data(as_text=True)
        assert "placeholder" not in page
        for key in ("publisher", "publisher_registration", "publisher_share_capital",
                    "publisher_vat", "publisher_phone", "publication_director"):  # fmt: skip
            assert html.escape(example["service"][key]) in page
        for key in ("name", "address", "phone"):
            assert html.escape(example["hosting"][key]) in page
    with app.app_context():
        db.engine.dispose()
