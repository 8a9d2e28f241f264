"""A cycle's exports on a real Temporal and PostgreSQL: no text cell of ``results.csv``,
``progress.csv`` or ``kinerja cycle status --csv`` starts a spreadsheet formula, whatever HR
typed in the roster (OWASP CSV injection); the roster helpers the privacy test shares."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from domain.spreadsheet import FORMULA_TRIGGERS
from tests.polling import poll_async

from .conftest import YEAR, Stack
from .test_cycle import HR, calendar_ahead, call, kinerja, phases

DEMO = Path(__file__).parents[2] / "deploy" / "demo-roster.csv"
COLUMNS = {"key": 0, "nip": 1, "name": 2, "unit_code": 7, "unit_name": 8, "parent": 9,
           "superior": 10}


def demo_rows() -> list[list[str]]:
    return list(csv.reader(io.StringIO(DEMO.read_text(encoding="utf-8")), delimiter=";"))


def as_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\n").writerows(rows)
    return out.getvalue().encode()


async def import_roster(stack: Stack, rows: list[list[str]]) -> dict[str, Any]:
    response = await stack.http.post(
        "/v1/roster/imports", params={"agency": stack.agency},
        files={"file": ("roster.csv", as_csv(rows), "text/csv")},
        headers=stack.headers(HR, "employee", "hr", agencies=(stack.agency,)))
    assert response.status_code == 200, response.text
    report: dict[str, Any] = response.json()
    return report


async def start_cycle(stack: Stack, members: int) -> str:
    created = await call(stack, "POST", "/v1/cycles", expect=201, body={
        "agency": stack.agency, "year": YEAR, "calendar": calendar_ahead()})
    cycle_id: str = created["cycle"]["id"]
    await call(stack, "POST", f"/v1/cycles/{cycle_id}/start", expect=202)

    async def opened() -> bool:
        cycle = await call(stack, "GET", f"/v1/cycles/{cycle_id}")
        return cycle["state"]["status"] == "running" and \
            len(await phases(stack.pool, cycle_id)) == members
    await poll_async(opened, "every employee of the roster has an appraisal", within=60)
    return cycle_id


# --------------------------------------------------------------------------- formulas

FORMULA_NAMES = {"e-0001": '=HYPERLINK("https://x","klik")', "e-0002": "+1+1",
                 "e-insp1": "-2+3", "e-hr01": "@SUM(1+1)"}


def cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def assert_no_formula(table: list[list[str]]) -> None:
    for line in table:
        for value in line:
            assert not value.startswith(FORMULA_TRIGGERS), (value, line)


async def test_no_exported_cell_starts_a_formula(stack: Stack, database_dsn: str) -> None:
    rows = demo_rows()
    for cells_ in rows[1:]:
        if cells_[COLUMNS["key"]] in FORMULA_NAMES:
            cells_[COLUMNS["name"]] = FORMULA_NAMES[cells_[COLUMNS["key"]]]
        if cells_[COLUMNS["unit_code"]] == "inspektorat":  # a unit code that is a formula
            cells_[COLUMNS["unit_code"]] = "-1-1"
    report = await import_roster(stack, rows)
    assert report["accepted"] == 8
    cycle_id = await start_cycle(stack, 8)

    results = cells(await call(stack, "GET", f"/v1/cycles/{cycle_id}/results.csv"))
    assert_no_formula(results)
    by_key = {line[2]: line for line in results[1:]}
    assert by_key["e-0001"][1] == '\'=HYPERLINK("https://x","klik")'
    assert by_key["e-0002"][1] == "'+1+1"
    assert by_key["e-insp1"][1] == "'-2+3" and by_key["e-insp1"][3] == "'-1-1"
    assert by_key["e-hr01"][1] == "'@SUM(1+1)"
    assert by_key["e-0003"][1] == "Rina Wulandari"  # the others as they were
    for key, name in FORMULA_NAMES.items():  # the quote off gives the name back
        assert by_key[key][1][1:] == name

    progress = cells(await call(stack, "GET", f"/v1/cycles/{cycle_id}/progress.csv"))
    assert_no_formula(progress)
    units = {line[0]: line for line in progress[1:]}
    assert set(units) == {"setda", "diskominfo", "bkpsdm", "'-1-1"}
    assert units["'-1-1"][1] == "2"  # counts are numbers, written as they are

    printed = cells(await kinerja("cycle", "status", cycle_id, "--csv",
                                  database_url=database_dsn))
    assert_no_formula(printed)
    assert {line[0] for line in printed[1:]} == set(units)
