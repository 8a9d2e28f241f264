"""The reads of indicators filled from data: the appraisals of a cycle with indicators
bound to a measured source, and each source's figures over a period (the survey's
responses, the complaints' read model). Reads only: the measurements themselves are
events of the appraisals (``RealisationMeasured``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from domain.indicators import ComplaintFigures
from domain.skp import Skp
from domain.survey import ELEMENTS, Tally

_COLUMNS = tuple(f"u{i}" for i in range(1, len(ELEMENTS) + 1))

_BOUND = """
SELECT appraisal_id, unit, state->'skp' AS skp FROM appraisal_summaries
WHERE cycle_id = $1 AND appraisal_id > $2 AND phase IN ('self_report', 'review')
  AND jsonb_path_exists(state, '$.skp.rhk[*].indicators[*].source')
ORDER BY appraisal_id LIMIT $3
"""

_TALLY = f"""
SELECT count(*) AS respondents, {", ".join(f"coalesce(sum({c}), 0) AS {c}" for c in _COLUMNS)}
FROM survey_responses WHERE agency = $1 AND unit = $2 AND period = ANY($3::text[])
"""

_COMPLAINTS = """
WITH filed AS (
    SELECT response_seconds, deadline,
           answered_at IS NOT NULL AND answered_at <= $6 AS answered,
           answered_at IS NOT NULL AND answered_at <= $6 AND answered_at <= deadline AS on_time
    FROM complaints
    WHERE agency = $1 AND unit = $2 AND kind = ANY($3::text[])
      AND filed_at >= $4 AND filed_at <= $5
)
SELECT count(*) FILTER (WHERE answered) AS answered,
       percentile_disc(0.5) WITHIN GROUP (ORDER BY response_seconds)
           FILTER (WHERE answered) AS low,
       percentile_disc(0.5) WITHIN GROUP (ORDER BY response_seconds DESC)
           FILTER (WHERE answered) AS high,
       count(*) FILTER (WHERE answered OR deadline < $6) AS judged,
       count(*) FILTER (WHERE on_time) AS on_time
FROM filed
"""


@dataclass(frozen=True)
class BoundAppraisal:
    appraisal_id: str
    unit: str
    skp: Skp


class IndicatorStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def bound_appraisals(self, cycle_id: str, after: str = "", limit: int = 200
                               ) -> list[BoundAppraisal]:
        """The cycle's appraisals in self-report or review whose SKP binds an indicator to
        a source, after ``after`` in id order (a page)."""
        rows = await self._pool.fetch(_BOUND, cycle_id, after, limit)
        return [BoundAppraisal(r["appraisal_id"], r["unit"], Skp.model_validate_json(r["skp"]))
                for r in rows]

    async def survey_tally(self, agency: str, unit: str, periods: list[str]) -> Tally:
        """One tally of a unit's responses over ``periods`` (semesters) together."""
        row = await self._pool.fetchrow(_TALLY, agency, unit, periods)
        respondents = int(row["respondents"])
        return Tally(respondents=respondents,
                     counts={e: respondents for e in ELEMENTS} if respondents else {},
                     sums={e: int(row[c]) for e, c in zip(ELEMENTS, _COLUMNS, strict=True)})

    async def complaint_figures(self, agency: str, unit: str, kinds: tuple[str, ...],
                                start: datetime, end: datetime, at: datetime
                                ) -> ComplaintFigures:
        """The complaints of ``kinds`` a unit received from ``start`` to ``end``, as they
        stood at ``at``: answered, their middle response times, judged, on time."""
        row = await self._pool.fetchrow(_COMPLAINTS, agency, unit, list(kinds), start, end, at)
        return ComplaintFigures(
            answered=int(row["answered"]),
            median_low_seconds=None if row["low"] is None else int(row["low"]),
            median_high_seconds=None if row["high"] is None else int(row["high"]),
            judged=int(row["judged"]), on_time=int(row["on_time"]))
