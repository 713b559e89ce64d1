"""French pages read as French: no English left, French dates and typography (issue 15, item 5).

Every public page and the banner are rendered in French for the defaults and for a set-up with a
consented tag and the writing assistant, and their visible text (tags, scripts and attributes
removed, entities decoded) is searched for what a French reader should never see there:
- an English sentence of the catalogue (a msgid of three words or more whose French differs),
- an English text of the settings that has a French variant (``purpose`` next to ``purpose_fr``),
- an ISO date (2026-12-01) where French writes « 1er décembre 2026 »,
- an ordinary space before « : ; ? ! » or inside « », where French puts a no-break space.
"""

from __future__ import annotations

import html as html_module
import re

import pytest
from babel.messages.pofile import read_po

from prospectra import create_app
from prospectra.paths import PACKAGE
from tests.helpers import FORM
from tests.helpers import PUBLIC
from tests.helpers import VISITOR
from tests.helpers import BufferedClient
from tests.helpers import pages
from tests.measurement import SCRIPT

PO = PACKAGE / "translations" / "fr" / "LC_MESSAGES" / "messages.po"
PAGES = pages(PUBLIC, FORM, VISITOR)
ASSISTANT = {"provider": "openai", "base_url": "https://api.openai.com/v1", "model": "gpt-4o-mini",
             "api_key": "sk-test", "legal_name": "OpenAI Ireland Ltd", "role": "processor",
             "country": "IE", "transfer_safeguard": "", "privacy_policy_url": "https://openai.com/policies/eu-privacy-policy/", "retention_days": 30}  # fmt: skip
SETUPS = {
    "defaults": {},
    "tag+assistant": {
        "analytics": {"providers": ["script"], "script": SCRIPT},
        "assist": ASSISTANT,
    },
}
# The pages the other parts of issue 15 rewrite (privacy notice, legal notice, terms of use): named
# here so that a skip, if one is ever needed, says whose page it is.
OTHERS = {
    "/legal/privacy": "privacy notice",
    "/legal/notice": "legal notice",
    "/legal/terms": "terms",
}
SKIPPED: dict[str, str] = {}

INLINE = r"</?(a|abbr|b|code|em|i|kbd|span|strong|time|small|sup)\b[^>]*>"
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
SPACE_BEFORE = re.compile(r"[ \t\r\n][:;?!»]|«[ \t\r\n]")


def visible(page: str) -> str:
    """What a reader sees: no script, style or tag; entities decoded; blanks (not no-break
    spaces) folded. Inline tags are removed without a blank ("<code>x</code> :" reads "x :")."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r"<[^>]+>", " ", re.sub(INLINE, "", page))
    return re.sub(r"[ \t\r\n]+", " ", html_module.unescape(page)).strip()


_RENDERED: dict[str, dict] = {}


def rendered(setup: str, tmp_path_factory) -> dict:
    """The set-up's French pages, rendered once per test session."""
    if setup in _RENDERED:
        return _RENDERED[setup]
    app = create_app(
        {"app": {"instance_path": str(tmp_path_factory.mktemp(setup))}, **SETUPS[setup]},
        testing=True,
    )
    app.test_client_class = BufferedClient
    client = app.test_client()
    pages = {}
    for path in PAGES:
        response = client.get(f"{path}?lang=fr")
        assert response.status_code == 200, (setup, path, response.status_code)
        pages[path] = response.get_data(as_text=True)
    _RENDERED[setup] = {"settings": app.config["PROSPECTRA"], "pages": pages}
    return _RENDERED[setup]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return lambda setup: rendered(setup, tmp_path_factory)


def english_of_the_catalogue() -> set[str]:
    """The English sentences of the catalogue, cut at placeholders and tags: three words or more,
    and not found in the French translation itself (a name, "Global Privacy Control")."""
    with PO.open("rb") as f:
        catalogue = read_po(f)
    found = set()
    for message in catalogue:
        if not message.id or isinstance(message.id, tuple) or message.string == message.id:
            continue
        for piece in re.split(r"%\(\w+\)s|<[^>]+>|[«»()]", message.id):
            piece = " ".join(piece.split()).strip(" .,:;")
            if len(piece.split()) >= 3 and piece not in message.string:
                found.add(piece)
    return found


def english_of_the_settings(settings) -> set[str]:
    """English texts of the settings that have a French variant (``x`` next to ``x_fr``)."""
    found = set()
    if isinstance(settings, dict):
        for key, value in settings.items():
            english = settings.get(key.removesuffix("_fr"))
            if key.endswith("_fr") and value and isinstance(english, str) and english != value:
                found.add(" ".join(english.split()).rstrip("."))
            found |= english_of_the_settings(value)
    elif isinstance(settings, list):
        for item in settings:
            found |= english_of_the_settings(item)
    return found


