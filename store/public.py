"""The public's voice in PostgreSQL: the units that serve the public, and the responses
to their satisfaction survey. Each response is one event in a stream of its own
(``survey-<agency>-<unit>-<response id>``: chained, sealed and verified like every
event) written in the same statement as its row of ``survey_responses``, the read model
the index is counted from (append-only too: ``0070_public_survey.sql``)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from domain.survey import (
    ELEMENTS,
    SURVEY_RESPONDED,
    PublicService,
    SurveyResponse,
    Tally,
    response_data,
    survey_stream,
)
from store.event_log import ConcurrencyConflict, EventLog, NewEvent, Statement

_COLUMNS = tuple(f"u{i}" for i in range(1, len(ELEMENTS) + 1))
"""One column per element, in the regulation's order (U1..U9)."""


@dataclass(frozen=True)
class PublicUnit:
    agency: str
    unit: str
    name: str
    population: int | None
    services: tuple[PublicService, ...]
    updated_at: datetime


_UPSERT_UNIT = """
INSERT INTO public_units (agency, unit, name, population, services, updated_at, updated_by)
VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7)
ON CONFLICT (agency, unit) DO UPDATE SET
    name = EXCLUDED.name, population = EXCLUDED.population, services = EXCLUDED.services,
    updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by
"""

_UNIT = """
SELECT agency, unit, name, population, services, updated_at FROM public_units
WHERE agency = $1 AND unit = $2
"""

_UNITS = """
SELECT agency, unit, name, population, services, updated_at FROM public_units
WHERE agency = $1 ORDER BY unit
"""

_INSERT_RESPONSE = f"""
INSERT INTO survey_responses (response_id, agency, unit, period, service, submitted_at,
    {", ".join(_COLUMNS)}, age_group, sex, education, occupation, comment)
VALUES ($1, $2, $3, $4, $5, $6, {", ".join(f"${i}" for i in range(7, 16))},
        $16, $17, $18, $19, $20)
ON CONFLICT (response_id) DO NOTHING
RETURNING 1
"""

_TALLY = f"""
SELECT count(*) AS respondents, {", ".join(f"coalesce(sum({c}), 0) AS {c}" for c in _COLUMNS)}
FROM survey_responses WHERE agency = $1 AND unit = $2 AND period = $3
"""

_PERIODS = """
SELECT period, count(*) AS respondents FROM survey_responses
WHERE agency = $1 AND unit = $2 GROUP BY period ORDER BY period
"""

_LEADER = "SELECT leader FROM roster_units WHERE agency = $1 AND code = $2"


def _unit(row: asyncpg.Record) -> PublicUnit:
    return PublicUnit(agency=row["agency"], unit=row["unit"], name=row["name"],
                      population=row["population"],
                      services=tuple(PublicService.model_validate(s)
                                     for s in json.loads(row["services"])),
                      updated_at=row["updated_at"])


class PublicStore:
    def __init__(self, pool: asyncpg.Pool, event_log: EventLog | None = None) -> None:
        self._pool = pool
        self._log = event_log or EventLog(pool)

    async def save_unit(self, unit: PublicUnit, actor: str) -> None:
        await self._pool.execute(
            _UPSERT_UNIT, unit.agency, unit.unit, unit.name, unit.population,
            json.dumps([s.model_dump() for s in unit.services]), unit.updated_at, actor)

    async def unit(self, agency: str, unit: str) -> PublicUnit | None:
        row = await self._pool.fetchrow(_UNIT, agency, unit)
        return _unit(row) if row else None

    async def units(self, agency: str) -> list[PublicUnit]:
        return [_unit(r) for r in await self._pool.fetch(_UNITS, agency)]

    async def unit_leader(self, agency: str, unit: str) -> str | None:
        """The key of the unit's leader in the agency's roster (the unit head)."""
        leader: str | None = await self._pool.fetchval(_LEADER, agency, unit)
        return leader

    async def add_response(self, response_id: uuid.UUID, agency: str, unit: str, period: str,
                           response: SurveyResponse, submitted_at: datetime) -> bool:
        """Store one response (its event and its row, in one statement); False when
        ``response_id`` was stored before (a form sent twice is one response, the first)."""
        row = Statement(_INSERT_RESPONSE, (
            response_id, agency, unit, period, response.service, submitted_at,
            *(response.answers[e] for e in ELEMENTS), response.age_group.value,
            response.sex.value, response.education.value, response.occupation.value,
            response.comment or None))
        event = NewEvent(SURVEY_RESPONDED, response_data(response, agency, unit, period),
                         {"request_id": str(response_id), "actor": "public"},
                         recorded_at=submitted_at)
        try:
            _version, written = await self._log.append_with_rows(
                survey_stream(agency, unit, str(response_id)), 0, [event], row)
        except ConcurrencyConflict:  # the same form sent again with other answers
            return False
        return written == 1

    async def tally(self, agency: str, unit: str, period: str) -> Tally:
        row = await self._pool.fetchrow(_TALLY, agency, unit, period)
        respondents = int(row["respondents"])
        return Tally(respondents=respondents,
                     counts={e: respondents for e in ELEMENTS} if respondents else {},
                     sums={e: int(row[c]) for e, c in zip(ELEMENTS, _COLUMNS, strict=True)})

    async def periods(self, agency: str, unit: str) -> list[tuple[str, int]]:
        """The periods with responses, oldest first, with their number of respondents."""
        return [(r["period"], int(r["respondents"]))
                for r in await self._pool.fetch(_PERIODS, agency, unit)]
