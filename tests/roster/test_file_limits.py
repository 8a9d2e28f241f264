"""adapters.roster_files refuses, quickly and before parsing, what no roster is: bombs
(millions of empty rows, entity declarations, a zip that unpacks to too much), files over
the limits of rows and cells, and malformed workbooks; each a RosterFileError naming the
file and the rule, never another exception."""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from openpyxl import Workbook

from adapters import roster_files
from adapters.roster_files import (
    ReadLimits,
    RosterFileError,
    XlsxScan,
    read_roster_bytes,
    scan_xlsx,
)

from .builders import HEADER, as_cells, csv_text, small_org

NS = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
HEADER_ROW = (b'<row r="1">' + b"".join(
    b'<c t="inlineStr"><is><t>' + h.encode() + b"</t></is></c>" for h in HEADER) + b"</row>")


def good_xlsx() -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(HEADER))
    for r in small_org():
        sheet.append(as_cells(r))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def changed(data: bytes, part: str, content: bytes | None) -> bytes:
    """``data`` (an XLSX) with ``part`` replaced by ``content``, or left out (None)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        assert part in source.namelist()
        for info in source.infolist():
            if info.filename != part:
                target.writestr(info, source.read(info))
            elif content is not None:
                target.writestr(info.filename, content)
    return out.getvalue()


def part_of(data: bytes, part: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        return source.read(part)


def bomb(empty_rows: int, dimension: bytes = b"") -> bytes:
    """A real workbook whose sheet has the header and then ``empty_rows`` ``<row/>``,
    written as a stream (20 million of them zip to about 180 KB)."""
    base = good_xlsx()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for info in source.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                target.writestr(info, source.read(info))
                continue
            with target.open(info.filename, "w") as sheet:
                sheet.write(b'<?xml version="1.0" encoding="UTF-8"?><worksheet ' + NS + b">"
                            + dimension + b"<sheetData>" + HEADER_ROW)
                block = b"<row/>" * 100_000
                for _ in range(empty_rows // 100_000):
                    sheet.write(block)
                sheet.write(b"<row/>" * (empty_rows % 100_000))
                sheet.write(b"</sheetData></worksheet>")
    return out.getvalue()


@pytest.fixture(scope="module")
def twenty_million_empty_rows() -> bytes:
    return bomb(20_000_000)


@pytest.fixture
def openpyxl_never_called(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The test's file is refused before openpyxl parses any of it."""
    import openpyxl

    calls: list[object] = []

    def record(*args: Any, **kwargs: Any) -> None:
        calls.append(args)
        raise RuntimeError("openpyxl was given a file the scan should have refused")
    monkeypatch.setattr(openpyxl, "load_workbook", record)
    yield
    assert not calls, "openpyxl parsed a file the scan should have refused"


def refused(read: Callable[[], object]) -> RosterFileError:
    with pytest.raises(RosterFileError) as raised:
        read()
    return raised.value


def test_twenty_million_empty_rows_are_refused_before_parsing(
        twenty_million_empty_rows: bytes, openpyxl_never_called: None) -> None:
    assert len(twenty_million_empty_rows) < 250_000
    started = time.process_time()
    error = refused(lambda: read_roster_bytes(twenty_million_empty_rows, "bom.xlsx"))
    used = time.process_time() - started
    assert error.rule == "too-many-rows"
    assert str(error).startswith("bom.xlsx: more than 100,000 rows")
    assert used < 5  # loosely: it took 60 s before
    # And the scan stopped at the limit: the 100,002nd row, not the 20 millionth.
    scan = XlsxScan()
    with zipfile.ZipFile(io.BytesIO(twenty_million_empty_rows)) as zipped, \
            pytest.raises(RosterFileError):
        scan_xlsx(zipped, "bom.xlsx", scan=scan)
    assert scan.rows["xl/worksheets/sheet1.xml"] == 100_002
    assert scan.unpacked < 2_000_000  # of 120 MB


def test_a_sheet_at_the_limit_is_read() -> None:
    data = bomb(10)  # header, and 10 empty rows after it: read as no employee
    error = refused(lambda: read_roster_bytes(data, "r.xlsx", limits=ReadLimits(max_rows=10)))
    assert error.rule == "roster-file" and "no employees" in str(error)
    over = refused(lambda: read_roster_bytes(bomb(11), "r.xlsx",
                                             limits=ReadLimits(max_rows=10)))
    assert over.rule == "too-many-rows"


@pytest.mark.parametrize(("dimension", "rule"), [
    (b'<dimension ref="A1:K20000000"/>', "too-many-rows"),
    (b'<dimension ref="A1:XFD5"/>', "too-many-columns"),
])
def test_a_dimension_beyond_the_limits_is_refused_before_the_rows_are_read(
        dimension: bytes, rule: str, monkeypatch: pytest.MonkeyPatch) -> None:
    data = bomb(3, dimension)
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    def no_rows(*_: Any, **__: Any) -> None:
        raise AssertionError("rows were read")
    monkeypatch.setattr(ReadOnlyWorksheet, "_cells_by_row", no_rows)
    assert refused(lambda: read_roster_bytes(data, "dim.xlsx")).rule == rule


def test_cells_beyond_the_limit_in_a_row_are_refused(openpyxl_never_called: None) -> None:
    sheet = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet ' + NS + b"><sheetData>"
             + HEADER_ROW + b"<row>" + b"<c/>" * 201 + b"</row></sheetData></worksheet>")
    data = changed(good_xlsx(), "xl/worksheets/sheet1.xml", sheet)
    assert refused(lambda: read_roster_bytes(data, "wide.xlsx")).rule == "too-many-columns"


