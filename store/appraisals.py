"""The appraisal read model: one summary row per appraisal, written with each append.

The row holds the columns lists filter on (cycle, agency, unit, parties,
phase, predikat, next deadline) and the whole current state as JSON, so that
every read is served from PostgreSQL, in the same transaction as the events
that produced it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from domain.appraisal import Phase
from domain.authorization import Parties, ReadScope
from store.event_log import Statement

_UPSERT = """
INSERT INTO appraisal_summaries (
    appraisal_id, cycle_id, agency, unit, employee, appraiser, superior, phase, predikat,
    next_deadline_kind, next_deadline_at, version, updated_at, state, next_period,
    next_period_due_at, missed_periods, missed_due_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::jsonb, $15, $16,
        $17::smallint[], $18::timestamptz[])
ON CONFLICT (appraisal_id) DO UPDATE SET
    cycle_id = EXCLUDED.cycle_id, agency = EXCLUDED.agency, unit = EXCLUDED.unit,
    employee = EXCLUDED.employee, appraiser = EXCLUDED.appraiser,
    superior = EXCLUDED.superior, phase = EXCLUDED.phase, predikat = EXCLUDED.predikat,
    next_deadline_kind = EXCLUDED.next_deadline_kind,
    next_deadline_at = EXCLUDED.next_deadline_at, version = EXCLUDED.version,
    updated_at = EXCLUDED.updated_at, state = EXCLUDED.state,
    next_period = EXCLUDED.next_period, next_period_due_at = EXCLUDED.next_period_due_at,
    missed_periods = EXCLUDED.missed_periods, missed_due_at = EXCLUDED.missed_due_at
WHERE appraisal_summaries.version < EXCLUDED.version
"""


def summary_write(
    *,
    appraisal_id: str,
    cycle_id: str,
    parties: Parties,
    phase: Phase,
    predikat: str | None,
    next_deadline: tuple[str, datetime] | None,
    version: int,
    state_json: str,
    updated_at: datetime,
    next_period: tuple[int, datetime] | None = None,
    missed_periods: Sequence[tuple[int, datetime]] = (),
) -> Statement:
    """The write of one appraisal's summary row, unless a newer version is already
    stored: run with its events by :meth:`store.event_log.EventLog.append_with`.

    ``state_json`` is the whole state as JSON (``AppraisalState.model_dump_json``),
    passed as text so that it is serialised once, by its writer. ``next_period`` is the
    periodic review now running (``AppraisalState.next_period_deadline``), if any;
    ``missed_periods`` the periods past due and not reviewed, with their due dates
    (``domain.reminders.missed_unreviewed``).
    """
    return Statement(_UPSERT, (
        appraisal_id,
        cycle_id,
        parties.agency,
        parties.unit,
        parties.employee,
        parties.appraiser,
        parties.superior,
        phase.value,
        predikat,
        next_deadline[0] if next_deadline else None,
        next_deadline[1] if next_deadline else None,
        version,
        updated_at,
        state_json,
        next_period[0] if next_period else None,
        next_period[1] if next_period else None,
        [period for period, _ in missed_periods],
        [due for _, due in missed_periods],
    ))


@dataclass(frozen=True)
class AppraisalStateView:
    """An appraisal's stored state as JSON, its policy by name."""

    appraisal_id: str
    version: int
    phase: Phase
    policy: str
    state: dict[str, Any]


@dataclass(frozen=True)
class AppraisalSummary:
    """One row of the read model."""

    appraisal_id: str
    cycle_id: str
    parties: Parties
    phase: Phase
    predikat: str | None
    next_deadline_kind: str | None
    next_deadline_at: datetime | None
    version: int
    updated_at: datetime
    utc_offset_hours: int | None = None
    """The zone of the cycle's calendar (7 WIB, 8 WITA, 9 WIT); None before it has one."""

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> AppraisalSummary:
        return cls(
            appraisal_id=row["appraisal_id"],
            cycle_id=row["cycle_id"],
            parties=Parties(agency=row["agency"], unit=row["unit"], employee=row["employee"],
                            appraiser=row["appraiser"], superior=row["superior"]),
            phase=Phase(row["phase"]),
            predikat=row["predikat"],
            next_deadline_kind=row["next_deadline_kind"],
            next_deadline_at=row["next_deadline_at"],
            version=row["version"],
            updated_at=row["updated_at"],
            utc_offset_hours=row["utc_offset_hours"],
        )


_COLUMNS = """appraisal_id, cycle_id, agency, unit, employee, appraiser, superior, phase,
    predikat, next_deadline_kind, next_deadline_at, version, updated_at, utc_offset_hours"""


class AppraisalReadModel:
    """Reads of the appraisal read model."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def summary(self, appraisal_id: str) -> AppraisalSummary | None:
        row = await self._pool.fetchrow(
            f"SELECT {_COLUMNS} FROM appraisal_summaries WHERE appraisal_id = $1", appraisal_id)
        return AppraisalSummary.from_row(row) if row else None

    async def view(self, appraisal_id: str) -> AppraisalStateView | None:
        """The state as clients see it: the stored JSON without the embedded policy
        (named instead), decoded once and not re-validated (it was validated when
        written)."""
        row = await self._pool.fetchrow(
            "SELECT (state - 'policy')::text AS state, state->'policy'->>'name' AS policy"
            " FROM appraisal_summaries WHERE appraisal_id = $1", appraisal_id)
        if row is None:
            return None
        state = json.loads(row["state"])
        return AppraisalStateView(appraisal_id=appraisal_id, version=state["version"],
                                  phase=Phase(state["phase"]), policy=row["policy"],
                                  state=state)

    async def list(
        self,
        scope: ReadScope,
        *,
        cycle_id: str | None = None,
        unit: str | None = None,
        phase: Phase | None = None,
        employee: str | None = None,
        appraiser: str | None = None,
        superior: str | None = None,
        agency: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[AppraisalSummary]:
        """Summaries visible in ``scope``, filtered, ordered by cycle, unit and appraisal id."""
        conditions: list[str] = []
        args: list[Any] = []

        def arg(value: Any) -> str:
            args.append(value)
            return f"${len(args)}"

        if not scope.all_agencies:
            visible = [f"agency = ANY({arg(list(scope.agencies))}::text[])"]
            if scope.subject is not None and scope.subject_agency is not None:
                subject = arg(scope.subject)
                visible.append(
                    f"agency = {arg(scope.subject_agency)} AND ("
                    f"employee = {subject} OR appraiser = {subject} OR superior = {subject})")
            conditions.append("(" + " OR ".join(f"({v})" for v in visible) + ")")
        for column, value in (("cycle_id", cycle_id), ("unit", unit),
                              ("phase", phase.value if phase else None), ("employee", employee),
                              ("appraiser", appraiser), ("superior", superior),
                              ("agency", agency)):
            if value is not None:
                conditions.append(f"{column} = {arg(value)}")
        where = " AND ".join(conditions) if conditions else "TRUE"
        rows = await self._pool.fetch(
            f"SELECT {_COLUMNS} FROM appraisal_summaries WHERE {where}"
            f" ORDER BY cycle_id, unit, appraisal_id LIMIT {arg(limit)} OFFSET {arg(offset)}",
            *args,
        )
        return [AppraisalSummary.from_row(r) for r in rows]

