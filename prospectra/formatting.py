"""Dates, moments, durations and countries as the page's language writes them (Babel).

"1 December 2026" / « 1er décembre 2026 »; "3 years" / « 3 ans »; never an ISO date in a sentence.
A duration is exact: it is said in months or years only when the number of days is one (a month
being 365.25 / 12 = 30.4375 days, within a day), otherwise in days, so 100 days stays "100 days".
"""

from __future__ import annotations

import datetime
import functools

from babel import Locale
from babel.dates import format_date
from babel.units import format_unit
from flask import Flask

from .i18n import language

AVERAGE_MONTH = 365.25 / 12  # days


def init_app(app: Flask) -> None:
    """Give templates the helpers: days, moments, durations and countries, in the page's language."""
    app.jinja_env.globals.update(
        format_day=format_day,
        format_moment=format_moment,
        duration=duration,
        country_name=country_name,
    )


def format_day(day: datetime.date | datetime.datetime) -> str:
    """The day as written: "1 December 2026" / « 1er décembre 2026 » (a moment: its UTC day)."""
    if isinstance(day, datetime.datetime):
        day = _utc(day).date()
    return _day_text(day, language())


@functools.lru_cache(maxsize=512)
def _day_text(day: datetime.date, lang: str) -> str:
    # Babel parses its pattern and locale data on each call; a page writes a few days, often the
    # same ones (the account page: five moments).
    text = format_date(day, "d MMMM y", locale=lang)
    if lang == "fr" and day.day == 1:
        text = "1er" + text[1:]  # French writes the first of the month as an ordinal
    return text


def format_moment(moment: datetime.datetime | int) -> str:
    """The moment in UTC: "1 December 2026 at 21:52 (UTC)" / « le 1er décembre 2026 à 21 h 52 (UTC) »."""
    if isinstance(moment, int | float):  # epoch seconds (a consent record's moment)
        moment = datetime.datetime.fromtimestamp(moment, datetime.UTC)
    moment = _utc(moment)
    day = format_day(moment)
    if language() == "fr":
        return f"le {day} à {moment.hour} h {moment.minute:02d} (UTC)"
    return f"{day} at {moment.hour:02d}:{moment.minute:02d} (UTC)"


def duration(days: int, lang: str | None = None) -> str:
    """``days`` as people say it, exactly: 1095 "3 years", 182 "6 months", 100 "100 days".

    In ``lang`` when given (a text stored for both languages), else the page's language.
    A month (30 or 31 days) is not a lifetime that anyone declares as "1 month", so periods
    shorter than two months stay in days ("30 days").
    """
    months = round(days / AVERAGE_MONTH)
    if months >= 2 and abs(days - months * AVERAGE_MONTH) <= 1:
        if months % 12 == 0:
            return _unit(months // 12, "duration-year", lang)
        return _unit(months, "duration-month", lang)
    return _unit(days, "duration-day", lang)


def _unit(number: int, unit: str, lang: str | None) -> str:
    # CLDR's French puts a no-break space in "1 an" but not in "3 ans": one spelling for all.
    text = format_unit(number, unit, length="long", locale=lang or language())
    return text.replace("\xa0", " ")


def country_name(code: str) -> str:
    """The country's name in the page's language ("FR" → "France"; "US" → « États-Unis »)."""
    return Locale(language()).territories.get(code.upper(), code)


def _utc(moment: datetime.datetime) -> datetime.datetime:
    """A naive moment is one the database gave back in UTC (SQLite keeps no offset)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=datetime.UTC)
    return moment.astimezone(datetime.UTC)
