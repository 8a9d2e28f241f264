"""The public's voice in PostgreSQL: the units that serve the public, and the responses
to their satisfaction survey (append-only: ``store/migrations/0070_public_survey.sql``)."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from domain.survey import ELEMENTS, PublicService, SurveyResponse, Tally

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
"""

_INSERT_RESPONSES = f"""
INSERT INTO survey_responses (response_id, agency, unit, period, service, submitted_at,
    {", ".join(_COLUMNS)}, age_group, sex, education, occupation, comment)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[],
    $6::timestamptz[], {", ".join(f"${i}::smallint[]" for i in range(7, 16))},
    $16::text[], $17::text[], $18::text[], $19::text[], $20::text[])
ON CONFLICT (response_id) DO NOTHING
RETURNING response_id
"""

BATCH_MAX = 256
"""The most responses one INSERT stores (``PublicStore.add_response``)."""

_Row = tuple[object, ...]

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
    def __init__(self, pool: asyncpg.Pool, *, batched: bool = True) -> None:
        """``batched``: responses sent at the same time are stored by one INSERT (see
        ``add_response``); False: one INSERT each."""
        self._pool = pool
        self._batched = batched
        self._waiting: list[tuple[_Row, asyncio.Future[bool]]] = []
        self._writer: asyncio.Task[None] | None = None

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
        """Store one response; False when ``response_id`` was stored before (a form sent
        twice is one response). Returns once the response is committed.

        Batched (the default): responses that arrive while an INSERT is under way wait
        for it and are then stored together by the next one (at most ``BATCH_MAX``):
        under load one round trip and one commit serve many submissions; alone, a
        response is stored at once as before. A batch the database refuses for its
        content is stored one response at a time, so only the refused one fails."""
        row: _Row = (response_id, agency, unit, period, response.service, submitted_at,
                     *(response.answers[e] for e in ELEMENTS), response.age_group.value,
                     response.sex.value, response.education.value,
                     response.occupation.value, response.comment or None)
        if not self._batched:
            return await self._insert_one(row)
        loop = asyncio.get_running_loop()
        stored: asyncio.Future[bool] = loop.create_future()
        self._waiting.append((row, stored))
        if self._writer is None or self._writer.done() or self._writer.get_loop() is not loop:
            # (another event loop's writer, as in tests: its waiting rows are its own)
            self._waiting = [w for w in self._waiting if w[1].get_loop() is loop]
            self._writer = asyncio.create_task(self._write_waiting())
        return await asyncio.shield(stored)

    async def _insert_one(self, row: _Row) -> bool:
        status = await self._pool.execute(_INSERT_RESPONSE, *row)
        return bool(status == "INSERT 0 1")

    async def _write_waiting(self) -> None:
        while self._waiting:
            batch = self._waiting[:BATCH_MAX]
            del self._waiting[:BATCH_MAX]
            try:
                new = await self._insert_many([row for row, _ in batch])
            except (asyncpg.IntegrityConstraintViolationError, asyncpg.DataError):
                await self._one_by_one(batch)
                continue
            except BaseException as error:  # the database is down: each request says so
                for _, stored in batch:
                    if not stored.done():
                        stored.set_exception(error)
                if isinstance(error, asyncio.CancelledError):
                    raise
                continue
            for row, stored in batch:
                first = row[0] in new
                new.discard(row[0])  # the same form twice in one batch: stored once
                if not stored.done():
                    stored.set_result(first)

    async def _insert_many(self, rows: list[_Row]) -> set[object]:
        columns = [list(column) for column in zip(*rows, strict=True)]
        return {r["response_id"] for r in await self._pool.fetch(_INSERT_RESPONSES, *columns)}

    async def _one_by_one(self, batch: list[tuple[_Row, asyncio.Future[bool]]]) -> None:
        for row, stored in batch:
            try:
                result = await self._insert_one(row)
            except Exception as error:  # this request's own failure
                if not stored.done():
                    stored.set_exception(error)
            else:
                if not stored.done():
                    stored.set_result(result)

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