CASES = [(setup, path) for setup in SETUPS for path in PAGES]
IDS = [f"{setup}:{path}" for setup, path in CASES]


def text_of(site, setup: str, path: str) -> str:
    if path in SKIPPED:
        pytest.skip(SKIPPED[path])
    return visible(site(setup)["pages"][path])


@pytest.mark.parametrize(("setup", "path"), CASES, ids=IDS)
def test_no_english_sentence_of_the_catalogue_on_a_french_page(site, setup, path):
    text = text_of(site, setup, path)
    assert sorted(s for s in english_of_the_catalogue() if s in text) == []


@pytest.mark.parametrize(("setup", "path"), CASES, ids=IDS)
def test_no_english_text_of_the_settings_on_a_french_page(site, setup, path):
    text = text_of(site, setup, path)
    english = english_of_the_settings(site(setup)["settings"])
    assert sorted(s for s in english if len(s.split()) >= 2 and s in text) == []


@pytest.mark.parametrize(("setup", "path"), CASES, ids=IDS)
def test_french_pages_write_dates_out(site, setup, path):
    assert ISO_DATE.findall(text_of(site, setup, path)) == []


@pytest.mark.parametrize(("setup", "path"), CASES, ids=IDS)
def test_french_pages_put_a_no_break_space_before_double_punctuation(site, setup, path):
    text = text_of(site, setup, path)
    assert [text[max(0, m.start() - 30) : m.end() + 10] for m in SPACE_BEFORE.finditer(text)] == []


# French legal writing cites in words: « article 6, paragraphe 1, point b), du RGPD »; never the
# English "art. 6(1)(b)" nor « article 6.1.b ».
ENGLISH_CITATION = re.compile(r"\bart\. ?\d|\b\d+\(\d+\)|\barticle \d+\.\d")


@pytest.mark.parametrize(("setup", "path"), CASES, ids=IDS)
def test_french_pages_cite_articles_in_words(site, setup, path):
    text = text_of(site, setup, path)
    found = [text[max(0, m.start() - 30) : m.end() + 10] for m in ENGLISH_CITATION.finditer(text)]
    assert found == []


def test_the_banner_is_french_and_asks_as_the_cnil_does(site):
    page = site("tag+assistant")["pages"]["/"]
    banner = visible(re.search(r'<section class="consent-banner".*?</section>', page, re.S)[0])
    assert "Avec votre consentement, nous souhaitons" not in banner
    assert "Cela dépose" not in banner
    assert "Avec votre accord, nous utiliserons\u00a0:" in banner  # CNIL's own wording
    assert (
        "Si vous refusez, aucun de ces outils n'est chargé et aucun de leurs cookies n'est déposé"
        in banner
    )
    for sentence in english_of_the_catalogue():
        assert sentence not in banner
    assert "\u00a0:" in banner and " :" not in banner


def test_the_checks_catch_what_they_look_for():
    """The detectors themselves: an English sentence, an ISO date, a space before a colon."""
    english = english_of_the_catalogue()
    assert "Skip to content" in english and "Cookie settings" not in english  # two words
    assert ISO_DATE.findall(visible("<p>le <b>2026-12-01</b></p>")) == ["2026-12-01"]
    assert SPACE_BEFORE.search(visible("<p>Durée : 6 mois</p>"))
    assert not SPACE_BEFORE.search(visible("<p>Durée&nbsp;: 6 mois, «&nbsp;ePrivacy&nbsp;»</p>"))
    assert ENGLISH_CITATION.search("RGPD art. 6(1)(b)") and ENGLISH_CITATION.search("article 6.1.b")
    assert not ENGLISH_CITATION.search("article 6, paragraphe 1, point b), du RGPD")
    assert english_of_the_settings(
        {"a": {"purpose": "Audience statistics.", "purpose_fr": "Statistiques."}}
    ) == {"Audience statistics"}


MOMENT_FR = re.compile(
    r"le (1er|[12]?\d|3[01]) (janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|"
    r"novembre|décembre) \d{4} à \d{1,2} h \d{2} \(UTC\)"
)


def test_the_french_account_page_writes_its_moments_out(client, auth, make_user):
    make_user()
    auth.login()
    text = visible(client.get("/account?lang=fr").get_data(as_text=True))
    assert ISO_DATE.findall(text) == []
    # Created, logged in since, the session's end, and the session list's two columns.
    assert len(MOMENT_FR.findall(text)) == 5, MOMENT_FR.findall(text)
