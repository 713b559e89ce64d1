"""tools/legal_pages.py: the legal pages of both set-ups, as text, complete and true to each."""

from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path

import pytest

from prospectra.paths import PROJECT_ROOT

SETUPS = ("defaults", "tag-and-assistant")
PAGES = ("cookies", "privacy", "notice", "terms", "help")
LANGUAGES = ("en", "fr")
# (recipient, its country in English, in French) as the tag-and-assistant privacy notice names them.
RECIPIENTS = [
    ("OpenAI, L.L.C.", "United States", "États-Unis"),
    ("Example Analytics Ltd", "Ireland", "Irlande"),
]
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


def _tool():
    spec = importlib.util.spec_from_file_location(
        "legal_pages", PROJECT_ROOT / "tools" / "legal_pages.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> Path:
    """The tool's output folder, written once for this module, with no PROSPECTRA_* setting."""
    out = tmp_path_factory.mktemp("legal")
    with pytest.MonkeyPatch.context() as monkeypatch:
        for name in [n for n in os.environ if n.startswith("PROSPECTRA_")]:
            monkeypatch.delenv(name)
        _tool().main(["--out", str(out)])
    return out


def _read(out: Path, setup: str, page: str, language: str) -> str:
    return (out / setup / f"{page}.{language}.md").read_text(encoding="utf-8")


def test_every_page_of_both_setups_is_written_in_both_languages(written):
    expected = {f"{s}/{p}.{lang}.md" for s in SETUPS for p in PAGES for lang in LANGUAGES}
    found = {str(path.relative_to(written)) for path in written.rglob("*.md")}
    assert found == expected
    assert all("\n# " in (written / name).read_text(encoding="utf-8") for name in found)


@pytest.mark.parametrize("setup", SETUPS)
def test_the_examples_legal_mentions_leave_no_placeholder(written, setup):
    for page in PAGES:
        for language in LANGUAGES:
            text = _read(written, setup, page, language)
            assert "[to be set" not in text, (page, language)
            assert "[à renseigner" not in text, (page, language)


@pytest.mark.parametrize("setup", SETUPS)
def test_french_pages_write_no_iso_date(written, setup):
    for page in PAGES:
        text = _read(written, setup, page, "fr")
        assert not ISO_DATE.search(text), (page, ISO_DATE.search(text))


def test_tag_and_assistant_privacy_notice_names_each_recipient_and_its_country(written):
    for recipient, country_en, country_fr in RECIPIENTS:
        for language, country in (("en", country_en), ("fr", country_fr)):
            lines = _read(written, "tag-and-assistant", "privacy", language).splitlines()
            assert any(recipient in line and country in line for line in lines), (
                recipient,
                language,
            )


def test_defaults_privacy_notice_names_no_such_recipient(written):
    for language in LANGUAGES:
        text = _read(written, "defaults", "privacy", language)
        for recipient, _en, _fr in RECIPIENTS:
            assert recipient not in text, (recipient, language)
