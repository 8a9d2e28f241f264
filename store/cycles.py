"""Cycles in PostgreSQL: the cycle read model, the frozen roster, and progress.

Progress is read from the appraisal read model (``appraisal_summaries``), which
every appraisal writes in the same transaction as its events: counts per unit
and phase, who is overdue on which deadline, and the predikat distribution.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import asyncpg

from domain.appraisal import DeadlineKind, Phase
from domain.appraisal.cascading import StaffSkp
from domain.cycle import CycleMember, CycleState, OpenAppraisalOf, roster_digest
from domain.policy import FunctionalLevel
from domain.ratings import Predikat
from domain.roster import RosterEvent
from domain.roster.events import event_from_data
from domain.skp import Skp
from store.event_log import EventLog, Statement
from store.roster import roster_stream

_UPSERT_CYCLE = """
INSERT INTO cycles (cycle_id, agency, year, status, version, updated_at, state)
VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)
ON CONFLICT (cycle_id) DO UPDATE SET
    status = EXCLUDED.status, version = EXCLUDED.version, updated_at = EXCLUDED.updated_at,
    state = EXCLUDED.state
WHERE cycles.version < EXCLUDED.version
"""


def cycle_write(state: CycleState, updated_at: datetime) -> Statement:
    """The write of the cycle's row unless a newer version is already stored: run with
    its events by :meth:`store.event_log.EventLog.append_with`."""
    assert state.cycle_id is not None and state.status is not None
    return Statement(_UPSERT_CYCLE, (state.cycle_id, state.agency, state.year,
                                     state.status.value, state.version, updated_at,
                                     state.model_dump_json()))


@dataclass(frozen=True)
class FrozenRoster:
    """A cycle's roster as frozen: its digest, its size and its units."""

    digest: str
    members: int
    units: tuple[str, ...]


@dataclass(frozen=True)
class UnitPhaseCount:
    unit: str
    phase: Phase
    count: int


@dataclass(frozen=True)
class Overdue:
    appraisal_id: str
    employee: str
    unit: str
    phase: Phase
    deadline: DeadlineKind
    due_at: datetime
    appraiser: str | None = None
    """The appraiser's key (None for the top of the agency: HR appraises)."""


@dataclass(frozen=True)
class OverduePeriod:
    """A periodic review (penilaian kinerja periodik) past its due date and not given."""

    appraisal_id: str
    employee: str
    unit: str
    period: int
    """The period's number in the cycle's year (its policy says quarters or months)."""
    due_at: datetime
    appraiser: str | None = None


@dataclass(frozen=True)
class CycleProgress:
    """A cycle's progress at ``as_of``."""

    as_of: datetime
    total: int
    by_unit_phase: list[UnitPhaseCount]
    overdue: list[Overdue]
    overdue_counts: dict[DeadlineKind, int]
    overdue_by_unit: dict[str, dict[DeadlineKind, int]]
    distribution: dict[str, dict[Predikat, int]] = field(default_factory=dict)
    """Predikat per unit, of every appraisal reviewed and not cancelled."""
    overdue_periods: list[OverduePeriod] = field(default_factory=list)
    """Periodic reviews past due and not given (the first ``overdue_limit``, by unit,
    oldest due date first)."""
    overdue_periods_by_unit: dict[str, int] = field(default_factory=dict)
    """How many periodic reviews are overdue per unit (all of them)."""

    def table(self) -> list[list[str | int]]:
        """One row per unit: total, count per phase, overdue per deadline, count per predikat
        (the header and unit codes as text, the counts as numbers: write it through
        ``domain.spreadsheet.row``)."""
        phases = [p for p in Phase if p is not Phase.NOT_OPENED]
        units: dict[str, dict[str, int]] = {}
        for count in self.by_unit_phase:
            units.setdefault(count.unit, {})[count.phase.value] = count.count
        overdue = self.overdue_by_unit
        header = ["unit", "total", *[p.value for p in phases],
                  *[f"overdue_{d.value}" for d in DeadlineKind], "overdue_period_review",
                  *[p.value for p in Predikat]]
        table: list[list[str | int]] = [list(header)]
        for unit in sorted(units):
            counts = units[unit]
            spread = self.distribution.get(unit, {})
            table.append([unit, sum(counts.values()),
                          *[counts.get(p.value, 0) for p in phases],
                          *[overdue.get(unit, {}).get(d, 0) for d in DeadlineKind],
                          self.overdue_periods_by_unit.get(unit, 0),
                          *[spread.get(p, 0) for p in Predikat]])
        return table


@dataclass(frozen=True)
class CycleAppraisal:
    appraisal_id: str
    is_unit_leader: bool


