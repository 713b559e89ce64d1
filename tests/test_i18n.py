"""French and English: chosen from Accept-Language or ?lang=, never from a cookie."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from babel.messages.pofile import read_po

from prospectra.paths import PACKAGE
from prospectra.paths import PROJECT_ROOT
from tests.helpers import FORM
from tests.helpers import PASSWORD
from tests.helpers import PUBLIC
from tests.helpers import VISITOR
from tests.helpers import csrf_token
from tests.helpers import pages
from tests.helpers import public_pages
from tests.test_consent import make_app
from tests.test_consent import new_client

FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}
PO = PACKAGE / "translations" / "fr" / "LC_MESSAGES" / "messages.po"
PAGES = pages(PUBLIC, FORM, VISITOR)


def text(response) -> str:
    return " ".join(response.get_data(as_text=True).split())


@pytest.mark.parametrize("path", PAGES)
def test_browser_language_french_gives_french_pages_without_cookie(client, path):
    response = client.get(path, headers=FRENCH)
    html = text(response)
    assert '<html lang="fr">' in html
    assert "Politique de cookies" in html and "Gestion des cookies" in html  # footer
    assert "Accept-Language" in response.headers["Vary"]
    assert all(not h.startswith(("lang", "locale")) for h in response.headers.getlist("Set-Cookie"))


def test_english_is_the_default(client):
    html = text(client.get("/"))
    assert '<html lang="en">' in html and "Cookie policy" in html


def test_lang_parameter_wins_and_is_kept_on_links(client):
    html = text(client.get("/legal/cookies?lang=fr", headers={"Accept-Language": "en"}))
    assert '<html lang="fr">' in html
    assert 'href="/help/?lang=fr"' in html and 'href="/login?lang=fr"' in html
    assert 'href="/legal/cookies?lang=en" hreflang="en" lang="en">English</a>' in html


def test_language_switch_links_to_the_same_page(client):
    html = text(client.get("/help/cookies"))
    assert 'href="/help/cookies?lang=fr" hreflang="fr" lang="fr">Français</a>' in html


def test_error_pages_are_translated(client):
    html = text(client.get("/nowhere", headers=FRENCH))
    assert "Page introuvable" in html and "Erreur 404" in html


def test_login_form_and_its_messages_in_french(client, make_user):
    make_user()
    page = client.get("/login?lang=fr")
    html = text(page)
    assert "Adresse e-mail" in html and "Mot de passe" in html
    response = client.post(
        "/login?lang=fr",
        data={
            "csrf_token": csrf_token(page),
            "email": "ada@example.org",
            "password": "wrong " + PASSWORD,
        },
    )
    assert "L'adresse e-mail ou le mot de passe est incorrect." in text(response)


def test_banner_in_french(tmp_path):
    from html import unescape

    html = text(new_client(make_app(tmp_path, "script")).get("/", headers=FRENCH))
    assert "Mesure d'audience : votre choix" in unescape(html)  # the purpose's label, escaped
    assert ">Tout accepter</button>" in html and ">Tout refuser</button>" in html


@pytest.fixture(scope="module")
def extraction(tmp_path_factory):
    """`make translations`' extraction, run on this tree into a scratch .pot: (catalog, stderr)."""
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    done = subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "_l", "-o", str(pot), "."],
        cwd=PROJECT_ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    with pot.open("rb") as f:
        return read_po(f), done.stderr


TEMPLATES = PACKAGE / "templates"
TRANSLATED_TEMPLATES = sorted(
    str(p.relative_to(PROJECT_ROOT))
    for p in TEMPLATES.rglob("*.html")
    if re.search(r"\b_\(|{%-?\s*trans\b", p.read_text())
)


def test_extraction_reads_every_file_and_reports_nothing_skipped(extraction):
    _, stderr = extraction
    said = [
        line for line in stderr.splitlines() if not line.startswith("extracting messages from ")
    ]
    assert said == [f"writing PO template file to {line.split(' to ', 1)[1]}" for line in said[:1]]
    read = {
        line.removeprefix("extracting messages from ").split()[0] for line in stderr.splitlines()
    }
    assert {t for t in TRANSLATED_TEMPLATES if t not in read} == set()