def test_a_workbook_unpacking_to_more_than_the_limit_is_refused(
        openpyxl_never_called: None) -> None:
    data = changed(good_xlsx(), "docProps/app.xml", b"<a>" + b" " * 3_000_000 + b"</a>")
    error = refused(lambda: read_roster_bytes(
        data, "big.xlsx", limits=ReadLimits(max_unpacked_bytes=2 * 1024 * 1024)))
    assert error.rule == "xlsx-too-large" and str(error).startswith("big.xlsx:")


LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          + b"".join(b'<!ENTITY lol%d "%s">' % (i, b"&lol%d;" % (i - 1) * 10 if i > 1
                                                   else b"&lol;" * 10) for i in range(1, 10))
          + b']><sst ' + NS + b' count="1" uniqueCount="1"><si><t>&lol9;</t></si></sst>')


@pytest.mark.parametrize("part", ["xl/sharedStrings.xml", "xl/worksheets/sheet1.xml",
                                  "xl/workbook.xml", "[Content_Types].xml"])
def test_entity_declarations_are_refused_in_any_part(part: str,
                                                     openpyxl_never_called: None) -> None:
    base = good_xlsx()
    with zipfile.ZipFile(io.BytesIO(base)) as source:
        names = source.namelist()
    content = LAUGHS if part == "xl/sharedStrings.xml" else \
        b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + part_of(base, part)
    if part not in names:
        out = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(base)) as source, zipfile.ZipFile(out, "w") as target:
            for info in source.infolist():
                target.writestr(info, source.read(info))
            target.writestr(part, content)
        data = out.getvalue()
    else:
        data = changed(base, part, content)
    error = refused(lambda: read_roster_bytes(data, "lol.xlsx"))
    assert error.rule == "xlsx-entities" and part in str(error)


def malformed() -> dict[str, bytes]:
    base = good_xlsx()
    sheet = part_of(base, "xl/worksheets/sheet1.xml")
    return {
        "truncated sheet": changed(base, "xl/worksheets/sheet1.xml", sheet[:len(sheet) // 2]),
        "broken workbook.xml": changed(base, "xl/workbook.xml", b"<workbook><sheets>"),
        "missing sheet": changed(base, "xl/worksheets/sheet1.xml", None),
        "bad styles.xml": changed(base, "xl/styles.xml", b"this is not XML"),
        "styles.xml of the wrong shape": changed(
            base, "xl/styles.xml", b'<styleSheet ' + NS + b'><cellXfs count="1">'
            b'<xf numFmtId="x" fontId="y"/></cellXfs></styleSheet>'),
        "no workbook.xml": changed(base, "xl/workbook.xml", None),
        "truncated zip": base[:len(base) // 2],
        "UTF-16 part": changed(base, "xl/workbook.xml",
                               part_of(base, "xl/workbook.xml").decode().encode("utf-16")),
    }


MALFORMED = malformed()


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_workbook_is_a_file_error_naming_the_file(case: str) -> None:
    error = refused(lambda: read_roster_bytes(MALFORMED[case], "roster.xlsx"))
    assert error.rule == "xlsx-unreadable", error
    assert str(error).startswith("roster.xlsx: ")


def test_a_good_workbook_still_reads() -> None:
    read = read_roster_bytes(good_xlsx(), "roster.xlsx")
    assert read.format == "xlsx" and read.rows == small_org()


def test_csv_rows_cells_and_size_beyond_the_limits() -> None:
    text = csv_text(small_org())
    too_long = text + "\r\n".join(["x,,,,,,,,,,"] * 100_000) + "\r\n"
    started = time.process_time()
    error = refused(lambda: read_roster_bytes(too_long.encode(), "r.csv"))
    assert error.rule == "too-many-rows" and str(error).startswith("r.csv: more than 100,000")
    assert time.process_time() - started < 5
    wide = text + "x" + "," * 200 + "\r\n"
    assert refused(lambda: read_roster_bytes(wide.encode(), "r.csv")).rule == \
        "too-many-columns"
    big = refused(lambda: read_roster_bytes(text.encode(), "r.csv",
                                            limits=ReadLimits(max_file_bytes=100)))
    assert big.rule == "file-too-large"
    assert roster_files.LIMITS.max_rows == 100_000  # the default the README gives


@pytest.mark.parametrize(("row", "rule"), [
    (b'<row r="20000000"><c r="A20000000" t="inlineStr"><is><t>x</t></is></c></row>',
     "too-many-rows"),
    (b'<row r="2"><c r="XFD2" t="inlineStr"><is><t>x</t></is></c></row>', "too-many-columns"),
])
def test_a_far_away_row_or_cell_is_refused_while_reading(row: bytes, rule: str) -> None:
    """One element, but openpyxl fills the gap before it with empty rows or cells: the
    rows and cells are counted as they come, with no dimension to check first."""
    sheet = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet ' + NS + b"><sheetData>"
             + HEADER_ROW + row + b"</sheetData></worksheet>")
    data = changed(good_xlsx(), "xl/worksheets/sheet1.xml", sheet)
    started = time.process_time()
    assert refused(lambda: read_roster_bytes(data, "far.xlsx")).rule == rule
    assert time.process_time() - started < 5
