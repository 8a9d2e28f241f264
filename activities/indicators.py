"""The indicators workflow's activity: at the end of a cycle's year, measure every
indicator bound to a source in the cycle's appraisals (self-report or review) and send
each appraisal its realisations through :class:`workflows.appraisal.client.AppraisalClient`,
as the system. Idempotent: the request id is the year's, so Temporal answers a repeated
update with its first result, and a later one is refused by the appraisal (measured
already) and counted as recorded."""

from __future__ import annotations

import asyncio

import asyncpg
from temporalio import activity
from temporalio.client import Client

from domain.appraisal import CommandRefused
from domain.appraisal.commands import RecordMeasurements
from domain.authorization import SYSTEM_ACTOR
from domain.indicators import ComplaintFigures, measure, period_bounds
from domain.policy import MEASURED_INDICATORS
from domain.skp import MeasuredRealisation, SourceKind
from domain.survey import Tally
from store.indicators import BoundAppraisal, IndicatorStore
from workflows.appraisal.client import (
    AppraisalClient,
    AppraisalEnded,
    AppraisalNotFound,
)
from workflows.indicators.contract import MeasureCycle, MeasureOutcome

PAGE = 200
CONCURRENCY = 16
"""Appraisals sent their measurements at once (as the cycle's pages do)."""


class IndicatorActivities:
    def __init__(self, pool: asyncpg.Pool, client: Client, *, task_queue: str) -> None:
        self._store = IndicatorStore(pool)
        self._appraisals = AppraisalClient(client, task_queue)

    @activity.defn
    async def measure_cycle_indicators(self, request: MeasureCycle) -> MeasureOutcome:
        start, end = period_bounds(request.year, request.utc_offset_hours)
        surveys: dict[str, Tally] = {}
        complaints: dict[str, ComplaintFigures] = {}

        async def survey(unit: str) -> Tally:
            if unit not in surveys:
                surveys[unit] = await self._store.survey_tally(
                    request.agency, unit, [f"{request.year}-S1", f"{request.year}-S2"])
            return surveys[unit]

        async def complaint(unit: str) -> ComplaintFigures:
            if unit not in complaints:
                complaints[unit] = await self._store.complaint_figures(
                    request.agency, unit, MEASURED_INDICATORS.complaint_kinds, start, end, end)
            return complaints[unit]

        async def measurements(row: BoundAppraisal) -> list[MeasuredRealisation]:
            found = []
            for indicator in row.skp.bound_indicators():
                assert indicator.source is not None
                unit = indicator.source.unit or row.unit
                if indicator.source.kind is SourceKind.UNIT_IKM:
                    found.append(measure(indicator.id, indicator.source, unit, request.year,
                                         survey=await survey(unit)))
                else:
                    found.append(measure(indicator.id, indicator.source, unit, request.year,
                                         complaints=await complaint(unit)))
            return found

        async def send(row: BoundAppraisal) -> bool:
            """Whether the appraisal holds its measurements (now, or from an earlier try)."""
            command = RecordMeasurements(measurements=tuple(await measurements(row)))
            try:
                await self._appraisals.send(row.appraisal_id, command, SYSTEM_ACTOR,
                                            f"measured-{request.year}")
            except CommandRefused as refused:
                return _measured_already(refused)  # else: reviewed already, or SKP changed
            except (AppraisalEnded, AppraisalNotFound):
                return False
            return True

        recorded = skipped = 0
        after = ""
        while page := await self._store.bound_appraisals(request.cycle_id, after, PAGE):
            for first in range(0, len(page), CONCURRENCY):
                chunk = page[first:first + CONCURRENCY]
                done = await asyncio.gather(*(send(row) for row in chunk))
                recorded += sum(done)
                skipped += len(done) - sum(done)
                activity.heartbeat(chunk[-1].appraisal_id)
            after = page[-1].appraisal_id
        activity.logger.info("measured indicators of %s: %d recorded, %d skipped",
                             request.cycle_id, recorded, skipped)
        return MeasureOutcome(recorded=recorded, skipped=skipped)


def _measured_already(refused: CommandRefused) -> bool:
    """The appraisal's refusal of a measurement it holds already (``domain.appraisal.measured``)."""
    return refused.code == "phase" and (refused.field or "").startswith("measurements[")