@pytest.mark.parametrize("template", TRANSLATED_TEMPLATES)
def test_every_template_with_messages_gives_its_messages_to_the_catalogue(extraction, template):
    """A template the extractor cannot parse (a {% cache %} tag without Flask-Caching's extension)
    is read and silently dropped: only its messages in the .pot prove it was extracted."""
    catalog, _ = extraction
    assert any(template == path for m in catalog for path, _line in m.locations), template


@pytest.mark.parametrize(
    ("template", "message"),
    [("prospectra/templates/base.html", "Skip to content"), ("prospectra/templates/base.html", "Cookie settings")],
)  # fmt: skip
def test_the_header_and_footer_messages_are_extracted(extraction, template, message):
    catalog, _ = extraction
    assert template in {path for path, _line in catalog[message].locations}


def test_every_message_has_a_french_translation(extraction):
    catalog, _ = extraction
    wanted = {m.id for m in catalog if m.id}
    with PO.open("rb") as f:
        # A fuzzy entry (a guess by `pybabel update`) is not compiled: it counts as untranslated.
        translated = {m.id: m.string for m in read_po(f) if m.id and "fuzzy" not in m.flags}
    assert sorted(wanted - {k for k, v in translated.items() if v}) == []


def test_the_french_catalogue_keeps_no_dead_entry():
    """Obsolete (#~) entries are messages no template or module says any more."""
    with PO.open("rb") as f:
        catalog = read_po(f)
    assert sorted(catalog.obsolete) == []


def test_compiled_catalog_matches_its_source(tmp_path):
    from babel.messages.mofile import write_mo

    with PO.open("rb") as f:
        catalog = read_po(f)
    with (tmp_path / "messages.mo").open("wb") as f:
        write_mo(f, catalog)
    assert (tmp_path / "messages.mo").read_bytes() == PO.with_suffix(".mo").read_bytes()


FRENCH_PAGES = sorted(
    p.relative_to(PACKAGE / "templates") for p in (PACKAGE / "templates").rglob("*.fr.html")
)


@pytest.mark.parametrize("french", FRENCH_PAGES, ids=str)
def test_french_page_keeps_the_logic_of_its_english_original(french):
    import re

    english = french.with_name(french.name.replace(".fr.html", ".html"))
    root = PACKAGE / "templates"

    def logic(path) -> list[str]:
        source = (root / path).read_text()
        tags = re.findall(r"{%-?\s*(.*?)\s*-?%}", source, re.S)
        tags = [re.sub(r'"[^"]*"', '""', t) for t in tags]  # a {% set %} may hold translated text
        calls = re.findall(r"url_for\([^)]*\)", source)
        ids = re.findall(r'\b(?:id|class|role|aria-labelledby)="[^"]*"', source)
        return [" ".join(t.split()) for t in tags] + calls + ids

    assert logic(french) == logic(english)


# The French title of every public page: a new public page fails here until it has one.
FRENCH_TITLES = {"/": "E-mails de prospection", "/legal/cookies": "Politique de cookies",
                 "/legal/privacy": "Politique de confidentialité", "/legal/notice": "Mentions légales",
                 "/legal/terms": "Conditions générales", "/help/": "Aide", "/help/cookies": "cookies"}  # fmt: skip


@pytest.mark.parametrize("path", public_pages())
def test_public_pages_have_a_french_text(client, path):
    assert path in FRENCH_TITLES, f"{path}: say in FRENCH_TITLES what its French title reads"
    title = FRENCH_TITLES[path]
    html = text(client.get(path, headers=FRENCH))
    h1 = html.split("<h1>")[1].split("</h1>")[0]
    assert title in h1


def test_measurement_tools_are_described_in_french(tmp_path):
    html = text(new_client(make_app(tmp_path, "builtin")).get("/legal/cookies", headers=FRENCH))
    assert "auto-hébergée et sans cookie" in html
    english = text(new_client(make_app(tmp_path / "en", "builtin")).get("/legal/cookies"))
    assert "self-hosted and cookieless" in english
