"""What the pages say about cookies and tags is what the declaration says, in every configuration.

For each measurement set-up of the tests (and a few more: two providers of different purposes, a
tag widened to the /help/ pages, exempt tools with the banner forced on), in English and French,
the cookie policy, the privacy policy, the banner, Cookie settings and the meta descriptions are
rendered and their sentences compared with /legal/cookies.json and the settings: the counts, the
names and lifetimes, each tool's name, controller, policy link and purpose, section 4.

The expectations are computed here from the declaration and the settings, not from the helpers the
templates use, so a test cannot pass because a template and its helper share a mistake.
"""

from __future__ import annotations

import fnmatch
import html as html_module
import re
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from prospectra import create_app
from prospectra.extensions import db
from prospectra.models import ConsentRecord
from tests.helpers import BufferedClient
from tests.helpers import csrf_token
from tests.helpers import public_pages
from tests.measurement import CONFIGS
from tests.measurement import MATOMO
from tests.measurement import SCRIPT

ADS = {
    "name": "Example Ads",
    "src": "https://ads.example.com/tag.js",
    "origins": ["https://pixel.example.com"],
    "controller": "Example Ads Inc.",
    "category": "advertising",
    "purpose": "Show advertisements chosen from your visits to this site.",
    "purpose_fr": "Afficher des publicités choisies d'après vos visites sur ce site.",
    "policy_url": "https://ads.example.com/privacy",
    "cookies": [
        {
            "name": "_ads",
            "retention_days": 390,
            "purpose": "Advertising identifier.",
            "purpose_fr": "Identifiant publicitaire.",
        },
        {
            "name": "_ads_s*",
            "retention_days": 1,
            "purpose": "Advertising session.",
            "purpose_fr": "Session publicitaire.",
        },
    ],
}
SETUPS = {
    **CONFIGS,
    "matomo-exempt-and-ads": {
        "analytics": {
            "providers": ["matomo", "script"],
            "matomo": dict(MATOMO, mode="exempt"),
            "script": ADS,
        }
    },
    "script-on-help": {
        "analytics": {"providers": ["script"], "script": dict(SCRIPT, pages=["/", "/help/*"])}
    },
    "matomo-exempt-on-legal": {
        "analytics": {
            "providers": ["matomo"],
            "matomo": dict(MATOMO, mode="exempt", pages=["/", "/legal/*"]),
        }
    },
    "builtin-banner-on": {"analytics": {"providers": ["builtin"]}, "consent": {"banner": "on"}},
    "matomo-exempt-banner-on": {
        "analytics": {"providers": ["matomo"], "matomo": dict(MATOMO, mode="exempt")},
        "consent": {"banner": "on"},
    },
}
LANGUAGES = ("en", "fr")
CASES = [(name, lang) for name in SETUPS for lang in LANGUAGES]
IDS = [f"{name}-{lang}" for name, lang in CASES]

