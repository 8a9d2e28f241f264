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

Limits (:class:`ReadLimits`, each settable by the caller): at most 100,000 data rows
and 200 cells a row; a file of at most 64 MiB; an XLSX whose parts together unpack to at
most 256 MiB (the zip's declared sizes are checked first, then the bytes are counted
while they are unpacked) with at most 1,000 parts. An XLSX is checked before openpyxl
parses any of it: every XML part is streamed once, refused at the first DTD or entity
declaration (``<!DOCTYPE``, ``<!ENTITY``: entity-expansion bombs), and each sheet's rows
and cells are counted, so a sheet of 20 million empty rows is refused after its first
100,001. A sheet whose declared dimension is larger than the limits is refused before
its rows are read. Anything openpyxl cannot read (a truncated sheet, a broken
``workbook.xml``, a missing sheet, a bad ``styles.xml``) is a :class:`RosterFileError`
naming the file, as is every limit, with the rule it breaks (``RosterFileError.rule``).

A NIP has 18 digits, more than a spreadsheet number keeps (15 significant
digits): a NIP cell stored as a number that cannot be exact is reported on its
row, with the advice to format the column as text.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
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


MiB = 1024 * 1024


@dataclass(frozen=True)
class ReadLimits:
    """How much of a file the reader takes before refusing it."""

    max_rows: int = 100_000
    """Data rows (the header not counted), empty rows included."""
    max_columns: int = 200
    """Cells in a row."""
    max_file_bytes: int = 64 * MiB
    """The file as given: CSV text, or the XLSX zip."""
    max_unpacked_bytes: int = 256 * MiB
    """An XLSX's parts together, unpacked."""
    max_parts: int = 1000
    """Members of an XLSX zip."""


LIMITS = ReadLimits()


class RosterFileError(ValueError):
    """The file as a whole cannot be read (not a row's problem): format, header, encoding,
    a limit. ``rule`` names the rule broken, for a machine."""

    def __init__(self, message: str, rule: str = "roster-file") -> None:
        super().__init__(message)
        self.rule = rule


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
                      progress: ProgressCallback | None = None,
                      limits: ReadLimits = LIMITS) -> RosterFile:
    """Rows of a roster file given as bytes; XLSX by its content (a zip), else CSV."""
    name = filename or "the file"
    if len(data) > limits.max_file_bytes:
        raise RosterFileError(
            f"{name}: larger than {limits.max_file_bytes // MiB} MiB; split the roster",
            rule="file-too-large")
    if data.startswith(XLSX_MAGIC) or filename.lower().endswith((".xlsx", ".xlsm")):
        return _nonempty(RosterFile(rows=list(_xlsx_rows(data, name, progress, limits)),
                                    format="xlsx"))
    return _nonempty(RosterFile(rows=list(_csv_rows(_decode(data), name, progress, limits)),
                                format="csv"))


def read_roster_file(path: Path, progress: ProgressCallback | None = None,
                     limits: ReadLimits = LIMITS) -> RosterFile:
    """Rows of the roster file at ``path``."""
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        raise RosterFileError(
            f"{path.name}: larger than {limits.max_file_bytes // MiB} MiB; split the roster",
            rule="file-too-large")
    return read_roster_bytes(path.read_bytes(), path.name, progress, limits)


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


def _too_many_rows(name: str, limits: ReadLimits) -> RosterFileError:
    return RosterFileError(
        f"{name}: more than {limits.max_rows:,} rows; a roster file may have at most "
        f"{limits.max_rows:,} (split the agency's roster, or remove empty rows)",
        rule="too-many-rows")


def _too_many_columns(name: str, line: int, limits: ReadLimits) -> RosterFileError:
    return RosterFileError(
        f"{name}: line {line} has more than {limits.max_columns} cells; a row may have at "
        f"most {limits.max_columns}", rule="too-many-columns")


def _csv_rows(text: str, name: str, progress: ProgressCallback | None,
              limits: ReadLimits) -> Iterator[RosterRow]:
    if not text.strip():
        raise RosterFileError("the file is empty")
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first_line))
    try:
        header = next(reader)
    except csv.Error as error:
        raise RosterFileError(f"not a CSV file: {error}") from None
    if len(header) > limits.max_columns:
        raise _too_many_columns(name, 1, limits)
    columns = _columns(header)
    expected = min(text.count("\n"), limits.max_rows)
    start = reader.line_num + 1
    try:
        for done, cells in enumerate(reader, start=1):
            if done > limits.max_rows:
                raise _too_many_rows(name, limits)
            if len(cells) > limits.max_columns:
                raise _too_many_columns(name, start, limits)
            if any(cell.strip() for cell in cells):
                yield _row(start, cells, columns)
            start = reader.line_num + 1
            if progress is not None and done % 500 == 0:
                progress(done, expected)
    except csv.Error as error:
        raise RosterFileError(f"line {reader.line_num}: {error}") from None
    if progress is not None:
        progress(expected, expected)


_CHUNK = 64 * 1024
_CARRY = 32
"""Bytes kept from one chunk to the next: longer than any tag the scan looks for."""
_DECLARATION = re.compile(rb"<!(?:DOCTYPE|ENTITY)")
_ROW_OR_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,15}:)?(row|c)[\s/>]")


