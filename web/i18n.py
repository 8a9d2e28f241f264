"""Languages of the pages: Indonesian by default, English selectable. Messages come from
the gettext catalogues in ``web/locale`` (``messages.po`` compiled to ``messages.mo``);
dates and numbers are formatted by Babel for the locale, in the agency's zone."""

from __future__ import annotations

import gettext
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from functools import cache
from pathlib import Path

from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"

ZONE_NAMES = {7: "WIB", 8: "WITA", 9: "WIT"}
"""Indonesia's three zones by UTC offset."""


def compile_catalogues() -> list[Path]:
    """Compile every ``messages.po`` to its ``messages.mo`` (build and test time); the
    files written."""
    written = []
    for language in LANGUAGES:
        po = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
        with po.open("rb") as source:
            catalogue = read_po(source, locale=language)
        mo = po.with_suffix(".mo")
        with mo.open("wb") as target:
            write_mo(target, catalogue)
        written.append(mo)
    return written


@cache
def translations(language: str) -> gettext.GNUTranslations:
    """The compiled catalogue of ``language`` (compiled first when missing or older)."""
    po = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
    mo = po.with_suffix(".mo")
    if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
        compile_catalogues()
    with mo.open("rb") as source:
        return gettext.GNUTranslations(source)


def choose(requested: str | None) -> str:
    return requested if requested in LANGUAGES else DEFAULT_LANGUAGE


class Formats:
    """Dates, deadlines and numbers for one language, in one zone."""

    def __init__(self, language: str, utc_offset_hours: int = 7) -> None:
        self.language = language
        self.offset = utc_offset_hours
        self.zone = timezone(timedelta(hours=utc_offset_hours))
        self.zone_name = ZONE_NAMES.get(utc_offset_hours, f"UTC+{utc_offset_hours}")

    def with_offset(self, utc_offset_hours: int) -> Formats:
        return Formats(self.language, utc_offset_hours)

    def datetime(self, value: datetime | str | None) -> str:
        if value is None:
            return ""
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        text = format_datetime(moment, "d MMMM y, HH.mm", tzinfo=self.zone,
                               locale=self.language)
        return f"{text} {self.zone_name}"

    def date(self, value: date | str | None) -> str:
        if value is None:
            return ""
        day = date.fromisoformat(value) if isinstance(value, str) else value
        return format_date(day, "d MMMM y", locale=self.language)

    def number(self, value: Decimal | int | float | str | None) -> str:
        if value is None or value == "":
            return ""
        return format_decimal(Decimal(str(value)), locale=self.language)

    def days_left(self, value: datetime | str | None, now: datetime | None = None
                  ) -> int | None:
        """Whole days from today to the deadline's day, in the agency's zone."""
        if value is None:
            return None
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        today = (now or datetime.now(UTC)).astimezone(self.zone).date()
        return (moment.astimezone(self.zone).date() - today).days
