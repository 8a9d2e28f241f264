"""The indicator-health report: which indicators people meet, exceed or miss, per cycle
and across years, and which ones to review as too hard or too easy.

The regional studies behind Kinerja ask that indicators found too hard be reviewed
("indikator penilaian terlalu sulit dicapai ... perlu ditinjau ulang"); PermenPAN-RB
6/2022 leaves the review of indicators to the agency. What follows is Kinerja's reading,
kept as policy data (:data:`INDICATOR_HEALTH`) so an agency can change it:

- **The outcome of one indicator for one employee** (:func:`outcome`). Where the target
  is a number and the employee reported a number for it (the latest period's
  realisation), the numbers decide: above the target *exceeded*, equal *met*, below
  *missed*; for the aspects where less is better (time, cost: ``Aspect.TIME``,
  ``Aspect.COST``) the other way round. Otherwise (a qualitative target, a number never
  reported) the appraiser's rating of the indicator's RHK decides: di atas ekspektasi
  *exceeded*, sesuai *met*, di bawah *missed*. Only appraisals the appraiser reviewed
  count; a cancelled appraisal never does.
- **The same indicator across people**: indicators are grouped by their wording
  (:func:`wording_key`: Unicode-normalised, case and spacing ignored, a final full stop
  dropped), which is how agencies reuse an indicator from a template or from last
  year's SKP.
- **Flags**, only for an indicator at least ``min_employees`` people had: *too hard*
  when more than ``too_hard_missed_share`` of them missed it ("most miss"), *too easy*
  when every one of them exceeded it.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from domain.ratings import Rating
from domain.skp import Aspect


class Outcome(StrEnum):
    EXCEEDED = "exceeded"
    MET = "met"
    MISSED = "missed"


class Flag(StrEnum):
    TOO_HARD = "too_hard"
    TOO_EASY = "too_easy"


@dataclass(frozen=True)
class IndicatorHealthRule:
    """When the report flags an indicator (policy data, Kinerja's choice)."""

    min_employees: int
    """Fewer people than this had the indicator: no flag (too few to judge)."""
    too_hard_missed_share: Decimal
    """More than this share of the people missed it: too hard."""


INDICATOR_HEALTH = IndicatorHealthRule(min_employees=3, too_hard_missed_share=Decimal("0.5"))
"""Kinerja's default: at least 3 people; "most miss" read as more than half."""

LESS_IS_BETTER = frozenset({Aspect.TIME, Aspect.COST})
"""Aspects whose target is a ceiling (days taken, money spent)."""

_BY_RATING = {Rating.ABOVE: Outcome.EXCEEDED, Rating.MEETS: Outcome.MET,
              Rating.BELOW: Outcome.MISSED}


def outcome(aspect: Aspect, target: Decimal | None, realisation: Decimal | None,
            rhk_rating: Rating) -> Outcome:
    """One employee's outcome on one indicator (see the module's docstring)."""
    if target is None or realisation is None:
        return _BY_RATING[rhk_rating]
    if realisation == target:
        return Outcome.MET
    better = realisation < target if aspect in LESS_IS_BETTER else realisation > target
    return Outcome.EXCEEDED if better else Outcome.MISSED


_SPACES = re.compile(r"\s+")


def wording_key(wording: str) -> str:
    """The key that groups the same indicator written by different people."""
    text = _SPACES.sub(" ", unicodedata.normalize("NFKC", wording)).strip().casefold()
    return text.removesuffix(".").rstrip()


@dataclass(frozen=True)
class IndicatorResult:
    """One indicator of one reviewed appraisal (a row the store reads)."""

    year: int
    cycle_id: str
    unit: str
    appraisal_id: str
    employee: str
    wording: str
    aspect: Aspect
    target: Decimal | None
    realisation: Decimal | None
    rhk_rating: Rating

    @property
    def outcome(self) -> Outcome:
        return outcome(self.aspect, self.target, self.realisation, self.rhk_rating)


@dataclass(frozen=True)
class AppraisalOutcome:
    appraisal_id: str
    employee: str
    unit: str
    year: int
    outcome: Outcome


@dataclass
class IndicatorHealth:
    """One indicator wording over the chosen cycles and units."""

    key: str
    wording: str
    """The wording most people used (ties: the first in order)."""
    counts: dict[Outcome, int]
    by_year: dict[int, dict[Outcome, int]]
    units: tuple[str, ...]
    appraisals: tuple[AppraisalOutcome, ...]
    flag: Flag | None = None

    @property
    def employees(self) -> int:
        return sum(self.counts.values())

    def share(self, which: Outcome) -> Decimal:
        return Decimal(self.counts[which]) / self.employees if self.employees else Decimal(0)


@dataclass
class _Group:
    wordings: Counter[str] = field(default_factory=Counter)
    results: dict[str, AppraisalOutcome] = field(default_factory=dict)


def flag(counts: dict[Outcome, int], rule: IndicatorHealthRule) -> Flag | None:
    """Too hard, too easy, or neither (see the module's docstring)."""
    total = sum(counts.values())
    if total < rule.min_employees:
        return None
    if Decimal(counts.get(Outcome.MISSED, 0)) > rule.too_hard_missed_share * total:
        return Flag.TOO_HARD
    if counts.get(Outcome.EXCEEDED, 0) == total:
        return Flag.TOO_EASY
    return None


def report(results: Iterable[IndicatorResult],
           rule: IndicatorHealthRule = INDICATOR_HEALTH) -> list[IndicatorHealth]:
    """The indicators of ``results`` grouped by wording, each counted once per appraisal
    (an SKP that repeats a wording counts its worst outcome), flagged ones first, then by
    the share missed, most first."""
    groups: dict[str, _Group] = {}
    severity = {Outcome.MISSED: 0, Outcome.MET: 1, Outcome.EXCEEDED: 2}
    for result in results:
        group = groups.setdefault(wording_key(result.wording), _Group())
        group.wordings[result.wording.strip()] += 1
        seen = group.results.get(result.appraisal_id)
        mine = result.outcome
        if seen is None or severity[mine] < severity[seen.outcome]:
            group.results[result.appraisal_id] = AppraisalOutcome(
                result.appraisal_id, result.employee, result.unit, result.year, mine)
    rows = []
    for key, group in groups.items():
        counts = {o: 0 for o in Outcome}
        by_year: dict[int, dict[Outcome, int]] = {}
        for item in group.results.values():
            counts[item.outcome] += 1
            year = by_year.setdefault(item.year, {o: 0 for o in Outcome})
            year[item.outcome] += 1
        appraisals = tuple(sorted(group.results.values(),
                                  key=lambda a: (severity[a.outcome], a.appraisal_id)))
        rows.append(IndicatorHealth(
            key=key, wording=group.wordings.most_common(1)[0][0], counts=counts,
            by_year=dict(sorted(by_year.items())),
            units=tuple(sorted({a.unit for a in appraisals})), appraisals=appraisals,
            flag=flag(counts, rule)))
    order = {Flag.TOO_HARD: 0, Flag.TOO_EASY: 1, None: 2}
    rows.sort(key=lambda r: (order[r.flag], -r.share(Outcome.MISSED), r.key))
    return rows
