"""The terms of use (CGU): the contract that the privacy notice's contract basis rests on."""

from __future__ import annotations

import re

import pytest

from prospectra import create_app
from tests.helpers import public_pages
from tests.test_privacy_notice import ASSISTANT
from tests.test_privacy_notice import FIELDS
from tests.test_privacy_notice import SETUPS
from tests.test_privacy_notice import tables
from tests.test_privacy_notice import words

NBSP = "\u00a0"


def make_app(tmp_path, setup: str = "defaults"):
    return create_app({"app": {"instance_path": str(tmp_path)}, **SETUPS[setup]}, testing=True)


@pytest.mark.parametrize(
    ("lang", "title", "law"),
    [
        ("en", "<title>Terms of use", "These terms are governed by French law. Any dispute about them is brought "
                                      "before the competent French courts, subject to the mandatory rules that "
                                      "protect consumers."),
        ("fr", "<title>Conditions générales d'utilisation", "Les présentes conditions sont régies par le droit "
               "français. Tout litige les concernant est porté devant les tribunaux français compétents, sous "
               "réserve des règles impératives protectrices des consommateurs."),
    ],
)  # fmt: skip
def test_the_terms_page_states_french_law_and_courts(tmp_path, lang, title, law):
    response = make_app(tmp_path).test_client().get(f"/legal/terms?lang={lang}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert title in page
    assert law in words(page)
    assert 'href="/legal/privacy' in page  # personal data: the privacy notice


@pytest.mark.parametrize(
    ("lang", "heading", "sentence"),
    [
        ("en", "The writing assistant", "The text it writes may be inaccurate or unsuitable: read it and correct "
                                        "it before sending; you remain the author of what you send."),
        ("fr", "L'assistant de rédaction", f"Le texte produit peut être inexact ou inadapté{NBSP}: relisez-le et "
               f"corrigez-le avant l'envoi{NBSP}; vous restez l'auteur de ce que vous envoyez."),
    ],
)  # fmt: skip
def test_the_assistant_has_its_terms_only_when_it_is_on(tmp_path, lang, heading, sentence):
    on = words(
        create_app(
            {
                "app": {"instance_path": str(tmp_path / "on")},
                **SETUPS["defaults"],
                "assist": ASSISTANT,
            },
            testing=True,
        )
        .test_client()
        .get(f"/legal/terms?lang={lang}")
        .get_data(as_text=True)
    )
    off = words(
        make_app(tmp_path / "off")
        .test_client()
        .get(f"/legal/terms?lang={lang}")
        .get_data(as_text=True)
    )
    assert f"4. {heading}" in on and sentence in on
    assert heading not in off and sentence not in off
    assert ("8." in on) and ("8." not in off)  # the sections are numbered without a gap


@pytest.mark.parametrize(
    ("lang", "link"),
    [
        ("en", '<a href="/legal/terms?lang=en">Terms of use</a>'),
        ("fr", '<a href="/legal/terms?lang=fr">Conditions générales d\'utilisation</a>'),
    ],
)
def test_every_page_footer_links_the_terms(tmp_path, lang, link):
    client = make_app(tmp_path).test_client()
    for path in (*public_pages(login=True), "/no-such-page"):
        page = client.get(path, query_string={"lang": lang}).get_data(as_text=True)
        footer = re.search(r'<footer class="site-footer">.*?</footer>', page, re.S).group(0)
        assert link in footer, path


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_every_contract_basis_of_the_privacy_notice_links_the_terms(tmp_path, lang):
    page = (
        make_app(tmp_path, "tag-and-assistant")
        .test_client()
        .get(f"/legal/privacy?lang={lang}")
        .get_data(as_text=True)
    )
    target = f"/legal/terms?lang={lang}"
    basis = FIELDS[lang][1]
    contract = [
        caption
        for caption, rows in tables(page).items()
        if ("6(1)(b)" if lang == "en" else "article 6, paragraphe 1, point b)") in rows[basis]
    ]
    assert len(contract) == 4  # account, sessions, mail, assistant
    for table in re.findall(r"<table>.*?</table>", page, re.S):
        row = re.search(
            r'<th scope="row">' + re.escape(basis) + r"</th>\s*<td>(.*?)</td>", table, re.S
        )
        if "6(1)(b)" in row.group(1) or "point b)" in row.group(1):
            assert f'href="{target}"' in row.group(1)