@dataclass(frozen=True)
class ResultRow:
    appraisal_id: str
    employee: str
    unit: str
    phase: Phase
    predikat: Predikat | None
    member: CycleMember
    opened_at: datetime | None = None
    """When the appraisal was opened (None: no appraisal)."""
    functional_level: FunctionalLevel | None = None
    """The level the appraisal was opened with (after a transfer, the new position's)."""


# The periodic reviews past due and not given, of the appraisals in the year's work
# (self-report and review, where a period may still be reviewed late): the periods whose
# deadline was recorded as passed and that are not reviewed (``missed_periods``, with
# ``missed_due_at``), and the running one once its due date is behind ``$3`` (before the
# workflow's timer recorded it). Columns only: no stored state is read.
_OVERDUE_PERIODS = """
SELECT s.appraisal_id, s.employee, s.unit, s.appraiser, p.period, p.due_at
FROM appraisal_summaries s
CROSS JOIN LATERAL (
    SELECT m.period::int AS period, m.due_at
    FROM unnest(s.missed_periods, s.missed_due_at) AS m(period, due_at)
    UNION ALL
    SELECT s.next_period, s.next_period_due_at WHERE s.next_period_due_at < $3
) AS p
WHERE s.cycle_id = $1 AND ($2::text IS NULL OR s.unit = $2)
  AND s.phase IN ('self_report', 'review')
  AND (s.missed_periods <> '{}' OR s.next_period_due_at < $3)
"""