# A count of cookies as the pages write it: a number, then at most two words, then "cookie(s)".
# "one"/"un" are left out: they are also articles ("un cookie de session"); "section 3" is no count.
NUMBERS = {
    **{w: n for n, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve".split())},
    **{w: n for n, w in enumerate("zéro un deux trois quatre cinq six sept huit neuf dix onze douze".split())},
}  # fmt: skip
COUNT = re.compile(
    r"(?<!section\s)\b(" + "|".join(w for w in NUMBERS if w not in ("one", "un")) + r"|\d+)\s+"
    r"(?:[\w'’-]+\s+){0,2}?cookies?\b",
    re.IGNORECASE,
)
ENGLISH_LABELS = {
    "audience_measurement": "Audience measurement",
    "advertising": "Advertising",
    "social_media": "Social media",
    "personalisation": "Personalisation",
}
META = re.compile(r'<meta name="description" content="([^"]*)"')
BANNER = re.compile(r'<section class="consent-banner".*?</section>', re.S)
# The public pages section 4 of the cookie policy names (besides the login page).
SECTION_4_PAGES = [p for p in public_pages() if p.startswith(("/legal/", "/help/"))]
META_PAGES = (*public_pages(login=True), "/consent")


@dataclass
class Rendered:
    """One set-up in one language: its declaration and the pages as a visitor gets them."""

    settings: dict
    declaration: dict
    pages: dict[str, str]  # raw HTML by path
    banner: str | None  # the banner on the home page, for a first-time visitor

    def text(self, path: str) -> str:
        return text(self.pages[path])

    @property
    def tools(self) -> list[dict]:
        return self.declaration["audience_measurement"]

    @property
    def total(self) -> int:
        return len(self.declaration["cookies"])


_RENDERED: dict[tuple[str, str], Rendered] = {}


def text(html: str) -> str:
    """What a reader sees: tags removed, entities decoded, white space folded."""
    words = " ".join(html_module.unescape(re.sub(r"<[^>]+>", " ", html)).split())
    return re.sub(r" ([,.)])", r"\1", words)  # "<code>_ex</code>," reads "_ex,"


def rendered(name: str, lang: str, tmp_path_factory) -> Rendered:
    """Render the set-up's pages once per test session (the pages do not change while it runs)."""
    if (name, lang) not in _RENDERED:
        settings = {"app": {"instance_path": str(tmp_path_factory.mktemp(name))}, **SETUPS[name]}
        app = create_app(settings, testing=True)
        app.test_client_class = BufferedClient
        client = app.test_client()
        pages = {}
        for path in META_PAGES:
            pages[path] = client.get(f"{path}?lang={lang}").get_data(as_text=True)
        banner = BANNER.search(pages["/"])
        _RENDERED[name, lang] = Rendered(
            settings=app.config["PROSPECTRA"],
            declaration=client.get("/legal/cookies.json").get_json(),
            pages=pages,
            banner=banner.group(0) if banner else None,
        )
    return _RENDERED[name, lang]


def in_language(item: dict, field: str, lang: str) -> str:
    return item.get("fr", {}).get(field, item[field]) if lang == "fr" else item[field]


def section(html: str, number: int) -> str:
    """The text of the cookie policy's section ``number`` (from its <h2> to the next one)."""
    start = html.index(f"<h2>{number}. ")
    return text(html[start : html.index(f"<h2>{number + 1}. ", start)])


def stated_counts(page_text: str) -> list[int]:
    return [int(m) if m.isdigit() else NUMBERS[m.lower()] for m in COUNT.findall(page_text)]


def on_section_4_pages(tool: dict) -> list[str]:
    """The /legal/ and /help/ pages a tool's tag runs on, from its declared page patterns."""
    return [p for p in SECTION_4_PAGES if any(fnmatch.fnmatchcase(p, g) for g in tool["pages"])]


@pytest.mark.parametrize(("name", "lang"), CASES, ids=IDS)
def test_every_count_of_cookies_is_the_number_declared(name, lang, tmp_path_factory):
    page = rendered(name, lang, tmp_path_factory)
    for path in ("/legal/cookies", "/legal/privacy", "/legal/notice", "/help/", "/help/cookies"):
        counts = stated_counts(page.text(path))
        assert counts, f"{path} states no number of cookies"
        assert set(counts) == {page.total}, (path, counts, page.total)
    description = META.search(page.pages["/legal/cookies"]).group(1)
    assert stated_counts(html_module.unescape(description)) == [page.total], description
    if page.banner:
        assert set(stated_counts(text(page.banner))) <= {page.total}


@pytest.mark.parametrize(("name", "lang"), CASES, ids=IDS)
def test_no_page_says_two_cookies_when_more_are_declared(name, lang, tmp_path_factory):
    page = rendered(name, lang, tmp_path_factory)
    if page.total == 2:
        return
    for path, html in page.pages.items():
        for phrase in ("two cookies", "deux cookies", "two strictly necessary cookies"):
            assert phrase not in text(html).lower(), path
        assert "two cookies" not in META.search(html).group(1).lower(), path


@pytest.mark.parametrize(("name", "lang"), CASES, ids=IDS)
def test_meta_descriptions_are_true_of_the_configuration(name, lang, tmp_path_factory):
    page = rendered(name, lang, tmp_path_factory)
    for path in META_PAGES:
        description = html_module.unescape(META.search(page.pages[path]).group(1))
        assert description.strip(), path
        assert set(stated_counts(description)) <= {page.total}, (path, description)
    consent = html_module.unescape(META.search(page.pages["/consent"]).group(1))
    labels = {t["purpose_key"] for t in page.tools if not t["exempt"]}
    if not labels:  # nothing needs consent: the description does not offer to give it
        assert "consent to" not in consent and "consentement, finalité" not in consent


@pytest.mark.parametrize(("name", "lang"), CASES, ids=IDS)
def test_every_declared_cookie_is_listed_with_its_lifetime(name, lang, tmp_path_factory):
    page = rendered(name, lang, tmp_path_factory)
    rows = re.findall(r"<tr>.*?</tr>", page.pages["/legal/cookies"], re.S)
    settings = text(page.pages["/consent"])
    for cookie in page.declaration["cookies"]:
        row = next(text(r) for r in rows if f"<code>{cookie['name']}</code>" in r)
        assert in_language(cookie, "retention", lang) in row, cookie["name"]
        assert in_language(cookie, "purpose", lang) in row, cookie["name"]
        if "provider" in cookie:  # the tool's detail in Cookie settings gives it too
            lifetime = in_language(cookie, "retention", lang).rstrip(".")
            assert f"{cookie['name']}, {lifetime}" in settings, cookie["name"]


@pytest.mark.parametrize(("name", "lang"), CASES, ids=IDS)
def test_every_tool_is_named_with_its_controller_policy_and_purpose(name, lang, tmp_path_factory):
    page = rendered(name, lang, tmp_path_factory)
    for path in ("/legal/cookies", "/legal/privacy", "/consent"):
        html, words = page.pages[path], page.text(path)
        for tool in page.tools:
            assert tool["name"] in words, (path, tool["name"])
            assert tool["controller"] in words, (path, tool["controller"])
            assert in_language(tool, "purpose", lang) in words, (path, tool["provider"])
            if tool["policy_url"]:
                assert f'href="{tool["policy_url"]}"' in html, (path, tool["policy_url"])


@pytest.mark.parametrize(("name", "lang"), CASES, ids=IDS)
def test_the_banner_names_each_tool_it_speaks_of(name, lang, tmp_path_factory):
    page = rendered(name, lang, tmp_path_factory)
    if page.banner is None:
        assert not page.declaration["consent_banner"] or not page.tools
        return
    asking = [t for t in page.tools if not t["exempt"]]
    words = text(page.banner)
    for tool in asking or page.tools:  # the tools asked about; with none, the exempt ones
        assert tool["name"] in words
        assert tool["controller"] in words
        assert in_language(tool, "purpose", lang) in words
        for cookie in (
            c for c in page.declaration["cookies"] if c.get("provider") == tool["provider"]
        ):
            assert cookie["name"] in words
        if tool["policy_url"]:
            assert f'href="{tool["policy_url"]}"' in page.banner
    assert not re.search(r"\b(with|avec|par)\s*[.,]", words), words  # no name left blank


@pytest.mark.parametrize(("name", "lang"), CASES, ids=IDS)
def test_french_pages_show_no_english_purpose_that_has_a_french_one(name, lang, tmp_path_factory):
    if lang != "fr":
        return
    page = rendered(name, lang, tmp_path_factory)
    english = [
        t["purpose"] for t in page.tools if t["fr"].get("purpose", t["purpose"]) != t["purpose"]
    ]
    english += [
        c["purpose"] for c in page.declaration["cookies"] if c["fr"]["purpose"] != c["purpose"]
    ]
    english += [ENGLISH_LABELS[t["purpose_key"]] for t in page.tools]
    for path in ("/legal/cookies", "/legal/privacy", "/consent", "/"):
        words = page.text(path)
        for sentence in filter(None, english):
            assert sentence not in words and sentence.lower() not in words, (path, sentence)


@pytest.mark.parametrize(("name", "lang"), CASES, ids=IDS)
def test_section_4_names_exactly_the_tags_on_legal_or_help_pages(name, lang, tmp_path_factory):
    page = rendered(name, lang, tmp_path_factory)
    fourth = section(page.pages["/legal/cookies"], 4)
    for tool in page.tools:
        widened = on_section_4_pages(tool)
        assert (tool["name"] in fourth) is bool(widened), (tool["name"], fourth)
        for path in widened:
            assert path in fourth
    never = {"en": ("login page", "logged in"), "fr": ("page de connexion", "connecté")}[lang]
    assert all(words in fourth for words in never)  # whatever the config
    assert "/legal/" in fourth and "/help/" in fourth
    if not any(on_section_4_pages(t) for t in page.tools):
        assert "exception" not in fourth


@pytest.mark.parametrize(("name", "lang"), CASES, ids=IDS)
def test_section_3_states_where_each_tag_runs(name, lang, tmp_path_factory):
    page = rendered(name, lang, tmp_path_factory)
    if not page.tools:
        return
    third = section(page.pages["/legal/cookies"], 3)
    for tool in page.tools:
        if tool["origins"]:
            for origin in tool["origins"]:
                assert origin in third
    default = [p for p in public_pages() if p not in SECTION_4_PAGES]
    if any(t["origins"] and not t["pages"] for t in page.tools):
        assert ", ".join(default) in third  # by default: the public pages section 4 does not name


def test_an_advertising_tag_is_not_called_audience_measurement(tmp_path_factory):
    page = rendered("matomo-exempt-and-ads", "en", tmp_path_factory)
    banner = text(page.banner)
    assert banner.startswith("Advertising: your choice")
    assert "Example Ads, advertising:" in banner
    principle = section(page.pages["/legal/cookies"], 1)
    assert "No advertising cookies" not in principle and "no profiling cookies" not in principle
    assert "Advertising by Example Ads" in page.text("/legal/privacy")


# The banner's first layer and the preferences (item 7 and 11 of issue 12).


def new_client(name: str, tmp_path):
    app = create_app({"app": {"instance_path": str(tmp_path)}, **SETUPS[name]}, testing=True)
    app.test_client_class = BufferedClient
    client = app.test_client()
    client.environ_base["HTTP_REFERER"] = "https://localhost/"
    return app, client


def test_only_exempt_tools_give_an_information_banner_with_an_objection(tmp_path):
    app, client = new_client("builtin-banner-on", tmp_path)
    html = client.get("/").get_data(as_text=True)
    banner = BANNER.search(html).group(0)
    words = text(banner)
    assert "Prospectra (built-in statistics)" in words
    assert "without asking for consent" in words and "if you do not answer, it continues" in words
    assert "Not answering counts as a refusal" not in words and "consent, we" not in words
    assert (
        '<button type="submit" name="action" value="accept_all" class="consent-button">OK</button>'
        in banner
    )
    assert (
        '<button type="submit" name="action" value="refuse_all" class="consent-button">Object</button>'
        in banner
    )
    assert "Accept all" not in banner and "Refuse all" not in banner


def test_the_information_banner_does_not_say_measurement_continues_under_do_not_track(tmp_path):
    app, client = new_client("builtin-banner-on", tmp_path)
    words = text(BANNER.search(client.get("/", headers={"DNT": "1"}).get_data(as_text=True))[0])
    assert "it continues" not in words
    assert "Do Not Track signal: we take it as an objection" in words
    app, client = new_client("matomo-exempt-and-ads", tmp_path / "consent")
    words = text(BANNER.search(client.get("/", headers={"DNT": "1"}).get_data(as_text=True))[0])
    assert "it continues" not in words and "counts as an objection to it" in words


def test_objecting_from_the_information_banner_stops_the_count(tmp_path):
    app, client = new_client("builtin-banner-on", tmp_path)
    token = csrf_token(client.get("/"))
    client.post("/consent", data={"csrf_token": token, "action": "refuse_all", "next": "/"})
    with app.app_context():
        record = db.session.scalars(select(ConsentRecord)).one()
        assert record.choices == {"builtin": False}


def test_cookie_settings_ask_one_consent_per_purpose_nothing_ticked(tmp_path):
    app, client = new_client("matomo-exempt-and-ads", tmp_path)
    html = client.get("/consent").get_data(as_text=True)
    assert 'name="allow-purpose-advertising" value="yes">' in html  # not ticked
    assert 'name="allow-script"' not in html  # one switch per purpose, not per provider
    assert 'name="allow-matomo" value="yes" checked>' in html  # objection switch, on by default
    assert html.count("<details") == 1  # a detail per consent-needing tool
    assert 'value="accept_all"' in html and 'value="refuse_all"' in html


def test_a_purpose_switch_gives_consent_to_the_tools_of_that_purpose(tmp_path):
    app, client = new_client("matomo-exempt-and-ads", tmp_path)
    token = csrf_token(client.get("/consent"))
    client.post(
        "/consent",
        data={"csrf_token": token, "action": "customise", "allow-purpose-advertising": "yes"},
    )  # Matomo's objection switch left unticked: an objection
    with app.app_context():
        record = db.session.scalars(select(ConsentRecord)).one()
        assert record.choices == {"matomo": False, "script": True}
    html = client.get("/consent").get_data(as_text=True)
    assert 'name="allow-purpose-advertising" value="yes" checked>' in html
    assert 'name="allow-matomo" value="yes">' in html


@pytest.mark.parametrize("name", ["builtin", "matomo-exempt", "builtin-banner-on"])
def test_cookie_settings_offer_no_accept_or_refuse_all_when_nothing_needs_consent(name, tmp_path):
    app, client = new_client(name, tmp_path)
    html = client.get("/consent").get_data(as_text=True)
    assert 'value="accept_all"' not in html and 'value="refuse_all"' not in html
    assert "Accept all" not in html and "Refuse all" not in html
    assert (
        '<button type="submit" name="action" value="customise" class="consent-button">Save my choices</button>'
        in html
    )
    provider = SETUPS[name]["analytics"]["providers"][0]
    assert f'name="allow-{provider}" value="yes" checked>' in html


@pytest.mark.parametrize("name", ["script", "builtin-banner-on"])
def test_cookie_settings_page_shows_no_banner_above_its_own_form(name, tmp_path):
    app, client = new_client(name, tmp_path)
    assert 'class="consent-banner"' in client.get("/").get_data(as_text=True)
    assert 'class="consent-banner"' not in client.get("/consent").get_data(as_text=True)


# Item 7 of issue 15: the seed's citation and section 4's "our server contacts".
CITATION = {
    "en": "in accordance with art. 5(3) of the ePrivacy directive 2002/58/EC (recitals 24 and 25) as "
    "amended by directive 2009/136/EC (recital 66), transposed into French law at article 82",
    "fr": "conformément à l'article 5, paragraphe 3, de la directive 2002/58/CE dite «\u00a0ePrivacy\u00a0» "
    "(considérants 24 et 25), modifiée par la directive 2009/136/CE (considérant 66) et transposée en "
    "droit français à l'article 82",
}


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_cookie_policy_cites_the_cookie_recitals_of_the_eprivacy_directives(lang, tmp_path):
    app = create_app({"app": {"instance_path": str(tmp_path)}}, testing=True)
    page = read(page_of(app.test_client().get(f"/legal/cookies?lang={lang}")))
    assert CITATION[lang] in page
    # The seed's citation: recital 30 of the directive is not about cookies.
    assert (
        "recital 30 and article 5.3" not in page and "considérant 30 et à l'article 5.3" not in page
    )


ASSISTANT = {
    "assist": {"provider": "openai", "base_url": "https://api.openai.com/v1", "model": "m",
               "api_key": "sk-test"}
}  # fmt: skip
SERVER_CONTACTS = {
    ("en", False): "When you send a message, our server contacts the SMTP relay you configured. "
    "Your browser never contacts it, so it cannot deposit a cookie on your device.",
    (
        "en",
        True,
    ): "When you send a message, our server contacts the SMTP relay you configured; when "
    "you ask the writing assistant for a draft, our server contacts its provider. Your browser never "
    "contacts them, so neither can deposit a cookie on your device.",
    (
        "fr",
        False,
    ): "Lorsque vous envoyez un message, notre serveur contacte le relais SMTP que vous "
    "avez configuré. Votre navigateur ne le contacte jamais\u00a0: aucun cookie ne peut donc être "
    "déposé sur votre terminal par lui.",
    ("fr", True): "Lorsque vous envoyez un message, notre serveur contacte le relais SMTP que vous "
    "avez configuré\u00a0; lorsque vous demandez un brouillon à l'assistant d'écriture, notre serveur "
    "contacte son prestataire. Votre navigateur ne les contacte jamais\u00a0: aucun cookie ne peut "
    "donc être déposé sur votre terminal par eux.",
}


@pytest.mark.parametrize("assistant", [False, True], ids=["relay", "relay+assistant"])
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_section_4_says_our_server_contacts_the_relay_and_the_assistant(lang, assistant, tmp_path):
    setup = ASSISTANT if assistant else {}
    app = create_app({"app": {"instance_path": str(tmp_path)}, **setup}, testing=True)
    html = page_of(app.test_client().get(f"/legal/cookies?lang={lang}"))
    page = read(html[html.index("<h2>4. ") : html.index("<h2>5. ")])
    assert SERVER_CONTACTS[lang, assistant] in page
    assert "may occasionally load resources" not in page


def page_of(response) -> str:
    assert response.status_code == 200
    return response.get_data(as_text=True)


def read(html: str) -> str:
    """The page's text: tags removed, entities decoded, blanks but no-break spaces collapsed."""
    body = re.sub(r"</?(a|code|time|span|strong|em)\b[^>]*>", "", html)
    return re.sub(r"[ \t\r\n]+", " ", html_module.unescape(re.sub(r"<[^>]+>", " ", body))).strip()


PERSONAL_DATA = {
    (
        "en",
        False,
    ): "Tied on our server to your account, the session identifier is nonetheless personal "
    "data (online identifier, GDPR art. 4(1) and recital 30), processed as the privacy policy describes.",
    ("en", True): "Tied on our server to your account or to the record of your choice, the session "
    "identifier and the choice reference are nonetheless personal data (online identifiers, GDPR "
    "art. 4(1) and recital 30)",
    (
        "fr",
        False,
    ): "Rattaché sur notre serveur à votre compte, l'identifiant de session n'en est pas "
    "moins une donnée personnelle (identifiant en ligne, article 4, point 1), et considérant 30 du "
    "RGPD)",
    ("fr", True): "Rattaché sur notre serveur à votre compte (et, pour la référence de choix, à la "
    "trace de votre choix), l'identifiant de session, comme la référence de choix, n'en est pas "
    "moins une donnée personnelle",
}


@pytest.mark.parametrize("tool", [False, True], ids=["own cookies", "with a tool"])
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_cookie_policy_says_its_identifiers_are_personal_data(lang, tool, tmp_path):
    setup = CONFIGS["builtin"] if tool else {}
    app = create_app({"app": {"instance_path": str(tmp_path)}, **setup}, testing=True)
    page = read(page_of(app.test_client().get(f"/legal/cookies?lang={lang}")))
    assert PERSONAL_DATA[lang, tool] in page
    assert "carries no personal data" not in page and "aucune donnée personnelle" not in page
