"""deploy/demo-roster.csv: the demo organisation of ``kinerja dev`` as an importable roster."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from adapters.roster_files import read_roster_file
from domain.roster import reporting_line, validate_roster
from kinerja.demo import PEOPLE, demo_open_command

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


async def test_kinerja_dev_imports_the_demo_roster_once(app_pool: asyncpg.Pool) -> None:
    from kinerja.demo import AGENCY, seed_demo_roster
    from store.roster import RosterStore

    assert await seed_demo_roster(app_pool) > 0
    snapshot = await RosterStore(app_pool).snapshot(AGENCY)
    assert len(snapshot.roster.employees) == 8 and snapshot.version > 0
    assert await seed_demo_roster(app_pool) == 0  # a second start leaves it alone
    assert (await RosterStore(app_pool).snapshot(AGENCY)).version == snapshot.version
