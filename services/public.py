"""Use cases of the public's voice (the satisfaction survey, PermenPAN-RB 14/2017): HR
defines the units that serve the public and their services; anyone answers a unit's
survey; HR, inspectors and the unit's head read its results per period."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from domain.authorization import Actor
from domain.spreadsheet import Cell
from domain.survey import (
    ELEMENTS,
    SKM_14_2017,
    PublicService,
    SurveyResponse,
    SurveyResult,
    compute,
    period_of,
)
from domain.survey.access import may_define_units, may_read_results
from services.errors import Broken, Forbidden, Invalid, NotFound
from store.public import PublicStore, PublicUnit


@dataclass(frozen=True)
class UnitResults:
    unit: PublicUnit
    period: str
    result: SurveyResult


UNIT_CACHE_SECONDS = 10.0
"""How long a process serves a unit's public face (name, services) from memory: the
survey form and its submission read it on every request, and it changes rarely (HR
defining the unit in this process forgets it at once; another API process sees the
change within this many seconds)."""


class PublicVoiceService:
    def __init__(self, store: PublicStore, *, utc_offset_hours: int = 7,
                 unit_cache_seconds: float = UNIT_CACHE_SECONDS) -> None:
        self._store = store
        self._offset = utc_offset_hours
        self._cache_seconds = unit_cache_seconds
        self._units: dict[tuple[str, str], tuple[float, PublicUnit]] = {}

    async def define_unit(self, actor: Actor, agency: str, unit: str, name: str,
                          services: Sequence[PublicService], population: int | None
                          ) -> PublicUnit:
        """Create or change a unit that serves the public (HR of the agency)."""
        if not may_define_units(actor, agency):
            raise Forbidden("only HR of the agency may define the units that serve the public")
        keys = [s.key for s in services]
        if len(set(keys)) != len(keys):
            raise Invalid("validation", "The request breaks a rule",
                          "each service key once", [Broken("services", "duplicate",
                                                           "each service key once")])
        defined = PublicUnit(agency=agency, unit=unit, name=name, population=population,
                             services=tuple(services), updated_at=datetime.now(UTC))
        await self._store.save_unit(defined, actor.subject)
        self._units.pop((agency, unit), None)
        return defined

    async def units(self, agency: str) -> list[PublicUnit]:
        return await self._store.units(agency)

    async def unit(self, agency: str, unit: str) -> PublicUnit:
        """A unit's public face (no sign-in): from memory for ``UNIT_CACHE_SECONDS``; an
        unknown unit is asked for every time."""
        key = (agency, unit)
        now = time.monotonic()
        cached = self._units.get(key)
        if cached is not None and now - cached[0] < self._cache_seconds:
            return cached[1]
        found = await self._store.unit(agency, unit)
        if found is None:
            self._units.pop(key, None)
            raise NotFound("public unit")
        if len(self._units) >= 10_000:
            self._units.clear()
        self._units[key] = (now, found)
        return found

    def period_now(self, now: datetime | None = None) -> str:
        return period_of(now or datetime.now(UTC), self._offset)

    async def submit(self, agency: str, unit: str, response: SurveyResponse,
                     response_id: uuid.UUID, now: datetime | None = None) -> bool:
        """Record one anonymous response; False when this response id was recorded before
        (the same form sent twice)."""
        found = await self.unit(agency, unit)
        if response.service not in {s.key for s in found.services}:
            raise Invalid("validation", "The request breaks a rule",
                          "the unit offers no such service",
                          [Broken("service", "unknown_service",
                                  "choose one of the unit's services")])
        moment = now or datetime.now(UTC)
        return await self._store.add_response(response_id, agency, unit,
                                              period_of(moment, self._offset), response,
                                              moment)

    async def _readable(self, actor: Actor, agency: str, unit: str) -> PublicUnit:
        found = await self._store.unit(agency, unit)
        leader = await self._store.unit_leader(agency, unit)
        if found is None or not may_read_results(actor, agency, leader):
            raise NotFound("public unit")
        return found

    async def results(self, actor: Actor, agency: str, unit: str, period: str
                      ) -> UnitResults:
        """NRR per element, IKM, category and the sample against its minimum."""
        found = await self._readable(actor, agency, unit)
        tally = await self._store.tally(agency, unit, period)
        return UnitResults(found, period, compute(tally, SKM_14_2017,
                                                  population=found.population))

    async def trend(self, actor: Actor, agency: str, unit: str) -> list[UnitResults]:
        """The results of every period with responses, oldest first."""
        found = await self._readable(actor, agency, unit)
        return [UnitResults(found, period, compute(
                    await self._store.tally(agency, unit, period), SKM_14_2017,
                    population=found.population))
                for period, _ in await self._store.periods(agency, unit)]


RESULTS_HEADER: list[Cell] = ["agency", "unit", "unit_name", "period", "element", "answers",
                              "value", "nrr_weighted"]
"""One row per element (``value``: its NRR), then ``ikm`` (the index), ``category`` and
``minimum_sample`` (``answers``: the respondents)."""


def results_rows(results: UnitResults) -> list[list[Cell]]:
    """The CSV rows of a period's results: one per element, then the index."""
    unit, result = results.unit, results.result
    head: list[Cell] = [unit.agency, unit.unit, unit.name, results.period]
    rows: list[list[Cell]] = [
        [*head, e.element.value, e.answers, e.nrr,
         e.weighted] for e in result.elements]
    rows.append([*head, "ikm", result.respondents,
                 result.ikm, None])
    rows.append([*head, "category", result.respondents,
                 result.category.value if result.category else None, None])
    rows.append([*head, "minimum_sample",
                 result.respondents, result.minimum_sample, None])
    return rows


__all__ = ["ELEMENTS", "RESULTS_HEADER", "PublicVoiceService", "UnitResults", "results_csv",
           "results_rows"]


def results_csv(results: UnitResults) -> str:
    """The period's results as CSV text, every text cell neutralised against formula
    injection (``domain.spreadsheet``: unit and agency are text HR typed)."""
    import csv
    import io

    from domain.spreadsheet import row

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(row(RESULTS_HEADER))
    writer.writerows(row(r) for r in results_rows(results))
    return buffer.getvalue()
