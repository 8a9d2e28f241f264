"""deploy/demo-roster.csv: the demo organisation of ``kinerja dev`` as an importable roster."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from domain.roster import reporting_line, validate_roster
from kinerja.demo import PEOPLE, demo_open_command
from kinerja.roster_files import read_roster_file

DEMO_ROSTER = Path(__file__).parents[2] / "deploy" / "demo-roster.csv"


def test_the_demo_roster_is_clean_and_matches_the_demo_people() -> None:
    check = validate_roster(read_roster_file(DEMO_ROSTER).rows)
    assert check.clean, check.rejected
    roster = check.roster
    assert {p.key for p in PEOPLE} <= set(roster.employees)
    parties = demo_open_command(datetime.now(UTC)).parties
    line = reporting_line(roster, parties.employee)
    assert (line.appraiser, line.superior) == (parties.appraiser, parties.superior)
    assert roster.employees[parties.employee].unit == parties.unit
    assert roster.units["diskominfo"].leader == parties.superior
