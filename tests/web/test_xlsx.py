"""web.xlsx: the workbook written straight as SpreadsheetML reads back in openpyxl with
the same values (numbers as numbers, text neutralised, empty cells empty)."""

from __future__ import annotations

import io
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from domain.spreadsheet import neutralise
from web.xlsx import column, workbook


def test_columns_are_lettered_as_spreadsheets_letter_them() -> None:
    assert [column(i) for i in (0, 25, 26, 51, 52, 701, 702)] == [
        "A", "Z", "AA", "AZ", "BA", "ZZ", "AAA"]


def test_sheets_numbers_text_and_empty_cells_read_back() -> None:
    rows = [["nip", "nama", "poin"], ["198001012005011001", "=HYPERLINK(\"x\")", Decimal("12.5")],
            ["a & b <c> \"d\"", None, 7], ["  spasi  ", "+1", -3]]
    data = workbook({"hasil": rows, "terlambat & <lain>": [["satu"]]})
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["hasil", "terlambat & <lain>"]
    read = [[c.value for c in r] for r in book["hasil"].iter_rows()]
    assert read == [["nip", "nama", "poin"],
                    ["198001012005011001", "'=HYPERLINK(\"x\")", 12.5],
                    ["a & b <c> \"d\"", None, 7], ["  spasi  ", "'+1", -3]]
    assert [[c.value for c in r] for r in book["terlambat & <lain>"].iter_rows()] == [["satu"]]


@given(st.lists(st.lists(st.one_of(
    st.none(), st.integers(-10**12, 10**12),
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=20)),
    min_size=1, max_size=5), min_size=1, max_size=5))
def test_any_table_of_text_and_numbers_reads_back(rows: list[list[str | int | None]]) -> None:
    book = load_workbook(io.BytesIO(workbook({"s": rows})))
    width = max(len(r) for r in rows)
    read = [[c.value for c in r] for r in book["s"].iter_rows(max_col=width)]
    expected = [[neutralise(v) if isinstance(v, str) and v else (None if v == "" else v)
                 for v in r] + [None] * (width - len(r)) for r in rows]
    assert read[:len(expected)] == expected[:len(read)]
    assert all(v is None for r in expected[len(read):] for v in r)
