"""Indicators filled from data (issue 15 section 3): binding an indicator to a source, the
employee unable to type its realisation, the system recording it with its figures, and
the figures themselves (IKM over the year, median response time, share on time)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from bench.harness.builders import (
    APPRAISER,
    EMPLOYEE,
    HR,
    SYSTEM,
    UNIT,
    YEAR,
    Run,
    open_command,
    ratings,
    sample_skp,
)
from domain.appraisal import (
    ApproveTargets,
    CommandRefused,
    DraftTargets,
    ReleaseResult,
    ReportProgress,
    SubmitReview,
    SubmitSelfAssessment,
    SubmitTargets,
    event_data,
    event_from_data,
)
from domain.appraisal.commands import RecordMeasurements, parse_command
from domain.appraisal.events import RealisationMeasured
from domain.documents import DocumentKind, content
from domain.indicators import ComplaintFigures, measure, period_bounds
from domain.integrity import canonical_json
from domain.skp import (
    Indicator,
    IndicatorSource,
    MeasuredRealisation,
    ProgressReport,
    Realisation,
    Skp,
    SourceKind,
    Target,
)
from domain.survey import ELEMENTS, Tally
from tests.domain.test_appraisal import SELF_ASSESSMENT

IKM = IndicatorSource(kind=SourceKind.UNIT_IKM)


def bound_skp(source: IndicatorSource = IKM) -> Skp:
    """The sample SKP with a second indicator of RHK 1 bound to ``source``."""
    skp = sample_skp()
    first = skp.rhk[0]
    bound = Indicator(id="ind-ikm", description="IKM unit layanan", aspect="kualitas",
                      target=Target(value=Decimal(85), unit="IKM"), source=source)
    return skp.model_copy(update={"rhk": (
        first.model_copy(update={"indicators": (*first.indicators, bound)}), *skp.rhk[1:])})


def to_self_report(run: Run, skp: Skp | None = None) -> None:
    run.do(open_command(), HR)
    run.do(DraftTargets(skp=skp or bound_skp()), EMPLOYEE)
    run.do(SubmitTargets(), EMPLOYEE)
    run.do(ApproveTargets(), APPRAISER)


def ikm_measurement(value: str = "82.50", respondents: int = 40) -> MeasuredRealisation:
    return MeasuredRealisation(indicator_id="ind-ikm", source=IKM, unit=UNIT, period=str(YEAR),
                               value=Decimal(value), figures={"respondents": respondents})


def test_an_unbound_indicator_is_stored_as_before_the_binding_existed() -> None:
    skp = sample_skp()
    stored = canonical_json(DraftTargets(skp=skp).model_dump(mode="json"))
    assert b'"source"' not in stored
    bound = DraftTargets(skp=bound_skp()).model_dump(mode="json")
    indicators = bound["skp"]["rhk"][0]["indicators"]
    assert indicators[1]["source"] == {"kind": "ikm_unit", "unit": None}
    assert DraftTargets.model_validate(bound).skp == bound_skp()


def test_a_source_is_one_of_a_closed_set_and_needs_a_numeric_target() -> None:
    with pytest.raises(ValidationError):
        IndicatorSource.model_validate({"kind": "jumlah_kegiatan"})
    with pytest.raises(ValidationError, match="numeric target"):
        Indicator(id="i", description="IKM", aspect="kualitas",
                  target=Target(text="baik"), source=IKM)
    with pytest.raises(ValidationError):
        IndicatorSource.model_validate({"kind": "ikm_unit", "unit": "unit\x00"})


def test_the_employee_cannot_type_the_realisation_of_a_bound_indicator() -> None:
    run = Run()
    to_self_report(run)
    report = ProgressReport(period=f"{YEAR}-03", realisations=(
        Realisation(indicator_id="ind-1", value=Decimal(30)),
        Realisation(indicator_id="ind-ikm", value=Decimal(99))))
    with pytest.raises(CommandRefused) as refused:
        run.do(ReportProgress(report=report), EMPLOYEE)
    assert refused.value.field == "report.realisations[1].indicator_id"
    assert "filled from its source" in refused.value.reason
    typed = ProgressReport(period=f"{YEAR}-03", realisations=(
        Realisation(indicator_id="ind-1", value=Decimal(30)),))
    run.do(ReportProgress(report=typed), EMPLOYEE)  # the other indicators still typed


def test_the_system_records_the_measured_realisation_with_its_source_and_figures() -> None:
    run = Run()
    to_self_report(run)
    command = RecordMeasurements(measurements=(ikm_measurement(),))
    for person in (EMPLOYEE, APPRAISER, HR):
        with pytest.raises(CommandRefused) as refused:
            run.do(command, person)
        assert refused.value.code == "forbidden"
    events = run.do(command, SYSTEM)
    assert [type(e) for e in events] == [RealisationMeasured]
    assert run.state.measured["ind-ikm"].value == Decimal("82.50")
    assert run.state.measured["ind-ikm"].figures == {"respondents": 40}
    stored = event_data(events[0])
    assert stored["measurement"]["source"]["kind"] == "ikm_unit"
    assert stored["measurement"]["figures"] == {"respondents": 40}
    assert event_from_data("RealisationMeasured", stored) == events[0]
    assert parse_command(command.model_dump(mode="json")) == command


def test_a_measurement_is_recorded_once_per_period() -> None:
    run = Run()
    to_self_report(run)
    run.do(RecordMeasurements(measurements=(ikm_measurement(),)), SYSTEM)
    with pytest.raises(CommandRefused) as refused:
        run.do(RecordMeasurements(measurements=(ikm_measurement("90.00"),)), SYSTEM)
    assert refused.value.code == "phase"
    assert refused.value.field == "measurements[0].indicator_id"
    assert run.state.measured["ind-ikm"].value == Decimal("82.50")


@pytest.mark.parametrize(("change", "field"), [
    ({"indicator_id": "ind-1"}, "measurements[0].indicator_id"),  # not bound
    ({"indicator_id": "ind-x"}, "measurements[0].indicator_id"),  # unknown
    ({"source": IndicatorSource(kind=SourceKind.COMPLAINTS_ON_TIME)}, "measurements[0].source"),
    ({"unit": "dinas-lain"}, "measurements[0].source"),
    ({"period": str(YEAR - 1)}, "measurements[0].period"),
])
def test_a_measurement_must_match_its_indicator(change: dict[str, object], field: str) -> None:
    run = Run()
    to_self_report(run)
    with pytest.raises(CommandRefused) as refused:
        run.do(RecordMeasurements(measurements=(ikm_measurement().model_copy(update=change),)),
               SYSTEM)
    assert (refused.value.code, refused.value.field) == ("invalid", field)
    assert run.state.measured == {}


def test_a_source_naming_its_unit_is_measured_there() -> None:
    run = Run()
    to_self_report(run, bound_skp(IndicatorSource(kind=SourceKind.UNIT_IKM, unit="dishub")))
    with pytest.raises(CommandRefused):
        run.do(RecordMeasurements(measurements=(ikm_measurement(),)), SYSTEM)
    measured = ikm_measurement().model_copy(update={
        "unit": "dishub", "source": IndicatorSource(kind=SourceKind.UNIT_IKM, unit="dishub")})
    run.do(RecordMeasurements(measurements=(measured,)), SYSTEM)
    assert run.state.measured["ind-ikm"].unit == "dishub"


def test_measured_in_review_not_after_the_review_nor_before_the_skp() -> None:
    early = Run()
    early.do(open_command(), HR)
    early.do(DraftTargets(skp=bound_skp()), EMPLOYEE)
    with pytest.raises(CommandRefused) as refused:
        early.do(RecordMeasurements(measurements=(ikm_measurement(),)), SYSTEM)
    assert refused.value.code == "phase"
    run = Run()
    to_self_report(run)
    run.do(SubmitSelfAssessment(assessment=SELF_ASSESSMENT), EMPLOYEE)
    run.do(RecordMeasurements(measurements=(ikm_measurement(),)), SYSTEM)  # review opened
    run.do(SubmitReview(ratings=ratings()), APPRAISER)  # the appraiser rates, having seen it
    with pytest.raises(CommandRefused) as late:
        run.do(RecordMeasurements(measurements=(ikm_measurement(),)), SYSTEM)
    assert late.value.code == "phase"


def test_the_period_is_the_cycle_year_in_the_agencys_zone() -> None:
    start, end = period_bounds(2026, 8)
    assert start.isoformat() == "2026-01-01T00:00:00+08:00"
    assert end.isoformat() == "2026-12-31T23:59:59.999999+08:00"
    assert end - start < timedelta(days=365)


def test_ikm_over_the_year_from_one_tally() -> None:
    tally = Tally(respondents=10, counts={e: 10 for e in ELEMENTS},
                  sums={e: 33 for e in ELEMENTS})
    measured = measure("i", IKM, UNIT, YEAR, survey=tally)
    assert measured.value == Decimal("82.50")  # 3.3 x 25
    assert measured.figures == {"respondents": 10}
    empty = measure("i", IKM, UNIT, YEAR, survey=Tally())
    assert empty.value is None and empty.figures == {"respondents": 0}


def test_median_response_time_in_hours() -> None:
    source = IndicatorSource(kind=SourceKind.COMPLAINT_MEDIAN_RESPONSE)
    odd = measure("i", source, UNIT, YEAR, complaints=ComplaintFigures(3, 7200, 7200, 3, 3))
    assert odd.value == Decimal("2.00")
    even = measure("i", source, UNIT, YEAR, complaints=ComplaintFigures(4, 3600, 5401, 5, 2))
    assert even.value == Decimal("1.25")  # 4500.5 s is 1.2501 h
    assert even.figures == {"answered": 4, "median_seconds": 4500}
    none = measure("i", source, UNIT, YEAR, complaints=ComplaintFigures(0, None, None, 2, 0))
    assert none.value is None and none.figures == {"answered": 0}


@given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=0, max_value=10_000))
def test_share_on_time_is_a_percentage_of_the_judged(on_time: int, late: int) -> None:
    source = IndicatorSource(kind=SourceKind.COMPLAINTS_ON_TIME)
    measured = measure("i", source, UNIT, YEAR,
                       complaints=ComplaintFigures(on_time, None, None, on_time + late, on_time))
    if on_time + late == 0:
        assert measured.value is None
    else:
        assert measured.value is not None and Decimal(0) <= measured.value <= Decimal(100)
        assert abs(measured.value - Decimal(100 * on_time) / (on_time + late)) \
            <= Decimal("0.005")
    assert measured.figures == {"judged": on_time + late, "on_time": on_time}


_STEPS = ("opened", "drafted", "approved", "self_assessed", "reviewed")


@given(st.sampled_from([EMPLOYEE, APPRAISER, HR, SYSTEM]), st.sampled_from(_STEPS),
       st.sampled_from(["ok", "unbound", "other_source", "other_year"]), st.booleans())
def test_only_the_system_measures_a_bound_indicator_in_self_report_or_review(
        actor: object, step: str, variant: str, twice: bool) -> None:
    run = Run()
    run.do(open_command(), HR)
    reached = _STEPS.index(step)
    if reached >= 1:
        run.do(DraftTargets(skp=bound_skp()), EMPLOYEE)
    if reached >= 2:
        run.do(SubmitTargets(), EMPLOYEE)
        run.do(ApproveTargets(), APPRAISER)
    if reached >= 3:
        run.do(SubmitSelfAssessment(assessment=SELF_ASSESSMENT), EMPLOYEE)
    if reached >= 4:
        run.do(SubmitReview(ratings=ratings()), APPRAISER)
    change: dict[str, object] = {
        "ok": {}, "unbound": {"indicator_id": "ind-2"},
        "other_source": {"source": IndicatorSource(kind=SourceKind.COMPLAINTS_ON_TIME)},
        "other_year": {"period": str(YEAR + 1)}}[variant]
    command = RecordMeasurements(measurements=(ikm_measurement().model_copy(update=change),))
    attempts = 2 if twice else 1
    accepted = 0
    for _ in range(attempts):
        before = run.state
        try:
            run.do(command, actor)  # type: ignore[arg-type]
            accepted += 1
        except CommandRefused:
            assert run.state == before  # a refusal changes nothing
    allowed = actor == SYSTEM and step in ("approved", "self_assessed") and variant == "ok"
    assert accepted == (1 if allowed else 0)  # once at most, and only then
    assert ("ind-ikm" in run.state.measured) is allowed


def test_the_evaluation_document_shows_the_measured_realisation_and_its_source() -> None:
    run = Run()
    to_self_report(run)
    run.do(ReportProgress(report=ProgressReport(period=f"{YEAR}-03", realisations=(
        Realisation(indicator_id="ind-1", value=Decimal(30)),))), EMPLOYEE)
    run.do(RecordMeasurements(measurements=(ikm_measurement(),)), SYSTEM)
    run.do(SubmitSelfAssessment(assessment=SELF_ASSESSMENT), EMPLOYEE)
    run.do(SubmitReview(ratings=ratings()), APPRAISER)
    run.do(ReleaseResult(exception_reason="Unit belum dikalibrasi."), HR)
    data = content(DocumentKind.EVALUASI, run.state, {})
    shown = {i["description"]: i["realisation"] for r in data["rhk"] for i in r["indicators"]}
    assert shown["IKM unit layanan"] == f"82.50 (IKM unit {UNIT} {YEAR}; diisi dari data)"
    assert shown["Permohonan terlayani"] == "30"
    skp = content(DocumentKind.SKP, run.state, {})  # the agreement shows no realisation
    assert all(i["realisation"] == "" for r in skp["rhk"] for i in r["indicators"])