@dataclass
class XlsxScan:
    """What :func:`scan_xlsx` read: bytes unpacked, and rows of each sheet."""

    unpacked: int = 0
    rows: dict[str, int] = field(default_factory=dict)


def scan_xlsx(zipped: zipfile.ZipFile, name: str, limits: ReadLimits = LIMITS,
              scan: XlsxScan | None = None) -> XlsxScan:
    """Check an XLSX's zip before any XML of it is parsed: the parts' count and declared
    sizes, then each XML part streamed once, counting the bytes unpacked, refusing a DTD
    or entity declaration, and counting each sheet's rows and cells a row. ``scan``
    (filled as it goes, also when it refuses) says how far it read."""
    scan = scan if scan is not None else XlsxScan()
    parts = zipped.infolist()
    if len(parts) > limits.max_parts:
        raise RosterFileError(f"{name}: an XLSX of more than {limits.max_parts} parts",
                              rule="xlsx-too-many-parts")
    if sum(p.file_size for p in parts) > limits.max_unpacked_bytes:
        raise _unpacks_too_large(name, limits)
    for part in parts:
        if not part.filename.endswith((".xml", ".rels", ".vml")):
            continue
        sheet = part.filename.startswith("xl/worksheets/")
        rows = cells = 0
        carry = b""
        first = True
        with zipped.open(part) as stream:
            while True:
                chunk = stream.read(_CHUNK)
                scan.unpacked += len(chunk)
                if scan.unpacked > limits.max_unpacked_bytes:
                    raise _unpacks_too_large(name, limits)
                if first:
                    first = False
                    if chunk.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in chunk[:4]:
                        raise RosterFileError(
                            f"{name}: the part {part.filename} is not UTF-8 XML",
                            rule="xlsx-unreadable")
                # What starts before ``end`` is looked at now (whole: the buffer goes
                # _CARRY bytes further); what starts after, with the next chunk.
                buffer = carry + chunk
                end = max(len(buffer) - _CARRY, 0) if chunk else len(buffer)
                declaration = _DECLARATION.search(buffer)
                if declaration is not None and declaration.start() < end:
                    raise RosterFileError(
                        f"{name}: the part {part.filename} declares a DTD or entities "
                        "(<!DOCTYPE or <!ENTITY), which a workbook never needs; save it "
                        "again from a spreadsheet", rule="xlsx-entities")
                if sheet:
                    for match in _ROW_OR_CELL.finditer(buffer):
                        if match.start() >= end:
                            break
                        if match.group(1) == b"row":
                            rows, cells = rows + 1, 0
                            if rows > limits.max_rows + 1:  # the header is a row too
                                scan.rows[part.filename] = rows
                                raise _too_many_rows(name, limits)
                        else:
                            cells += 1
                            if cells > limits.max_columns:
                                raise _too_many_columns(name, rows, limits)
                if not chunk:
                    break
                carry = buffer[end:]
        if sheet:
            scan.rows[part.filename] = rows
    return scan


def _unpacks_too_large(name: str, limits: ReadLimits) -> RosterFileError:
    return RosterFileError(
        f"{name}: the XLSX unpacks to more than {limits.max_unpacked_bytes // MiB} MiB; a "
        "roster workbook is far smaller (remove other sheets, images and formatting)",
        rule="xlsx-too-large")


def _xlsx_rows(data: bytes, name: str, progress: ProgressCallback | None,
               limits: ReadLimits) -> Iterator[RosterRow]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zipped:
            scan_xlsx(zipped, name, limits)
    except RosterFileError:
        raise
    except Exception as error:  # a zip that cannot be read: untrusted input, never a 500
        raise _unreadable(name, error) from None
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds on a malformed workbook
        raise _unreadable(name, error) from None
    try:
        if not book.worksheets:
            raise RosterFileError(f"{name}: the workbook has no sheet", rule="xlsx-unreadable")
        sheet = book.worksheets[0]
        if (sheet.max_row or 0) > limits.max_rows + 1:
            raise _too_many_rows(name, limits)
        if (sheet.max_column or 0) > limits.max_columns:
            raise _too_many_columns(name, 1, limits)
        expected = sheet.max_row or 0
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise RosterFileError("the file is empty")
        if len(header) > limits.max_columns:
            raise _too_many_columns(name, 1, limits)
        columns = _columns(list(header))
        for line, cells in enumerate(rows, start=2):
            if line > limits.max_rows + 1:
                raise _too_many_rows(name, limits)
            if len(cells) > limits.max_columns:
                raise _too_many_columns(name, line, limits)
            if any(cell is not None and str(cell).strip() for cell in cells):
                yield _row(line, list(cells), columns)
            if progress is not None and line % 500 == 0:
                progress(line, expected)
        if progress is not None:
            progress(expected, expected)
    except RosterFileError:
        raise
    except Exception as error:  # a truncated or malformed sheet, found while reading it
        raise _unreadable(name, error) from None
    finally:
        book.close()


def _unreadable(name: str, error: Exception) -> RosterFileError:
    reason = str(error) or type(error).__name__
    return RosterFileError(f"{name}: not a readable XLSX workbook ({reason[:200]}); open it "
                           "in a spreadsheet and save it again as .xlsx",
                           rule="xlsx-unreadable")
