"""Builders of roster rows and whole generated organisations for the roster tests."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from domain.roster import RosterRow


def nip(n: int, *, year: int = 1980, sex: int = 1) -> str:
    """A valid PNS NIP, distinct for each ``n`` below 365 * 999."""
    day_of_year, sequence = divmod(n, 999)
    month, day = divmod(day_of_year % 336, 28)
    birth = f"{year + day_of_year // 336:04d}{month + 1:02d}{day + 1:02d}"
    return f"{birth}200501{sex}{sequence + 1:03d}"


def row(line: int, n: int, **fields: Any) -> RosterRow:
    """A valid staff row for employee ``n`` (override any field)."""
    base = RosterRow(line=line, nip=nip(n), name=f"Pegawai {n}", position="Pengolah Data",
                     position_kind="pelaksana", employment_type="PNS", unit_code="u1",
                     unit_name="Dinas", email=f"p{n}@example.go.id")
    return replace(base, **fields)


def small_org() -> list[RosterRow]:
    """Head of agency (JPT) in u1; a head of division (administrator) in u2 under him;
    a functional and a staff member in u2 under her."""
    return [
        row(2, 1, name="Kepala Dinas", position="Kepala Dinas", position_kind="JPT",
            unit_code="u1", unit_name="Dinas"),
        row(3, 2, name="Kepala Bidang", position="Kepala Bidang", position_kind="administrator",
            unit_code="u2", unit_name="Bidang", parent_unit="u1", superior_nip=nip(1)),
        row(4, 3, name="Pranata", position="Pranata Komputer", position_kind="fungsional",
            level="Ahli Pertama", unit_code="u2", unit_name="Bidang", parent_unit="u1",
            superior_nip=nip(2)),
        row(5, 4, unit_code="u2", unit_name="Bidang", parent_unit="u1", superior_nip=nip(2)),
    ]


HEADER = ("nip", "nama", "jabatan", "jenis_jabatan", "jenjang", "status_kepegawaian",
          "kode_unit", "nama_unit", "unit_induk", "nip_atasan", "email")


def as_cells(r: RosterRow) -> list[str]:
    return [r.nip, r.name, r.position, r.position_kind, r.level, r.employment_type,
            r.unit_code, r.unit_name, r.parent_unit, r.superior_nip, r.email]


def csv_text(rows: list[RosterRow], delimiter: str = ",") -> str:
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(HEADER)
    for r in rows:
        writer.writerow(as_cells(r))
    return out.getvalue()


def generated_org(size: int, units: int = 20) -> list[RosterRow]:
    """A valid organisation of ``size`` people in ``units`` units (line numbers from 2)."""
    rows: list[RosterRow] = []
    leaders: list[str] = []
    for u in range(min(units, size)):
        parent = (u - 1) // 4 if u else None
        kind = "JPT" if u == 0 else "administrator"
        rows.append(row(len(rows) + 2, len(rows) + 1, position=f"Kepala Unit {u}",
                        position_kind=kind, unit_code=f"u{u}", unit_name=f"Unit {u}",
                        parent_unit=f"u{parent}" if parent is not None else "",
                        superior_nip=leaders[parent] if parent is not None else ""))
        leaders.append(rows[-1].nip)
    while len(rows) < size:
        n = len(rows) + 1
        u = n % len(leaders)
        parent = (u - 1) // 4 if u else None
        kind = ("fungsional", "pelaksana")[n % 2]
        rows.append(row(len(rows) + 2, n, position_kind=kind,
                        level="ahli_muda" if kind == "fungsional" else "",
                        unit_code=f"u{u}", unit_name=f"Unit {u}",
                        parent_unit=f"u{parent}" if parent is not None else "",
                        superior_nip=leaders[u]))
    return rows