class CycleStore:
    """Reads and the roster freeze of cycles."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def freeze_members(self, cycle_id: str, members: Sequence[CycleMember]
                             ) -> FrozenRoster:
        """Freeze ``members`` as the cycle's roster, once: a second call returns what the
        first froze (so a retried start freezes nothing new)."""
        async with self._pool.acquire() as connection, connection.transaction():
            await connection.execute("SELECT pg_advisory_xact_lock(hashtext($1))",
                                     f"freeze:{cycle_id}")
            stored = await connection.fetchval(
                "SELECT count(*) FROM cycle_members WHERE cycle_id = $1", cycle_id)
            if not stored:
                await connection.copy_records_to_table(
                    "cycle_members",
                    columns=["cycle_id", "seq", "employee", "unit", "member"],
                    records=[(cycle_id, seq, m.employee, m.unit, m.model_dump_json())
                             for seq, m in enumerate(sorted(members, key=lambda m: m.employee))])
        frozen = await self.members(cycle_id) if stored else members
        return FrozenRoster(digest=roster_digest(frozen), members=len(frozen),
                            units=tuple(sorted({m.unit for m in frozen})))

    async def members(self, cycle_id: str, *, unit: str | None = None, offset: int = 0,
                      limit: int | None = None) -> list[CycleMember]:
        """The frozen members in their stable order (by employee key), optionally one unit's."""
        rows = await self._pool.fetch(
            "SELECT member::text FROM cycle_members WHERE cycle_id = $1"
            " AND ($2::text IS NULL OR unit = $2) ORDER BY seq OFFSET $3 LIMIT $4",
            cycle_id, unit, offset, limit)
        return [CycleMember.model_validate_json(r[0]) for r in rows]

    async def appraisals(self, cycle_id: str, *, unit: str | None = None, offset: int = 0,
                         limit: int | None = None) -> list[CycleAppraisal]:
        """The cycle's appraisals (of ``unit``), ordered by id: what a broadcast pages over."""
        rows = await self._pool.fetch(
            "SELECT appraisal_id, (state->>'is_unit_leader')::boolean AS leader"
            " FROM appraisal_summaries WHERE cycle_id = $1 AND ($2::text IS NULL OR unit = $2)"
            " ORDER BY appraisal_id OFFSET $3 LIMIT $4", cycle_id, unit, offset, limit)
        return [CycleAppraisal(r["appraisal_id"], bool(r["leader"])) for r in rows]

    async def open_appraisals(self, cycle_id: str) -> tuple[list[OpenAppraisalOf], set[str]]:
        """The cycle's appraisals neither final nor cancelled, and every appraisal id."""
        rows = await self._pool.fetch(
            "SELECT appraisal_id, employee, unit, appraiser, superior, phase"
            " FROM appraisal_summaries WHERE cycle_id = $1", cycle_id)
        return ([OpenAppraisalOf(appraisal_id=r["appraisal_id"], employee=r["employee"],
                                 unit=r["unit"], appraiser=r["appraiser"],
                                 superior=r["superior"])
                 for r in rows if r["phase"] not in ("final", "cancelled")],
                {r["appraisal_id"] for r in rows})

    async def state(self, cycle_id: str) -> CycleState | None:
        raw = await self._pool.fetchval("SELECT state::text FROM cycles WHERE cycle_id = $1",
                                        cycle_id)
        return CycleState.model_validate_json(raw) if raw else None

    async def unit_calibrated(self, cycle_id: str, unit: str) -> bool:
        """Whether ``unit`` of the cycle has been released with its calibration passed
        (released, and without an exception reason); False for an unknown cycle or unit."""
        found = await self._pool.fetchval(
            "SELECT (state->'units'->$2->>'released_at') IS NOT NULL"
            " AND (state->'units'->$2->>'release_exception_reason') IS NULL"
            " FROM cycles WHERE cycle_id = $1", cycle_id, unit)
        return bool(found)

    async def list(self, agencies: Sequence[str] | None) -> list[CycleState]:
        """Cycles of ``agencies`` (None: every agency), newest year first."""
        rows = await self._pool.fetch(
            "SELECT state::text FROM cycles WHERE $1::text[] IS NULL OR agency = ANY($1)"
            " ORDER BY year DESC, agency", list(agencies) if agencies is not None else None)
        return [CycleState.model_validate_json(r[0]) for r in rows]

    async def progress(self, cycle_id: str, as_of: datetime, *, unit: str | None = None,
                       overdue_limit: int = 1000) -> CycleProgress:
        """Counts per unit and phase, overdue appraisals (first ``overdue_limit``, oldest
        deadline first, with a count per deadline), and the predikat distribution."""
        async with self._pool.acquire() as connection, connection.transaction(
                isolation="repeatable_read", readonly=True):
            groups = await connection.fetch(  # one pass over the cycle's rows
                "SELECT unit, phase, predikat, next_deadline_kind AS kind,"
                " next_deadline_at < $3 AS overdue, count(*) AS n FROM appraisal_summaries"
                " WHERE cycle_id = $1 AND ($2::text IS NULL OR unit = $2)"
                " GROUP BY 1, 2, 3, 4, 5", cycle_id, unit, as_of)
            overdue = await connection.fetch(
                "SELECT appraisal_id, employee, unit, phase, next_deadline_kind,"
                " next_deadline_at, appraiser FROM appraisal_summaries"
                " WHERE cycle_id = $1 AND ($2::text IS NULL OR unit = $2)"
                " AND next_deadline_at < $3 ORDER BY next_deadline_at, appraisal_id LIMIT $4",
                cycle_id, unit, as_of, overdue_limit) if overdue_limit else []
            period_counts = await connection.fetch(
                f"SELECT unit, count(*) AS n FROM ({_OVERDUE_PERIODS}) o GROUP BY unit",
                cycle_id, unit, as_of)
            periods = await connection.fetch(
                f"{_OVERDUE_PERIODS} ORDER BY unit, due_at, appraisal_id, period LIMIT $4",
                cycle_id, unit, as_of, overdue_limit) if overdue_limit else []
        phases: dict[tuple[str, str], int] = {}
        distribution: dict[str, dict[Predikat, int]] = {}
        overdue_by_unit: dict[str, dict[DeadlineKind, int]] = {}
        totals: dict[DeadlineKind, int] = {}
        for row in groups:
            key = (row["unit"], row["phase"])
            phases[key] = phases.get(key, 0) + row["n"]
            if row["predikat"] is not None and row["phase"] != "cancelled":
                spread = distribution.setdefault(row["unit"], {})
                predikat = Predikat(row["predikat"])
                spread[predikat] = spread.get(predikat, 0) + row["n"]
            if row["overdue"]:
                kind = DeadlineKind(row["kind"])
                late = overdue_by_unit.setdefault(row["unit"], {})
                late[kind] = late.get(kind, 0) + row["n"]
                totals[kind] = totals.get(kind, 0) + row["n"]
        by_unit_phase = [UnitPhaseCount(u, Phase(ph), n) for (u, ph), n in sorted(phases.items())]
        return CycleProgress(
            as_of=as_of,
            total=sum(c.count for c in by_unit_phase),
            by_unit_phase=by_unit_phase,
            overdue=[Overdue(r["appraisal_id"], r["employee"], r["unit"], Phase(r["phase"]),
                             DeadlineKind(r["next_deadline_kind"]), r["next_deadline_at"],
                             r["appraiser"])
                     for r in overdue],
            overdue_counts=totals,
            overdue_by_unit=overdue_by_unit,
            distribution=distribution,
            overdue_periods=[OverduePeriod(r["appraisal_id"], r["employee"], r["unit"],
                                           r["period"], r["due_at"], r["appraiser"])
                             for r in periods],
            overdue_periods_by_unit={r["unit"]: r["n"] for r in period_counts},
        )

    async def unit_predikat(self, cycle_id: str, unit: str) -> list[Predikat]:
        """The predikat of the unit's reviewed appraisals that are not cancelled."""
        rows = await self._pool.fetch(
            "SELECT predikat FROM appraisal_summaries WHERE cycle_id = $1 AND unit = $2"
            " AND predikat IS NOT NULL AND phase <> 'cancelled'", cycle_id, unit)
        return [Predikat(r[0]) for r in rows]

    async def tally(self, cycle_id: str) -> tuple[int, dict[str, dict[Predikat, int]]]:
        """(appraisals neither final nor cancelled, final predikat counts per unit)."""
        rows = await self._pool.fetch(
            "SELECT unit, phase, predikat, count(*) AS n FROM appraisal_summaries"
            " WHERE cycle_id = $1 GROUP BY unit, phase, predikat", cycle_id)
        open_count = sum(r["n"] for r in rows if r["phase"] not in ("final", "cancelled"))
        distribution: dict[str, dict[Predikat, int]] = {}
        for r in rows:
            if r["phase"] == "final" and r["predikat"] is not None:
                distribution.setdefault(r["unit"], {})[Predikat(r["predikat"])] = r["n"]
        return open_count, distribution

    async def results(self, cycle_id: str) -> list[ResultRow]:
        """One row per frozen member with its appraisal's phase and predikat, by unit."""
        rows = await self._pool.fetch(
            "SELECT m.member::text AS member, s.appraisal_id, s.phase, s.predikat,"
            " s.unit, s.state->>'opened_at' AS opened_at,"
            " s.state->>'functional_level' AS level"
            " FROM cycle_members m LEFT JOIN appraisal_summaries s"
            " ON s.cycle_id = m.cycle_id AND s.employee = m.employee"
            " WHERE m.cycle_id = $1 ORDER BY m.unit, m.employee, s.appraisal_id", cycle_id)
        results = []
        for r in rows:
            member = CycleMember.model_validate_json(r["member"])
            results.append(ResultRow(
                appraisal_id=r["appraisal_id"] or "", employee=member.employee,
                unit=r["unit"] or member.unit, phase=Phase(r["phase"] or "not_opened"),
                predikat=Predikat(r["predikat"]) if r["predikat"] else None, member=member,
                opened_at=datetime.fromisoformat(r["opened_at"]) if r["opened_at"] else None,
                functional_level=FunctionalLevel(r["level"]) if r["level"] else None))
        return results

    async def approved_rhk(self, cycle_id: str, employees: Sequence[str]
                           ) -> dict[str, dict[str, str]]:
        """The RHK (id to description) of each employee's approved SKP (approved or set by
        HR) in the cycle, by key; one without an approved SKP is left out. A cancelled
        appraisal's SKP is not theirs any more; of two, the later one counts."""
        rows = await self._pool.fetch(
            "SELECT employee, state->'skp'->'rhk' AS rhk FROM appraisal_summaries"
            " WHERE cycle_id = $1 AND employee = ANY($2::text[]) AND phase <> 'cancelled'"
            " AND state->>'targets_status' IN ('approved', 'set_by_hr')"
            " ORDER BY updated_at", cycle_id, list(employees))
        return {r["employee"]: {rhk["id"]: rhk["description"] for rhk in json.loads(r["rhk"])}
                for r in rows}

    async def unit_skps(self, cycle_id: str, unit: str) -> list[StaffSkp]:
        """The SKP of every appraisal of ``unit`` that is not cancelled, with the links
        recorded at its approval: what the unit's Matriks Peran Hasil shows."""
        rows = await self._pool.fetch(
            "SELECT appraisal_id, employee, appraiser, state->>'targets_status' AS status,"
            " state->'skp' AS skp, state->'approved_links' AS links"
            " FROM appraisal_summaries WHERE cycle_id = $1 AND unit = $2"
            " AND phase <> 'cancelled' ORDER BY employee, appraisal_id", cycle_id, unit)
        return [StaffSkp(
            appraisal_id=r["appraisal_id"], employee=r["employee"], appraiser=r["appraiser"],
            targets_status=r["status"] or "none",
            skp=Skp.model_validate_json(r["skp"]) if r["skp"] and r["skp"] != "null" else None,
            approved_links=json.loads(r["links"]) if r["links"] else None) for r in rows]

    async def roster_changes(self, agency: str, after: datetime
                             ) -> list[tuple[datetime, RosterEvent]]:
        """The agency's roster events recorded after ``after`` (a cycle's start), each
        with the moment it was recorded: what the months served are counted from."""
        stored = await EventLog(self._pool).read_stream(roster_stream(agency))
        return [(e.recorded_at, event_from_data(e.type, e.data)) for e in stored
                if e.recorded_at > after]
