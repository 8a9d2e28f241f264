"""The indicator-health report (periodic review of indicators): for HR and the inspectors
of an agency, per cycle or across every year, for the agency or one unit. The rule of
what counts and what is flagged is :mod:`domain.indicator_health`'s."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from domain.authorization import Actor, AgencyAction, has_agency_role, may_on_agency
from domain.indicator_health import INDICATOR_HEALTH, IndicatorHealth, Outcome, report
from domain.spreadsheet import Cell
from services.errors import Forbidden, NotFound
from store.indicator_health import IndicatorHealthStore

EXPORT_HEADER: list[Cell] = [
    "indicator", "units", "employees", "exceeded", "met", "missed", "missed_share",
    "flag", "years"]

_PERCENT = Decimal("0.01")


@dataclass(frozen=True)
class IndicatorHealthReport:
    agency: str
    cycle_id: str | None
    """One cycle, or None: every year of the agency."""
    unit: str | None
    rows: list[IndicatorHealth]
    cycles: list[tuple[str, int]]
    """The agency's cycles (id, year), for choosing another."""
    units: list[str]
    """The units of the chosen cycle (of every cycle when none is chosen)."""

    def table(self) -> list[list[Cell]]:
        """The export: one row per indicator, the counts and the flag."""
        rows = [list(EXPORT_HEADER)]
        for row in self.rows:
            share = row.share(Outcome.MISSED).quantize(_PERCENT)
            years = "; ".join(
                f"{year}: {c[Outcome.EXCEEDED]}/{c[Outcome.MET]}/{c[Outcome.MISSED]}"
                for year, c in row.by_year.items())
            rows.append([row.wording, " ".join(row.units), row.employees,
                         row.counts[Outcome.EXCEEDED], row.counts[Outcome.MET],
                         row.counts[Outcome.MISSED], share,
                         row.flag.value if row.flag else None, years])
        return rows



class IndicatorHealthService:
    def __init__(self, store: IndicatorHealthStore) -> None:
        self._store = store

    async def report(self, actor: Actor, agency: str, *, cycle_id: str | None = None,
                     unit: str | None = None) -> IndicatorHealthReport:
        """The report of ``agency`` (one cycle, one unit when given). Forbidden without
        a role that reads cycles; NotFound for an agency out of scope or a cycle that is
        not the agency's."""
        if not has_agency_role(actor, AgencyAction.READ_CYCLE):
            raise Forbidden("only HR and inspectors read the indicator-health report")
        if not may_on_agency(actor, AgencyAction.READ_CYCLE, agency):
            raise NotFound("agency")
        cycles, units = await self._store.choices(agency, cycle_id)
        if cycle_id is not None and cycle_id not in {c for c, _ in cycles}:
            raise NotFound("cycle")
        if unit is not None and unit not in units:
            raise NotFound("unit")
        results = await self._store.results(agency, cycle_id=cycle_id, unit=unit)
        return IndicatorHealthReport(
            agency=agency, cycle_id=cycle_id, unit=unit,
            rows=report(results, INDICATOR_HEALTH), cycles=cycles, units=units)
