"""What the indicator-health report reads: every indicator of every reviewed appraisal,
from the appraisal read model (``appraisal_summaries.state``), with its target, the
latest realisation the employee reported for it and the appraiser's rating of its RHK.
The counting is :mod:`domain.indicator_health`'s."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import asyncpg

from domain.indicator_health import IndicatorResult
from domain.ratings import Rating
from domain.skp import Aspect

_RESULTS = """
SELECT (s.state->'calendar'->>'year')::int AS year, s.cycle_id, s.unit, s.appraisal_id, s.employee,
       i->>'description' AS wording, i->>'aspect' AS aspect,
       i->'target'->>'value' AS target, latest.value AS realisation, rated.rating
  FROM appraisal_summaries s
 CROSS JOIN LATERAL jsonb_array_elements(s.state->'skp'->'rhk') AS rhk
 CROSS JOIN LATERAL jsonb_array_elements(rhk->'indicators') AS i
 CROSS JOIN LATERAL (
        SELECT r->>'rating' AS rating
          FROM jsonb_array_elements(s.state->'review'->'ratings'->'rhk') AS r
         WHERE r->>'rhk_id' = rhk->>'id' LIMIT 1) AS rated
  LEFT JOIN LATERAL (
        SELECT z->>'value' AS value
          FROM jsonb_each(s.state->'progress') AS p(period, report)
         CROSS JOIN LATERAL jsonb_array_elements(p.report->'realisations') AS z
         WHERE z->>'indicator_id' = i->>'id'
         ORDER BY p.period DESC LIMIT 1) AS latest ON true
 WHERE s.agency = $1
   AND ($2::text IS NULL OR s.cycle_id = $2)
   AND ($3::text IS NULL OR s.unit = $3)
   AND s.phase <> 'cancelled'
   AND jsonb_typeof(s.state->'review') = 'object'
 ORDER BY year, s.appraisal_id
"""


def _number(text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


class IndicatorHealthStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def results(self, agency: str, *, cycle_id: str | None = None,
                      unit: str | None = None) -> list[IndicatorResult]:
        """Each indicator of each reviewed, not cancelled appraisal of ``agency`` (of one
        cycle and one unit when given), oldest year first."""
        rows = await self._pool.fetch(_RESULTS, agency, cycle_id, unit)

        return [IndicatorResult(
            year=r["year"], cycle_id=r["cycle_id"], unit=r["unit"],
            appraisal_id=r["appraisal_id"], employee=r["employee"], wording=r["wording"],
            aspect=Aspect(r["aspect"]), target=_number(r["target"]),
            realisation=_number(r["realisation"]), rhk_rating=Rating(r["rating"]))
            for r in rows]

    async def choices(self, agency: str, cycle_id: str | None) -> tuple[
            list[tuple[str, int]], list[str]]:
        """The agency's cycles with appraisals (id, year; newest first) and the units of
        ``cycle_id`` (of every cycle when None): what the report may be narrowed to."""
        cycles = await self._pool.fetch(
            "SELECT cycle_id, max((state->'calendar'->>'year')::int) AS year"
            " FROM appraisal_summaries WHERE agency = $1 GROUP BY cycle_id"
            " ORDER BY year DESC, cycle_id", agency)
        units = await self._pool.fetch(
            "SELECT DISTINCT unit FROM appraisal_summaries WHERE agency = $1"
            " AND ($2::text IS NULL OR cycle_id = $2) ORDER BY unit", agency, cycle_id)
        return [(r["cycle_id"], r["year"] or 0) for r in cycles], [r["unit"] for r in units]
