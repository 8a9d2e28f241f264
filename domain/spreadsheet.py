"""Cells of the spreadsheets Kinerja writes (CSV exports), safe to open in Excel or
LibreOffice: the OWASP rule against formula (CSV) injection.

A spreadsheet evaluates a cell whose text starts with ``=``, ``+``, ``-`` or ``@``
as a formula (``=HYPERLINK(...)``, ``+1+1``, ``@SUM(1+1)``), and a leading tab or
carriage return can hide such a start. Every *text* cell that starts with one of
them gets a single quote in front (``'=HYPERLINK(...)``): the spreadsheet shows the
text, the reader sees what it was, and removing the quote gives the value back.

Numbers are not text: a cell given as ``int`` or ``Decimal`` (a count, credit
points) is written as it is, so ``-1.5`` stays a number. A number that arrives as
``str`` is text and neutralised like any other; exporters pass numbers typed.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
"""The first characters that make a spreadsheet treat a cell as a formula."""

QUOTE = "'"

Cell = str | int | Decimal | None
"""A cell: text, a number, or nothing (an empty cell)."""


def neutralise(text: str) -> str:
    """``text`` as a spreadsheet shows it as text: with a ``'`` in front when it starts
    with a formula trigger, else unchanged."""
    return QUOTE + text if text.startswith(FORMULA_TRIGGERS) else text


def cell(value: Cell) -> str:
    """The text of one cell: numbers as they are (``bool`` is refused: not a number
    here), ``None`` empty, text neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        raise TypeError("a spreadsheet cell is text or a number, not a bool")
    if isinstance(value, int | Decimal):
        return str(value)
    return neutralise(value)


def row(values: Iterable[Cell]) -> list[str]:
    """Every cell of a row, as :func:`cell` writes it."""
    return [cell(value) for value in values]
