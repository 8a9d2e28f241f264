"""NIP (Nomor Induk Pegawai) and NI PPPK validation.

A PNS NIP has 18 digits: birth date ``YYYYMMDD``, first appointment ``YYYYMM``,
sex (1 male, 2 female) and a sequence ``001``-``999``. A PPPK number also has
18 digits, with the appointment year and a two-digit code in the middle
(``YYYYMMDD YYYY CC S NNN``). A NIP is personal data: it never goes into a
Temporal workflow id or search attribute.

Dates (our reading of what a NIP can say, not a cited layout rule):

- the first appointment comes at 18 years of age at least
  (:data:`MINIMUM_APPOINTMENT_AGE`, the lower age limit for entering the civil
  service). A NIP gives the appointment's month (PNS) or only its year (PPPK), so a
  number is refused only when it is certainly younger: a PNS appointed before the
  month of the 18th birthday, a PPPK before the year of it;
- no date lies in the future: the birth date and the appointment (its month, or
  its year for a PPPK) are not after ``today`` when the caller gives it (the domain
  reads no clock; the roster import passes the day it runs).

A PPPK number is checked by the parts of its layout that are known (birth date,
appointment year, sex, sequence). The two-digit code in digits 13-14 has no rule
that Kinerja can cite, so it is not checked and :attr:`Nip.unchecked` says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

MINIMUM_APPOINTMENT_AGE = 18
"""The youngest age at a first appointment (PNS and PPPK)."""

PPPK_CODE_UNCHECKED = "digits 13-14 (the PPPK code) are not checked: no known rule"


class InvalidNip(ValueError):
    """The text is not a valid NIP; ``reason`` says which rule it breaks."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Nip:
    """A validated NIP, split into its parts."""

    value: str
    employment: Literal["PNS", "PPPK"]
    birth_date: date
    appointment_year: int
    appointment_month: int | None
    sex: Literal["male", "female"]
    sequence: int
    unchecked: tuple[str, ...] = ()
    """Parts of the number whose layout is not known and so were not checked."""


def parse_nip(text: str, *, pppk: bool = False, today: date | None = None) -> Nip:
    """Validate and split a NIP (``pppk=True`` for an NI PPPK); spaces are ignored.

    ``today``: no date of the number may lie after it (not checked when None).

    Raises :class:`InvalidNip` naming the broken rule.
    """
    digits = "".join(text.split())
    if len(digits) != 18 or not digits.isascii() or not digits.isdigit():
        raise InvalidNip("a NIP has exactly 18 digits")
    try:
        birth = date(int(digits[0:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        raise InvalidNip(
            f"digits 1-8 must be a real birth date (YYYYMMDD), not {digits[:8]}"
        ) from None
    if today is not None and birth > today:
        raise InvalidNip(f"the birth date {birth.isoformat()} lies in the future")
    appointment_year = int(digits[8:12])
    appointment_month: int | None
    adult = birth.year + MINIMUM_APPOINTMENT_AGE
    if pppk:
        appointment_month = None
        appointment_after_birth = appointment_year > birth.year
        # Only the year is known: refused when the whole year is before the 18th birthday's.
        old_enough = appointment_year >= adult
        in_future = today is not None and appointment_year > today.year
    else:
        appointment_month = int(digits[12:14])
        if not 1 <= appointment_month <= 12:
            raise InvalidNip(
                f"digits 9-14 must be the first appointment as YYYYMM, not {digits[8:14]}"
            )
        appointment_after_birth = (appointment_year, appointment_month) > (birth.year, birth.month)
        # Only the month is known: refused when the month is before the 18th birthday's.
        old_enough = (appointment_year, appointment_month) >= (adult, birth.month)
        in_future = today is not None and (
            (appointment_year, appointment_month) > (today.year, today.month))
    if not appointment_after_birth:
        raise InvalidNip("the first appointment must come after the birth date")
    if not old_enough:
        raise InvalidNip(
            f"the first appointment comes at {MINIMUM_APPOINTMENT_AGE} years of age at least")
    if in_future:
        raise InvalidNip("the first appointment lies in the future")
    sex_digit = digits[14]
    if sex_digit not in "12":
        raise InvalidNip(f"digit 15 is the sex: 1 (male) or 2 (female), not {sex_digit}")
    sequence = int(digits[15:18])
    if sequence == 0:
        raise InvalidNip("the sequence (digits 16-18) runs from 001 to 999, not 000")
    return Nip(
        value=digits,
        employment="PPPK" if pppk else "PNS",
        birth_date=birth,
        appointment_year=appointment_year,
        appointment_month=appointment_month,
        sex="male" if sex_digit == "1" else "female",
        sequence=sequence,
        unchecked=(PPPK_CODE_UNCHECKED,) if pppk else (),
    )


def is_valid_nip(text: str, *, pppk: bool = False, today: date | None = None) -> bool:
    """True when :func:`parse_nip` accepts ``text``."""
    try:
        parse_nip(text, pppk=pppk, today=today)
    except InvalidNip:
        return False
    return True
