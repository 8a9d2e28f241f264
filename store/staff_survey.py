"""The staff survey in PostgreSQL (``store/migrations/0088_staff_survey.sql``): who was
given a token, which tokens are spent, and the answers; three tables that share no key
but the cycle."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from domain.staff_survey import GroupTally, Question, StaffAnswer


@dataclass(frozen=True)
class ClosedCycle:
    cycle_id: str
    agency: str
    year: int
    closed_at: datetime | None


_MEMBER_CYCLES = """
SELECT c.cycle_id, c.agency, c.year, (c.state->>'closed_at')::timestamptz AS closed_at,
       m.unit, i.employee IS NOT NULL AS issued
FROM cycles c
JOIN cycle_members m ON m.cycle_id = c.cycle_id AND m.employee = $2
LEFT JOIN staff_survey_issued i ON i.cycle_id = c.cycle_id AND i.employee = $2
WHERE c.agency = $1 AND c.status = 'closed'
ORDER BY c.year DESC
"""

_CYCLE = """
SELECT cycle_id, agency, year, (state->>'closed_at')::timestamptz AS closed_at
FROM cycles WHERE cycle_id = $1
"""

_SPEND = """
WITH spent AS (
    INSERT INTO staff_survey_spent (cycle_id, token_hash) VALUES ($1, $2)
    ON CONFLICT DO NOTHING RETURNING 1
)
INSERT INTO staff_survey_answers (answer_id, cycle_id, agency, unit, answers, comment)
SELECT $3, $1, $4, $5, $6::jsonb, $7 FROM spent
"""

_COUNTS = """
SELECT a.unit, q.key AS question, q.value::int AS value, count(*) AS n
FROM staff_survey_answers a, jsonb_each_text(a.answers) q
WHERE a.cycle_id = $1 GROUP BY a.unit, q.key, q.value
"""

_RESPONDENTS = """
SELECT unit, count(*) AS n FROM staff_survey_answers WHERE cycle_id = $1 GROUP BY unit
"""


@dataclass(frozen=True)
class MemberCycle:
    cycle: ClosedCycle
    unit: str
    issued: bool


class StaffSurveyStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def member_cycles(self, agency: str, employee: str) -> list[MemberCycle]:
        """The closed cycles of ``agency`` whose frozen roster holds ``employee``, with
        their unit in it and whether they were given a token."""
        return [MemberCycle(ClosedCycle(r["cycle_id"], r["agency"], r["year"],
                                        r["closed_at"]), r["unit"], r["issued"])
                for r in await self._pool.fetch(_MEMBER_CYCLES, agency, employee)]

    async def cycle(self, cycle_id: str) -> ClosedCycle | None:
        row = await self._pool.fetchrow(_CYCLE, cycle_id)
        return ClosedCycle(row["cycle_id"], row["agency"], row["year"], row["closed_at"]) \
            if row else None

    async def issue(self, cycle_id: str, employee: str) -> bool:
        """Record that ``employee`` was given the cycle's token; False when they were
        before (nothing else is written: not the token, not a time)."""
        status = await self._pool.execute(
            "INSERT INTO staff_survey_issued (cycle_id, employee) VALUES ($1, $2)"
            " ON CONFLICT DO NOTHING", cycle_id, employee)
        return bool(status == "INSERT 0 1")

    async def spend(self, cycle_id: str, token_hash: bytes, agency: str, unit: str,
                    answer: StaffAnswer) -> bool:
        """Spend a token and store its answers in one statement; False (nothing stored)
        when the token was spent before."""
        status = await self._pool.execute(
            _SPEND, cycle_id, token_hash, uuid.uuid4(), agency, unit,
            json.dumps({q.value: v for q, v in sorted(answer.answers.items())}),
            answer.comment or None)
        return bool(status == "INSERT 0 1")

    async def tallies(self, cycle_id: str) -> dict[str, GroupTally]:
        """Per unit with answers: the respondents and per question the count of each
        answer (counted by PostgreSQL: no answer sheet leaves it)."""
        respondents = {r["unit"]: int(r["n"])
                       for r in await self._pool.fetch(_RESPONDENTS, cycle_id)}
        answers: dict[str, dict[Question, dict[int, int]]] = {}
        known = {q.value for q in Question}
        for r in await self._pool.fetch(_COUNTS, cycle_id):
            if r["question"] in known:
                answers.setdefault(r["unit"], {}).setdefault(
                    Question(r["question"]), {})[r["value"]] = int(r["n"])
        return {u: GroupTally(n, answers.get(u, {})) for u, n in respondents.items()}

    async def comments(self, cycle_id: str) -> list[str]:
        """The cycle's comments, sorted by their text (never in the order they came)."""
        return [r["comment"] for r in await self._pool.fetch(
            "SELECT comment FROM staff_survey_answers WHERE cycle_id = $1"
            " AND comment IS NOT NULL ORDER BY comment", cycle_id)]

    async def units(self, cycle_id: str) -> list[str]:
        """The units of the cycle's frozen roster."""
        return [r["unit"] for r in await self._pool.fetch(
            "SELECT DISTINCT unit FROM cycle_members WHERE cycle_id = $1 ORDER BY unit",
            cycle_id)]

    async def is_spent(self, cycle_id: str, token_hash: bytes) -> bool:
        return bool(await self._pool.fetchval(
            "SELECT EXISTS (SELECT 1 FROM staff_survey_spent WHERE cycle_id = $1"
            " AND token_hash = $2)", cycle_id, token_hash))
