"""The complaint figures of a measured indicator, read from the complaints' read model:
the cycle year in the agency's zone, complaints only (not suggestions), as they stood at
the year's end (an answer after it, or a deadline still ahead, is not counted)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import asyncpg

from domain.indicators import ComplaintFigures, measure, period_bounds
from domain.policy import MEASURED_INDICATORS
from domain.skp import IndicatorSource, SourceKind
from store.indicators import IndicatorStore

AGENCY, UNIT = "pemkot-x", "dishub"
DAY = timedelta(days=1)


async def file(pool: asyncpg.Pool, code: str, filed: datetime, answered_after: timedelta | None,
               *, kind: str = "pengaduan", unit: str = UNIT) -> None:
    answered = filed + answered_after if answered_after is not None else None
    await pool.execute(
        "INSERT INTO complaints (code, agency, unit, kind, filed_at, deadline, status,"
        " answered_at, response_seconds) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        code, AGENCY, unit, kind, filed, filed + 14 * DAY,
        "answered" if answered else "open", answered,
        int(answered_after.total_seconds()) if answered_after is not None else None)


async def test_complaint_figures_of_the_year_at_its_end(app_pool: asyncpg.Pool) -> None:
    at = lambda *args: datetime(*args, tzinfo=UTC)  # noqa: E731
    await file(app_pool, "c1", at(2026, 3, 1), timedelta(hours=2))  # on time
    await file(app_pool, "c2", at(2026, 5, 1), 20 * DAY)  # late
    await file(app_pool, "c3", at(2026, 6, 1), DAY)  # on time
    await file(app_pool, "c4", at(2026, 12, 30), None)  # unanswered, deadline ahead
    await file(app_pool, "c5", at(2026, 11, 1), None)  # unanswered past its deadline: late
    await file(app_pool, "c6", at(2026, 4, 1), DAY, kind="saran")  # a suggestion
    await file(app_pool, "c7", at(2025, 12, 31, 16), DAY)  # 23:00 WIB of the year before
    await file(app_pool, "c8", at(2026, 4, 1), DAY, unit="disdik")  # another unit
    await file(app_pool, "c9", at(2026, 12, 20), 13 * DAY)  # answered after the year's end
    await file(app_pool, "c10", at(2026, 12, 31, 18), DAY)  # 1 January WIB: next year

    start, end = period_bounds(2026, 7)
    figures = await IndicatorStore(app_pool).complaint_figures(
        AGENCY, UNIT, MEASURED_INDICATORS.complaint_kinds, start, end, end)
    assert figures == ComplaintFigures(answered=3, median_low_seconds=86400,
                                       median_high_seconds=86400, judged=4, on_time=2)
    median = measure("i", IndicatorSource(kind=SourceKind.COMPLAINT_MEDIAN_RESPONSE), UNIT,
                     2026, complaints=figures)
    assert median.value == Decimal("24.00")
    share = measure("i", IndicatorSource(kind=SourceKind.COMPLAINTS_ON_TIME), UNIT, 2026,
                    complaints=figures)
    assert share.value == Decimal("50.00")

    await file(app_pool, "c11", at(2026, 7, 1), DAY * 2)  # an even count: two middles
    even = await IndicatorStore(app_pool).complaint_figures(
        AGENCY, UNIT, MEASURED_INDICATORS.complaint_kinds, start, end, end)
    assert (even.median_low_seconds, even.median_high_seconds) == (86400, 2 * 86400)
    assert measure("i", IndicatorSource(kind=SourceKind.COMPLAINT_MEDIAN_RESPONSE), UNIT,
                   2026, complaints=even).value == Decimal("36.00")


async def test_no_complaints_no_figure(app_pool: asyncpg.Pool) -> None:
    start, end = period_bounds(2026, 7)
    figures = await IndicatorStore(app_pool).complaint_figures(
        AGENCY, UNIT, MEASURED_INDICATORS.complaint_kinds, start, end, end)
    assert figures == ComplaintFigures(0, None, None, 0, 0)
    for kind in (SourceKind.COMPLAINT_MEDIAN_RESPONSE, SourceKind.COMPLAINTS_ON_TIME):
        assert measure("i", IndicatorSource(kind=kind), UNIT, 2026,
                       complaints=figures).value is None
