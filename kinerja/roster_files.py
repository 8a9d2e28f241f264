"""Read a roster file (CSV or XLSX) into :class:`domain.roster.RosterRow` values.

The first row is the header. Columns are found by name, in any order, case
and spaces ignored; each has English and Indonesian names:

| column | accepted headers |
|---|---|
| nip | ``nip``, ``nip_pppk``, ``ni_pppk`` |
| name | ``nama``, ``name``, ``nama_pegawai`` |
| position | ``jabatan``, ``position``, ``nama_jabatan`` |
| position_kind | ``jenis_jabatan``, ``position_kind``, ``kind`` (1) |
| level | ``jenjang``, ``level``, ``jenjang_jabatan`` (2) |
| employment_type | ``status_kepegawaian``, ``employment_type``, ``status`` (PNS or PPPK) |
| unit_code | ``kode_unit``, ``unit_code`` |
| unit_name | ``nama_unit``, ``unit_name`` |
| parent_unit | ``unit_induk``, ``kode_unit_induk``, ``parent_unit`` |
| superior_nip | ``nip_atasan``, ``superior_nip`` |
| email | ``email``, ``e-mail``, ``surel`` |
| employee_key | ``kode_pegawai``, ``employee_key`` (optional; assigned when absent) |

(1) JPT, administrator, pengawas (supervisor), pelaksana (staff), fungsional.
(2) Functional positions only: pemula, terampil, mahir, penyelia, ahli_pertama,
ahli_muda, ahli_madya, ahli_utama (``Ahli Pertama`` and ``pertama`` are accepted).

CSV: UTF-8 with or without a byte-order mark (Windows-1252 is accepted when
the bytes are not UTF-8), delimited by ``,`` or ``;`` (Excel in an Indonesian
locale writes ``;``) or a tab, as the header line shows. XLSX: the first
sheet, read in openpyxl's streaming read-only mode. Line numbers are those a
spreadsheet shows: the header is line 1.

A NIP has 18 digits, more than a spreadsheet number keeps (15 significant
digits): a NIP cell stored as a number that cannot be exact is reported on its
row, with the advice to format the column as text.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from domain.roster import RosterRow

ProgressCallback = Callable[[int, int], None]
"""Called as ``(rows done, rows expected)`` while a file is read."""

COLUMNS: dict[str, tuple[str, ...]] = {
    "nip": ("nip", "nip_pppk", "ni_pppk", "nip_baru"),
    "name": ("nama", "name", "nama_pegawai", "nama_lengkap"),
    "position": ("jabatan", "position", "nama_jabatan"),
    "position_kind": ("jenis_jabatan", "position_kind", "kind", "jenis"),
    "level": ("jenjang", "level", "jenjang_jabatan"),
    "employment_type": ("status_kepegawaian", "employment_type", "status", "jenis_asn"),
    "unit_code": ("kode_unit", "unit_code", "kode_unit_kerja"),
    "unit_name": ("nama_unit", "unit_name", "nama_unit_kerja", "unit_kerja"),
    "parent_unit": ("unit_induk", "kode_unit_induk", "parent_unit", "parent_unit_code"),
    "superior_nip": ("nip_atasan", "superior_nip", "nip_atasan_langsung"),
    "email": ("email", "e_mail", "surel", "alamat_email"),
    "employee_key": ("kode_pegawai", "employee_key", "id_pegawai"),
}
REQUIRED = ("nip", "name", "position", "position_kind", "employment_type", "unit_code",
            "unit_name")

_ALIASES = {alias: column for column, aliases in COLUMNS.items() for alias in aliases}

XLSX_MAGIC = b"PK\x03\x04"


class RosterFileError(ValueError):
    """The file as a whole cannot be read (not a row's problem): format, header, encoding."""


@dataclass(frozen=True)
class RosterFile:
    """The rows of a file and what it was."""

    rows: list[RosterRow]
    format: str
    """``csv`` or ``xlsx``."""


def _header_key(text: str) -> str:
    return re.sub(r"[\s\-./]+", "_", text.strip().lower()).strip("_")


def _columns(header: list[Any]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        column = _ALIASES.get(_header_key(str(cell))) if cell is not None else None
        if column is not None and column not in found:
            found[column] = index
    missing = [c for c in REQUIRED if c not in found]
    if missing:
        raise RosterFileError(
            "the header lacks the column(s) " + ", ".join(COLUMNS[c][0] for c in missing)
            + "; the first row must name the columns (see the README)")
    return found


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _row(line: int, cells: list[Any], columns: dict[str, int]) -> RosterRow:
    values: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    for column, index in columns.items():
        raw = cells[index] if index < len(cells) else None
        values[column] = _text(raw)
        if column in ("nip", "superior_nip"):
            problem = _numeric_nip_problem(raw)
            if problem:
                problems.append((column, problem))
    return RosterRow(line=line, cell_problems=tuple(problems), **values)


_EXACT_LIMIT = 2**53


_SCIENTIFIC = re.compile(r"^\d(?:[.,]\d+)?[eE]\+?\d+$")


def _numeric_nip_problem(raw: Any) -> str | None:
    """Why a NIP cell that holds a number cannot be trusted, or None."""
    if isinstance(raw, str) and _SCIENTIFIC.match(raw.strip()):
        return ("the NIP is written as a number in scientific notation and has lost its last "
                "digits; format the NIP column as Text in the spreadsheet and export again")
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return None
    if isinstance(raw, float) and (not raw.is_integer() or abs(raw) >= _EXACT_LIMIT):
        return ("the NIP is stored as a number and has lost its last digits (a spreadsheet "
                "keeps 15 of its 18); format the column as Text and type the NIPs again")
    return None


def read_roster_bytes(data: bytes, filename: str = "",
                      progress: ProgressCallback | None = None) -> RosterFile:
    """Rows of a roster file given as bytes; XLSX by its content (a zip), else CSV."""
    if data.startswith(XLSX_MAGIC) or filename.lower().endswith((".xlsx", ".xlsm")):
        return _nonempty(RosterFile(rows=list(_xlsx_rows(io.BytesIO(data), progress)),
                                    format="xlsx"))
    return _nonempty(RosterFile(rows=list(_csv_rows(_decode(data), progress)), format="csv"))


def read_roster_file(path: Path, progress: ProgressCallback | None = None) -> RosterFile:
    """Rows of the roster file at ``path``."""
    with path.open("rb") as stream:
        head = stream.read(4)
    if head == XLSX_MAGIC:
        return _nonempty(RosterFile(rows=list(_xlsx_rows(path, progress)), format="xlsx"))
    return _nonempty(RosterFile(rows=list(_csv_rows(_decode(path.read_bytes()), progress)),
                                format="csv"))


def _nonempty(read: RosterFile) -> RosterFile:
    # The file is the whole roster: applying one without rows would mean everyone left.
    if not read.rows:
        raise RosterFileError("the file has a header but no employees")
    return read


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _csv_rows(text: str, progress: ProgressCallback | None) -> Iterator[RosterRow]:
    if not text.strip():
        raise RosterFileError("the file is empty")
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first_line))
    try:
        header = next(reader)
    except csv.Error as error:
        raise RosterFileError(f"not a CSV file: {error}") from None
    columns = _columns(header)
    expected = text.count("\n")
    start = reader.line_num + 1
    try:
        for done, cells in enumerate(reader, start=1):
            if any(cell.strip() for cell in cells):
                yield _row(start, cells, columns)
            start = reader.line_num + 1
            if progress is not None and done % 500 == 0:
                progress(done, expected)
    except csv.Error as error:
        raise RosterFileError(f"line {reader.line_num}: {error}") from None
    if progress is not None:
        progress(expected, expected)


def _xlsx_rows(source: Any, progress: ProgressCallback | None) -> Iterator[RosterRow]:
    import zipfile

    from openpyxl import load_workbook

    try:
        book = load_workbook(source, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise RosterFileError(f"not a readable XLSX workbook: {error}") from None
    try:
        sheet = book.worksheets[0]
        expected = sheet.max_row or 0
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise RosterFileError("the file is empty")
        columns = _columns(list(header))
        for line, cells in enumerate(rows, start=2):
            if any(cell is not None and str(cell).strip() for cell in cells):
                yield _row(line, list(cells), columns)
            if progress is not None and line % 500 == 0:
                progress(line, expected)
        if progress is not None:
            progress(expected, expected)
    finally:
        book.close()
