"""Dates, moments, durations and countries as each language writes them (prospectra/formatting.py)."""

from __future__ import annotations

import datetime

import pytest

from prospectra.formatting import country_name
from prospectra.formatting import duration
from prospectra.formatting import format_day
from prospectra.formatting import format_moment

FIRST = datetime.date(2026, 12, 1)
MOMENT = datetime.datetime(2026, 12, 1, 21, 52, tzinfo=datetime.UTC)


@pytest.fixture(params=["en", "fr"])
def lang(app, request):
    with app.test_request_context(f"/?lang={request.param}"):
        yield request.param


def in_(lang: str, english: str, french: str) -> str:
    return french if lang == "fr" else english


def test_a_day_is_written_out_with_the_french_ordinal_for_the_first(lang):
    assert format_day(FIRST) == in_(lang, "1 December 2026", "1er décembre 2026")
    assert format_day(datetime.date(2026, 3, 2)) == in_(lang, "2 March 2026", "2 mars 2026")


def test_a_moment_is_said_in_utc_with_french_hours(lang):
    assert format_moment(MOMENT) == in_(
        lang, "1 December 2026 at 21:52 (UTC)", "le 1er décembre 2026 à 21 h 52 (UTC)"
    )
    paris = datetime.timezone(datetime.timedelta(hours=1))
    assert format_moment(datetime.datetime(2026, 1, 2, 10, 5, tzinfo=paris)) == in_(
        lang, "2 January 2026 at 09:05 (UTC)", "le 2 janvier 2026 à 9 h 05 (UTC)"
    )
    # SQLite gives moments back without an offset: they are UTC.
    assert format_moment(MOMENT.replace(tzinfo=None)) == format_moment(MOMENT)


@pytest.mark.parametrize(
    ("days", "english", "french"),
    [
        (1095, "3 years", "3 ans"),
        (365, "1 year", "1 an"),
        (730, "2 years", "2 ans"),
        (182, "6 months", "6 mois"),
        (395, "13 months", "13 mois"),
        (30, "30 days", "30 jours"),
        (1, "1 day", "1 jour"),
        (100, "100 days", "100 jours"),
        (180, "180 days", "180 jours"),
        (400, "400 days", "400 jours"),
    ],
)
def test_a_duration_is_exact_in_natural_units_and_never_rounded(lang, days, english, french):
    assert duration(days) == in_(lang, english, french)


def test_a_country_is_named_in_the_page_language(lang):
    assert country_name("US") == in_(lang, "United States", "États-Unis")
    assert country_name("de") == in_(lang, "Germany", "Allemagne")


def test_templates_have_the_helpers_and_the_policy_date(app):
    with app.test_request_context("/?lang=fr"):
        from flask import render_template_string

        app.preprocess_request()
        page = render_template_string("{{ format_day(policy_updated()) }} · {{ duration(395) }}")
    assert page.endswith(" · 13 mois") and not page.startswith("None")
