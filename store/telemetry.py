"""The figures the metrics read from PostgreSQL at scrape time: the sealer's lag and the
progress of the cycles still running. One snapshot, read-only, with a statement timeout."""

from __future__ import annotations

from dataclasses import dataclass, field

import asyncpg

_LAST_SEALED = "SELECT tx_id, stream_id, version FROM seals ORDER BY seq DESC LIMIT 1"
_BACKLOG = """
SELECT count(*) AS n,
       coalesce(greatest(0, extract(epoch FROM now() - min(recorded_at))), 0) AS oldest_age
FROM events
WHERE (tx_id, stream_id, version) > ($1::xid8, $2::text, $3::integer)
"""
_CHECKPOINT = """
SELECT (SELECT count(*) FROM seals) AS tree_size,
       (SELECT extract(epoch FROM now() - max(signed_at)) FROM checkpoints) AS checkpoint_age
"""
_CYCLES = "SELECT agency, status, count(*) AS n FROM cycles GROUP BY agency, status"
_CYCLE_MEMBERS = """
SELECT c.agency, c.cycle_id, count(m.seq) AS n
FROM cycles c LEFT JOIN cycle_members m ON m.cycle_id = c.cycle_id
WHERE c.status <> 'closed' GROUP BY c.agency, c.cycle_id
"""
_CYCLE_PHASES = """
SELECT c.agency, c.cycle_id, s.phase, count(*) AS n
FROM cycles c JOIN appraisal_summaries s ON s.cycle_id = c.cycle_id
WHERE c.status <> 'closed' GROUP BY c.agency, c.cycle_id, s.phase
"""
_CYCLE_OVERDUE = """
SELECT c.agency, c.cycle_id, count(s.appraisal_id) AS n
FROM cycles c LEFT JOIN appraisal_summaries s
  ON s.cycle_id = c.cycle_id AND s.next_deadline_at < now()
WHERE c.status <> 'closed' GROUP BY c.agency, c.cycle_id
"""
"""Only cycles not closed: the labels stay bounded by the running cycles (one per agency
and year), not by history."""


@dataclass(frozen=True)
class Gauges:
    unsealed_events: int
    oldest_unsealed_age_seconds: float
    tree_size: int
    last_checkpoint_age_seconds: float | None
    cycles: list[tuple[str, str, int]] = field(default_factory=list)
    """(agency, status, count)"""
    members: list[tuple[str, str, int]] = field(default_factory=list)
    """(agency, cycle, members) of running cycles"""
    phases: list[tuple[str, str, str, int]] = field(default_factory=list)
    """(agency, cycle, phase, appraisals) of running cycles"""
    overdue: list[tuple[str, str, int]] = field(default_factory=list)
    """(agency, cycle, appraisals past their next deadline) of running cycles"""


async def read_gauges(pool: asyncpg.Pool, *, statement_timeout: float, cycles: bool = True
                      ) -> Gauges:
    async with pool.acquire(timeout=statement_timeout) as connection, \
            connection.transaction(isolation="repeatable_read", readonly=True):
        await connection.execute(
            f"SET LOCAL statement_timeout = {int(statement_timeout * 1000)}")
        last = await connection.fetchrow(_LAST_SEALED)
        backlog = await connection.fetchrow(
            _BACKLOG, *((last["tx_id"], last["stream_id"], last["version"])
                        if last else (0, "", 0)))
        seal = await connection.fetchrow(_CHECKPOINT)
        age = seal["checkpoint_age"]
        gauges = Gauges(unsealed_events=int(backlog["n"]),
                        oldest_unsealed_age_seconds=float(backlog["oldest_age"]),
                        tree_size=int(seal["tree_size"]),
                        last_checkpoint_age_seconds=float(age) if age is not None else None)
        if not cycles:
            return gauges
        return Gauges(
            unsealed_events=gauges.unsealed_events,
            oldest_unsealed_age_seconds=gauges.oldest_unsealed_age_seconds,
            tree_size=gauges.tree_size,
            last_checkpoint_age_seconds=gauges.last_checkpoint_age_seconds,
            cycles=[(r["agency"], r["status"], int(r["n"]))
                    for r in await connection.fetch(_CYCLES)],
            members=[(r["agency"], r["cycle_id"], int(r["n"]))
                     for r in await connection.fetch(_CYCLE_MEMBERS)],
            phases=[(r["agency"], r["cycle_id"], r["phase"], int(r["n"]))
                    for r in await connection.fetch(_CYCLE_PHASES)],
            overdue=[(r["agency"], r["cycle_id"], int(r["n"]))
                     for r in await connection.fetch(_CYCLE_OVERDUE)])
