"""``kinerja roster import`` and ``kinerja roster show`` through typer's runner."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kinerja.cli import app
from kinerja.settings import get_settings
from tests.kinerja.helpers import preserved_logging

from .builders import csv_text, nip, row, small_org

runner = CliRunner()


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_dsn: str
        ) -> Iterator[Path]:
    for name in list(os.environ):
        if name.startswith("KINERJA_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("KINERJA_DATABASE_URL", database_dsn)
    monkeypatch.setenv("KINERJA_LOG_FORMAT", "json")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def kinerja(*args: str) -> tuple[int, str]:
    get_settings.cache_clear()
    with preserved_logging():
        result = runner.invoke(app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def test_import_refuses_a_file_with_bad_rows_then_applies_it_clean(env: Path) -> None:
    bad = [*small_org(), row(6, 9, email="nope", unit_code="u2", unit_name="Bidang",
                             parent_unit="u1", superior_nip=nip(2)),
           row(7, 10, superior_nip=nip(77))]
    path = env / "roster.csv"
    path.write_text(csv_text(bad, ";"), encoding="utf-8-sig")
    code, out = kinerja("roster", "import", str(path), "--agency", "pemkot")
    assert code == 1, out
    assert "2 rejected row(s)" in out and "nothing applied" in out
    assert "the valid rows would change: 4 hired, 0 left" in out
    assert "not an e-mail address" in out and "unknown superior" in out
    assert nip(9)[:4] + "***********" + nip(9)[-3:] in out  # NIPs are masked
    code, out = kinerja("roster", "show", "--agency", "pemkot")
    assert code == 0 and "version 0, 0 employees" in out

    code, out = kinerja("roster", "import", str(path), "--agency", "pemkot", "--dry-run",
                        "--apply-valid")
    assert code == 0 and "the valid rows would change: 4 hired" in out and "dry run" in out

    code, out = kinerja("roster", "import", str(path), "--agency", "pemkot", "--apply-valid")
    assert code == 0, out
    assert "applied: 4 hired, 0 left, 0 transferred, 2 units added or changed" in out

    good = small_org()
    good[3] = replace(good[3], unit_code="u1", unit_name="Dinas", parent_unit="",
                      superior_nip=nip(1))
    path.write_text(csv_text(good), encoding="utf-8")
    code, out = kinerja("roster", "import", str(path), "--agency", "pemkot")
    assert code == 0, out
    assert "applied: 0 hired, 0 left, 1 transferred, 1 superior changed" in out
    code, out = kinerja("roster", "import", str(path), "--agency", "pemkot")
    assert code == 0 and "nothing changed" in out

    code, out = kinerja("roster", "show", "--agency", "pemkot")
    assert code == 0 and "version 8, 4 employees, 2 units" in out
    assert "e-0004" in out and "digest sha256:" in out


def test_an_unreadable_file_is_refused_with_exit_code_2(env: Path) -> None:
    path = env / "roster.csv"
    path.write_text("nip,nama\n1,x\n", encoding="utf-8")
    code, out = kinerja("roster", "import", str(path), "--agency", "pemkot")
    assert code == 2 and "lacks the column" in out


def test_an_xlsx_file_with_a_progress_bar(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from openpyxl import Workbook

    import kinerja.roster_cli as roster_cli

    from .builders import HEADER, as_cells, generated_org

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(HEADER))
    for r in generated_org(1200, 12):
        sheet.append(as_cells(r))
    path = env / "roster.xlsx"
    book.save(path)
    seen: list[tuple[int, int]] = []
    real = roster_cli.read_roster_file

    def spy(file: Path, progress: object = None) -> object:
        def record(done: int, expected: int) -> None:
            seen.append((done, expected))
            progress(done, expected)  # type: ignore[operator]
        return real(file, record)

    monkeypatch.setattr(roster_cli, "PROGRESS_FROM_BYTES", 0)
    monkeypatch.setattr(roster_cli, "read_roster_file", spy)
    code, out = kinerja("roster", "import", str(path), "--agency", "big")
    assert code == 0, out
    assert "XLSX roster.xlsx: 1200 rows, 1200 valid, 0 rejected" in out
    assert "applied: 1200 hired" in out
    assert seen and seen[-1] == (1201, 1201)


def test_an_agency_id_must_be_safe(env: Path) -> None:
    code, out = kinerja("roster", "show", "--agency", "bad agency/x")
    assert code == 2 and "agency id" in out


def test_the_dry_run_names_a_control_character(env: Path) -> None:
    rows = small_org()
    rows[1] = replace(rows[1], position="Kepala\x00Bidang")
    path = env / "roster.csv"
    path.write_text(csv_text(rows, ";"), encoding="utf-8")
    code, out = kinerja("roster", "import", str(path), "--agency", "pemkot", "--dry-run")
    assert code == 0, out  # a dry run reports, as for any rejected row
    assert "3 rejected row(s)" in out and "4 rows, 1 valid, 3 rejected" in out
    assert "position contains a control character (U+0000 at position 7)" in out
    code, out = kinerja("roster", "show", "--agency", "pemkot")
    assert code == 0 and "version 0, 0 employees" in out


def test_a_bomb_is_refused_with_exit_code_2_naming_the_rule(env: Path) -> None:
    from .test_file_limits import MALFORMED, bomb

    path = env / "bom.xlsx"
    path.write_bytes(bomb(20_000_000))
    code, out = kinerja("roster", "import", str(path), "--agency", "pemkot", "--dry-run")
    assert code == 2 and "bom.xlsx: more than 100,000 rows" in " ".join(out.split())
    path.write_bytes(MALFORMED["truncated sheet"])
    code, out = kinerja("roster", "import", str(path), "--agency", "pemkot")
    assert code == 2 and "not a readable XLSX workbook" in " ".join(out.split())
