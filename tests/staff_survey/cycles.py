"""A closed cycle in the read models (its row and its frozen roster), as the cycle's
workflow leaves it when HR closes it: what the staff survey reads."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import asyncpg

from domain.cycle import CycleMember, CycleState, CycleStatus
from store.cycles import CycleStore, cycle_write


async def closed_cycle(pool: asyncpg.Pool, agency: str, year: int, closed_at: datetime,
                       members: Mapping[str, str]) -> str:
    """Cycle ``<agency>-<year>`` closed at ``closed_at`` with ``members`` (employee key to
    unit) in its frozen roster; its id."""
    cycle_id = f"{agency}-{year}"
    await CycleStore(pool).freeze_members(cycle_id, [
        CycleMember(employee=k, unit=u, appraiser=None, superior=None)
        for k, u in members.items()])
    state = CycleState(version=9, cycle_id=cycle_id, agency=agency, year=year,
                       status=CycleStatus.CLOSED, closed_at=closed_at,
                       members=len(members))
    write = cycle_write(state, datetime.now(UTC))
    await pool.execute(write.sql, *write.args)
    return cycle_id
