"""The indicator-health rule: one employee's outcome on an indicator (numbers where both
are numbers, the appraiser's RHK rating otherwise), indicators grouped by wording, and
the flags at their boundaries."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from domain.indicator_health import (
    INDICATOR_HEALTH,
    Flag,
    IndicatorHealthRule,
    IndicatorResult,
    Outcome,
    flag,
    outcome,
    report,
    wording_key,
)
from domain.ratings import Rating
from domain.skp import Aspect


def test_numbers_decide_where_both_are_numbers_higher_is_better_for_quantity() -> None:
    assert outcome(Aspect.QUANTITY, Decimal(120), Decimal(130), Rating.BELOW) is Outcome.EXCEEDED
    assert outcome(Aspect.QUANTITY, Decimal(120), Decimal("120.0"), Rating.BELOW) is Outcome.MET
    assert outcome(Aspect.QUALITY, Decimal(90), Decimal(89), Rating.ABOVE) is Outcome.MISSED


def test_time_and_cost_are_ceilings_less_is_better() -> None:
    assert outcome(Aspect.TIME, Decimal(3), Decimal(2), Rating.BELOW) is Outcome.EXCEEDED
    assert outcome(Aspect.TIME, Decimal(3), Decimal(4), Rating.ABOVE) is Outcome.MISSED
    assert outcome(Aspect.COST, Decimal(1000), Decimal(1000), Rating.BELOW) is Outcome.MET


def test_without_both_numbers_the_appraisers_rating_of_the_rhk_decides() -> None:
    assert outcome(Aspect.QUANTITY, None, Decimal(5), Rating.ABOVE) is Outcome.EXCEEDED
    assert outcome(Aspect.QUANTITY, Decimal(5), None, Rating.MEETS) is Outcome.MET
    assert outcome(Aspect.QUALITY, None, None, Rating.BELOW) is Outcome.MISSED


def test_the_same_indicator_written_differently_is_one() -> None:
    assert wording_key("Permohonan  terlayani.") == wording_key("permohonan terlayani")
    assert wording_key("ＰＥＲＭＯＨＯＮＡＮ terlayani") == wording_key("Permohonan terlayani")
    assert wording_key("Permohonan terlayani") != wording_key("Permohonan ditolak")


def _counts(exceeded: int = 0, met: int = 0, missed: int = 0) -> dict[Outcome, int]:
    return {Outcome.EXCEEDED: exceeded, Outcome.MET: met, Outcome.MISSED: missed}


def test_flags_at_their_boundaries() -> None:
    # too few people: no flag whatever they did
    assert flag(_counts(missed=2), INDICATOR_HEALTH) is None
    assert flag(_counts(exceeded=2), INDICATOR_HEALTH) is None
    # "most miss": more than half, so exactly half is not too hard
    assert flag(_counts(met=2, missed=2), INDICATOR_HEALTH) is None
    assert flag(_counts(met=2, missed=3), INDICATOR_HEALTH) is Flag.TOO_HARD
    # too easy: every one exceeded; one who only met it breaks it
    assert flag(_counts(exceeded=3), INDICATOR_HEALTH) is Flag.TOO_EASY
    assert flag(_counts(exceeded=9, met=1), INDICATOR_HEALTH) is None


def _result(appraisal: str, wording: str, rating: Rating, *, year: int = 2026,
            unit: str = "dinkes", realisation: Decimal | None = None) -> IndicatorResult:
    return IndicatorResult(year=year, cycle_id=f"a-{year}", unit=unit, appraisal_id=appraisal,
                           employee=f"e-{appraisal}", wording=wording, aspect=Aspect.QUANTITY,
                           target=Decimal(10) if realisation is not None else None,
                           realisation=realisation, rhk_rating=rating)


def test_report_groups_by_wording_counts_each_appraisal_once_and_puts_flags_first() -> None:
    rows = report([
        _result("1", "Laporan selesai", Rating.BELOW),
        _result("2", "laporan selesai.", Rating.BELOW, year=2025),
        _result("3", "Laporan selesai", Rating.MEETS, unit="disdik"),
        _result("4", "Laporan selesai", Rating.BELOW),
        # the same appraisal twice with one wording: its worst outcome counts, once
        _result("4", "Laporan  selesai", Rating.ABOVE),
        _result("1", "Warga terlayani", Rating.MEETS, realisation=Decimal(11)),
        _result("2", "Warga terlayani", Rating.BELOW, realisation=Decimal(12)),
        _result("3", "Warga terlayani", Rating.BELOW, realisation=Decimal(20)),
        _result("1", "Rapat dihadiri", Rating.MEETS),
    ])
    assert [r.wording for r in rows] == ["Laporan selesai", "Warga terlayani", "Rapat dihadiri"]
    hard, easy, plain = rows
    assert (hard.flag, hard.counts) == (Flag.TOO_HARD, _counts(met=1, missed=3))
    assert hard.by_year == {2025: _counts(missed=1), 2026: _counts(met=1, missed=2)}
    assert hard.units == ("dinkes", "disdik")
    assert [a.appraisal_id for a in hard.appraisals] == ["1", "2", "4", "3"]
    assert (easy.flag, easy.counts) == (Flag.TOO_EASY, _counts(exceeded=3))
    assert (plain.flag, plain.employees) == (None, 1)


@given(st.lists(st.tuples(st.integers(0, 30), st.sampled_from(["a", "A ", "b", "c."]),
                          st.sampled_from(list(Rating))), max_size=80),
       st.integers(1, 6), st.decimals(Decimal("0.1"), Decimal("0.9"), places=2))
def test_every_appraisal_counts_once_per_indicator_and_flags_follow_the_rule(
        items: list[tuple[int, str, Rating]], minimum: int, share: Decimal) -> None:
    rule = IndicatorHealthRule(min_employees=minimum, too_hard_missed_share=share)
    results = [_result(str(n), w, r) for n, w, r in items]
    rows = report(results, rule)
    for row in rows:
        behind = {r.appraisal_id for r in results if wording_key(r.wording) == row.key}
        assert row.employees == len(behind) == len(row.appraisals)
        assert sum(sum(c.values()) for c in row.by_year.values()) == row.employees
        missed = row.counts[Outcome.MISSED]
        if row.flag is Flag.TOO_HARD:
            assert row.employees >= minimum and missed > share * row.employees
        elif row.flag is Flag.TOO_EASY:
            assert row.employees >= minimum and row.counts[Outcome.EXCEEDED] == row.employees
        else:
            assert row.employees < minimum or (
                missed <= share * row.employees
                and row.counts[Outcome.EXCEEDED] < row.employees)
    order = [0 if r.flag is Flag.TOO_HARD else 1 if r.flag is Flag.TOO_EASY else 2
             for r in rows]
    assert order == sorted(order)
