"""adapters.roster_files: CSV (BOM, ';'), XLSX (numbers as NIPs), headers and line numbers."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import Workbook

from adapters.roster_files import RosterFileError, read_roster_bytes, read_roster_file
from domain.roster import validate_roster

from .builders import HEADER, as_cells, csv_text, nip, small_org


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for cells in rows:
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_csv_with_either_delimiter_and_bom(delimiter: str, bom: bytes) -> None:
    data = bom + csv_text(small_org(), delimiter).encode()
    read = read_roster_bytes(data, "roster.csv")
    assert read.format == "csv"
    assert [r.line for r in read.rows] == [2, 3, 4, 5]
    assert read.rows == small_org()
    assert validate_roster(read.rows).clean


def test_english_headers_in_any_order_and_blank_lines(tmp_path: Path) -> None:
    text = ("Unit Code;Name;NIP;Position;Position Kind;Employment Type;Unit Name\n"
            f"u1;Kepala;{nip(1)};Kepala Dinas;JPT;PNS;Dinas\n"
            "\n"
            f"u1;Staf;{nip(2)};Pengolah;pelaksana;pns;Dinas\n")
    path = tmp_path / "r.csv"
    path.write_text(text, encoding="cp1252")
    read = read_roster_file(path)
    assert [(r.line, r.name, r.unit_code) for r in read.rows] == [
        (2, "Kepala", "u1"), (4, "Staf", "u1")]


def test_a_quoted_cell_over_two_lines_keeps_later_line_numbers() -> None:
    text = csv_text(small_org()).replace("Kepala Dinas,JPT", '"Kepala\nDinas",JPT', 1)
    rows = read_roster_bytes(text.encode()).rows
    assert [r.line for r in rows] == [2, 4, 5, 6]


def test_a_missing_column_is_a_file_error() -> None:
    with pytest.raises(RosterFileError, match="nama"):
        read_roster_bytes(b"nip,jabatan\n1,2\n")
    with pytest.raises(RosterFileError, match="empty"):
        read_roster_bytes(b"")
    with pytest.raises(RosterFileError, match="no employees"):
        read_roster_bytes(csv_text([]).encode() + b",,,\n")
    with pytest.raises(RosterFileError, match="XLSX"):
        read_roster_bytes(b"PK\x03\x04 broken", "r.xlsx")


def test_csv_nip_in_scientific_notation_is_reported() -> None:
    text = csv_text(small_org()).replace(nip(4), "1.98001E+17", 1)
    rows = read_roster_bytes(text.encode()).rows
    check = validate_roster(rows)
    assert [(r.line, r.field) for r in check.rejected] == [(5, "nip")]
    assert "scientific notation" in check.rejected[0].reason


def test_xlsx_rows_with_nips_as_text_and_as_numbers(tmp_path: Path) -> None:
    org = small_org()
    cells: list[list[object]] = [list(HEADER)]
    for r in org:
        cells.append(as_cells(r))
    cells[4][0] = int(org[3].nip)            # an 18-digit number: a spreadsheet keeps 15
    cells[3][9] = float(org[2].superior_nip)  # the superior's NIP as a number too
    cells[1][7] = 12345                      # a unit name as a number is just text
    cells.insert(3, [None] * len(HEADER))    # an empty row: line 4 is skipped
    data = xlsx_bytes(cells)
    path = tmp_path / "roster.xlsx"
    path.write_bytes(data)
    for read in (read_roster_bytes(data, "roster.xlsx"), read_roster_file(path)):
        assert read.format == "xlsx"
        assert [r.line for r in read.rows] == [2, 3, 5, 6]
        assert read.rows[0].unit_name == "12345"
        check = validate_roster(read.rows)
        assert [(r.line, r.field) for r in check.rejected] == [(5, "superior_nip"),
                                                               (6, "nip")]
        assert all("lost its last digits" in r.reason for r in check.rejected)
        assert len(check.roster.employees) == 2


def test_xlsx_small_numbers_are_text() -> None:
    org = small_org()
    cells: list[list[object]] = [list(HEADER), as_cells(org[0])]
    cells[1][6] = 101  # unit code 101
    read = read_roster_bytes(xlsx_bytes(cells))
    assert read.rows[0].unit_code == "101"
    assert validate_roster(read.rows).clean
