"""Indicators filled from data: the figures of a measured source, pure.

The store hands over counts (a survey tally over the period, the complaints' response
times and deadlines); this module turns them into the realisation recorded with its
source and the figures it came from (:class:`domain.skp.MeasuredRealisation`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal

from domain.policy import MEASURED_INDICATORS, MeasuredIndicatorPolicy, end_of_day
from domain.skp import IndicatorSource, MeasuredRealisation, SourceKind
from domain.survey import Tally, compute

UNIT_LABELS: dict[SourceKind, str] = {
    SourceKind.UNIT_IKM: "IKM",
    SourceKind.COMPLAINT_MEDIAN_RESPONSE: "jam",
    SourceKind.COMPLAINTS_ON_TIME: "%",
}
"""The measure each source gives (IKM 25-100, hours, percent)."""


DOCUMENT_LABELS: dict[SourceKind, str] = {
    SourceKind.UNIT_IKM: "IKM unit",
    SourceKind.COMPLAINT_MEDIAN_RESPONSE: "median waktu tanggapan pengaduan, jam",
    SourceKind.COMPLAINTS_ON_TIME: "pengaduan ditanggapi tepat waktu, %",
}
"""How the documents (Indonesian) name each source beside its figure."""


def document_text(measured: MeasuredRealisation) -> str:
    """A measured realisation as the evaluation document shows it: the figure and where it
    came from (``81.25 (IKM unit diskominfo 2026; diisi dari data)``)."""
    figure = str(measured.value) if measured.value is not None else "tidak ada data"
    return (f"{figure} ({DOCUMENT_LABELS[measured.source.kind]} {measured.unit} "
            f"{measured.period}; diisi dari data)")


def period_bounds(year: int, utc_offset_hours: int) -> tuple[datetime, datetime]:
    """The cycle year in the agency's zone: its first and its last moment."""
    zone = timezone(timedelta(hours=utc_offset_hours))
    return (datetime(year, 1, 1, tzinfo=zone), end_of_day(date(year, 12, 31), utc_offset_hours))


@dataclass(frozen=True)
class ComplaintFigures:
    """A unit's complaints filed in the period, as the measurement needs them."""

    answered: int
    """Answered ones (by the measurement's moment)."""
    median_low_seconds: int | None
    median_high_seconds: int | None
    """The two middle response times of the answered ones (equal when their count is odd)."""
    judged: int
    """Answered, or unanswered past their deadline: the ones whose timeliness is known."""
    on_time: int
    """Answered at or before their deadline."""


def _rounded(value: Decimal, policy: MeasuredIndicatorPolicy) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-policy.places), rounding=ROUND_HALF_UP)


def measure(indicator_id: str, source: IndicatorSource, unit: str, year: int, *,
            survey: Tally | None = None, complaints: ComplaintFigures | None = None,
            policy: MeasuredIndicatorPolicy = MEASURED_INDICATORS) -> MeasuredRealisation:
    """The realisation of ``indicator_id`` from its source's data (None when there is none:
    no respondent, no complaint answered or judged)."""
    value: Decimal | None
    if source.kind is SourceKind.UNIT_IKM:
        tally = survey or Tally()
        value = compute(tally).ikm
        figures = {"respondents": tally.respondents}
    else:
        found = complaints or ComplaintFigures(0, None, None, 0, 0)
        if source.kind is SourceKind.COMPLAINT_MEDIAN_RESPONSE:
            low, high = found.median_low_seconds, found.median_high_seconds
            value = None if low is None or high is None or not found.answered else _rounded(
                Decimal(low + high) / 2 / policy.response_time_unit_seconds, policy)
            figures = {"answered": found.answered}
            if low is not None and high is not None:
                figures["median_seconds"] = (low + high) // 2
        else:
            value = _rounded(Decimal(100 * found.on_time) / found.judged, policy) \
                if found.judged else None
            figures = {"judged": found.judged, "on_time": found.on_time}
    return MeasuredRealisation(indicator_id=indicator_id, source=source, unit=unit,
                               period=str(year), value=value, figures=figures)
