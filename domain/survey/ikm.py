"""The index of a unit's survey (IKM) from its responses: a pure function of the counts.

Per element, NRR = sum of the answers / number of answers; each element weighs 1/9
(equal weights: 1 / number of elements); IKM = (sum of NRR x weight) x 25. The
computation is exact (fractions); the NRR and the IKM are then rounded half up to two
places, and the category is read from the rounded IKM (the regulation's ranges are
written to two places: 64.99 is D, 65.00 is C).

The regulation's worked example multiplies by a weight written as 0.111, so an all-4 unit
would score 99.9; Kinerja keeps the exact 1/9 (an all-4 unit scores 100.00, the top of
category A): the weight the regulation defines, not its rounding.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from domain.survey.policy import SKM_14_2017, Category, Element, SurveyPolicy


@dataclass(frozen=True)
class Tally:
    """What the index needs of a set of responses: per element the number of answers and
    their sum, and the number of respondents."""

    respondents: int = 0
    counts: Mapping[Element, int] = field(default_factory=dict)
    sums: Mapping[Element, int] = field(default_factory=dict)


def tally(responses: Iterable[Mapping[Element, int]]) -> Tally:
    """The tally of ``responses`` (each the answers by element)."""
    respondents = 0
    counts: dict[Element, int] = {}
    sums: dict[Element, int] = {}
    for answers in responses:
        respondents += 1
        for element, value in answers.items():
            counts[element] = counts.get(element, 0) + 1
            sums[element] = sums.get(element, 0) + value
    return Tally(respondents, counts, sums)


@dataclass(frozen=True)
class ElementResult:
    element: Element
    answers: int
    nrr: Decimal | None
    """Rounded half up; None without answers."""
    weighted: Decimal | None
    """NRR x weight, rounded to four places (shown in the table as the regulation does)."""


@dataclass(frozen=True)
class SurveyResult:
    respondents: int
    elements: tuple[ElementResult, ...]
    ikm: Decimal | None
    """None without respondents (no index of nothing)."""
    category: Category | None
    population: int | None
    minimum_sample: int | None
    """From the Krejcie-Morgan table for ``population``; None without a population."""

    @property
    def sample_too_small(self) -> bool:
        return self.minimum_sample is not None and self.respondents < self.minimum_sample


def _round(value: Fraction, places: int) -> Decimal:
    quantum = Decimal(1).scaleb(-places)
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    # 28 significant digits are ample for sums of at most 4 x 2**63 over counts.
    return exact.quantize(quantum, rounding=ROUND_HALF_UP)


def category_of(ikm: Decimal, policy: SurveyPolicy = SKM_14_2017) -> Category:
    """The quality category of a (rounded) index; below the lowest threshold, the last
    category (an index under 25 cannot arise from the 1-4 scale)."""
    for category, lowest in policy.categories:
        if ikm >= lowest:
            return category
    return policy.categories[-1][0]


def minimum_sample(population: int, policy: SurveyPolicy = SKM_14_2017) -> int:
    """The guideline's minimum number of respondents for ``population`` service users:
    the Krejcie-Morgan row of the smallest tabulated population at or above it (never
    more than the population itself)."""
    if population < 1:
        raise ValueError("a population is at least 1")
    table = policy.krejcie_morgan
    index = bisect_left([n for n, _ in table], population)
    sample = table[index][1] if index < len(table) else table[-1][1]
    return min(sample, population)


def compute(counts: Tally, policy: SurveyPolicy = SKM_14_2017, *,
            population: int | None = None) -> SurveyResult:
    """NRR per element, IKM, category and the minimum sample, from a tally."""
    weight = Fraction(1, len(policy.elements))
    results = []
    total = Fraction(0)
    for element in policy.elements:
        answers = counts.counts.get(element, 0)
        if answers:
            nrr = Fraction(counts.sums.get(element, 0), answers)
            total += nrr * weight
            results.append(ElementResult(element, answers, _round(nrr, policy.nrr_places),
                                         _round(nrr * weight, 4)))
        else:
            results.append(ElementResult(element, 0, None, None))
    answered = all(r.answers for r in results)
    ikm = _round(total * policy.index_factor, policy.index_places) \
        if counts.respondents and answered else None
    return SurveyResult(
        respondents=counts.respondents, elements=tuple(results), ikm=ikm,
        category=category_of(ikm, policy) if ikm is not None else None,
        population=population,
        minimum_sample=minimum_sample(population, policy) if population else None)


def period_of(moment: datetime, utc_offset_hours: int = 7) -> str:
    """The survey period of ``moment`` in the agency's zone: ``2026-S1`` or ``2026-S2``."""
    local = moment.astimezone(timezone(timedelta(hours=utc_offset_hours)))
    return f"{local.year}-S{1 if local.month <= 6 else 2}"


PERIOD_PATTERN = r"^\d{4}-S[12]$"
