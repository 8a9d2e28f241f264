"""NIP (Nomor Induk Pegawai) and NI PPPK validation.

A PNS NIP has 18 digits: birth date ``YYYYMMDD``, first appointment ``YYYYMM``,
sex (1 male, 2 female) and a sequence ``001``-``999``. A PPPK number also has
18 digits, with the appointment year and a two-digit code in the middle
(``YYYYMMDD YYYY CC S NNN``). A NIP is personal data: it never goes into a
Temporal workflow id or search attribute.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal


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


def parse_nip(text: str, *, pppk: bool = False) -> Nip:
    """Validate and split a NIP (``pppk=True`` for an NI PPPK); spaces are ignored.

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
    appointment_year = int(digits[8:12])
    appointment_month: int | None
    if pppk:
        appointment_month = None
        appointment_after_birth = appointment_year > birth.year
    else:
        appointment_month = int(digits[12:14])
        if not 1 <= appointment_month <= 12:
            raise InvalidNip(
                f"digits 9-14 must be the first appointment as YYYYMM, not {digits[8:14]}"
            )
        appointment_after_birth = (appointment_year, appointment_month) > (birth.year, birth.month)
    if not appointment_after_birth:
        raise InvalidNip("the first appointment must come after the birth date")
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
    )


def is_valid_nip(text: str, *, pppk: bool = False) -> bool:
    """True when :func:`parse_nip` accepts ``text``."""
    try:
        parse_nip(text, pppk=pppk)
    except InvalidNip:
        return False
    return True
