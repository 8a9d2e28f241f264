"""The appraisal state machine: the lifecycle, and a refusal at every phase."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bench.harness.builders import (
    APPRAISER,
    EMPLOYEE,
    HR,
    INSPECTOR,
    OTHER_HR,
    PEER,
    STRANGER,
    SUPERIOR,
    SYSTEM,
    YEAR,
    Run,
    open_command,
    ratings,
    sample_skp,
)
from domain.appraisal import (
    AcceptResult,
    AppraisalState,
    ApproveTargets,
    CancelAppraisal,
    Command,
    CommandRefused,
    DeadlineKind,
    DecideObjection,
    DraftTargets,
    ExtendDeadline,
    FileObjection,
    GiveExplanation,
    GiveFeedback,
    LogActivity,
    PassDeadline,
    Phase,
    PositionKind,
    RecordOrganisationRating,
    ReleaseResult,
    ReportProgress,
    RequestExplanations,
    ReturnTargets,
    SetTargets,
    SubmitReview,
    SubmitSelfAssessment,
    SubmitTargets,
    TargetStatus,
    event_data,
    event_from_data,
    fold,
    invariant_violations,
)
from domain.authorization import Actor, Relation
from domain.calibration import OrganisationRating
from domain.integrity import canonical_json
from domain.policy import POLICY_PP30_2019
from domain.ratings import Predikat, Rating
from domain.skp import (
    Approach,
    DailyActivity,
    Feedback,
    NumericScores,
    ProgressReport,
    Realisation,
    RhkSelfRating,
    SelfAssessment,
)

SELF_ASSESSMENT = SelfAssessment(
    ratings=tuple(RhkSelfRating(rhk_id=f"rhk-{i}", proposed=Rating.ABOVE) for i in (1, 2, 3)),
    narrative="Target tercapai.",
)


def to_self_report(run: Run) -> None:
    run.do(open_command(), HR)
    run.do(DraftTargets(skp=sample_skp()), EMPLOYEE)
    run.do(SubmitTargets(), EMPLOYEE)
    run.do(ApproveTargets(), APPRAISER)


def to_calibration(run: Run, review_ratings: object = None) -> None:
    to_self_report(run)
    run.do(SubmitSelfAssessment(assessment=SELF_ASSESSMENT), EMPLOYEE)
    run.do(SubmitReview(ratings=review_ratings or ratings()), APPRAISER)


def to_objection_review(run: Run) -> None:
    to_calibration(run)
    run.do(ReleaseResult(), HR)
    run.do(FileObjection(reasons="Penilaian perilaku tidak sesuai bukti."), EMPLOYEE)


def test_happy_path_from_targets_to_final() -> None:
    run = Run()
    to_self_report(run)
    assert run.state.phase is Phase.SELF_REPORT
    run.do(ReportProgress(report=ProgressReport(
        period=f"{YEAR}-03", realisations=(Realisation(indicator_id="ind-1", value=30),),
        evidence=({"kind": "link", "description": "rekap", "url": "https://drive.example/r"},),
    )), EMPLOYEE)
    run.do(LogActivity(activity=DailyActivity(day=run.now.date(), rhk_id="rhk-1",
                                              description="Melayani 5 permohonan")), EMPLOYEE)
    run.do(GiveFeedback(feedback=Feedback(text="Bagus", rhk_id="rhk-1")), APPRAISER)
    run.do(GiveFeedback(feedback=Feedback(text="Membantu", value="kolaboratif")), PEER)
    run.do(SubmitSelfAssessment(assessment=SELF_ASSESSMENT), EMPLOYEE)
    assert run.state.phase is Phase.REVIEW
    run.do(SubmitReview(ratings=ratings(Rating.ABOVE, Rating.ABOVE)), APPRAISER)
    assert run.state.phase is Phase.CALIBRATION
    assert run.state.predikat is Predikat.SANGAT_BAIK
    run.do(ReleaseResult(), HR)
    # Released 5 January 20:00 WIB: the window runs to the end of 19 January WIB.
    assert run.state.deadlines[DeadlineKind.OBJECTION_WINDOW] == datetime(
        YEAR, 1, 19, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=7)))
    run.do(AcceptResult(), EMPLOYEE)
    assert run.state.phase is Phase.FINAL and run.state.final_basis == "accepted"
    assert [e.type for e in run.events][-2:] == ["ResultAccepted", "AppraisalFinalized"]
    assert {f.relation for f in run.state.feedback} == {Relation.APPRAISER, Relation.PEER}
    assert fold(run.events) == run.state
    assert invariant_violations(run.state) == []


def test_return_and_resubmit_targets() -> None:
    run = Run()
    run.do(open_command(), HR)
    run.do(DraftTargets(skp=sample_skp()), EMPLOYEE)
    run.do(SubmitTargets(), EMPLOYEE)
    with pytest.raises(CommandRefused, match="with the appraiser"):
        run.do(DraftTargets(skp=sample_skp()), EMPLOYEE)
    run.do(ReturnTargets(reason="Tambahkan indikator kualitas."), APPRAISER)
    assert run.state.targets_status is TargetStatus.RETURNED
    assert run.state.return_reason == "Tambahkan indikator kualitas."
    run.do(DraftTargets(skp=sample_skp(Approach.QUALITATIVE)), EMPLOYEE)
    run.do(SubmitTargets(), EMPLOYEE)
    assert run.state.return_reason is None
    run.do(ApproveTargets(), APPRAISER)
    assert run.state.phase is Phase.SELF_REPORT


def test_objection_upheld() -> None:
    run = Run()
    to_objection_review(run)
    with pytest.raises(CommandRefused, match="explanations before deciding"):
        run.do(DecideObjection(outcome="uphold", reason="Sesuai."), SUPERIOR)
    with pytest.raises(CommandRefused, match="not asked you"):
        run.do(GiveExplanation(text="..."), APPRAISER)
    run.do(RequestExplanations(parties={"employee", "appraiser"}, questions="Jelaskan."),
           SUPERIOR)
    run.do(GiveExplanation(text="Bukti terlampir."), APPRAISER)
    with pytest.raises(CommandRefused, match="not asked you"):
        run.do(GiveExplanation(text="lagi"), APPRAISER)
    run.do(GiveExplanation(text="Saya keberatan."), EMPLOYEE)
    run.do(DecideObjection(outcome="uphold", reason="Penilaian sudah sesuai."), SUPERIOR)
    assert run.state.phase is Phase.FINAL
    assert run.state.predikat is Predikat.BAIK
    assert run.state.final_basis == "objection_decided"
    assert fold(run.events) == run.state


def test_objection_changes_the_predikat() -> None:
    run = Run()
    to_objection_review(run)
    run.do(RequestExplanations(parties={"appraiser"}, questions="Dasar penilaian?"), SUPERIOR)
    with pytest.raises(CommandRefused, match="must change a rating"):
        run.do(DecideObjection(outcome="change", reason="x", work_result=Rating.MEETS),
               SUPERIOR)
    run.do(DecideObjection(outcome="change", reason="Bukti kuat.", work_result=Rating.ABOVE,
                           behaviour=Rating.ABOVE), SUPERIOR)
    assert run.state.predikat is Predikat.SANGAT_BAIK
    assert run.state.objection is not None
    assert run.state.objection.decision is not None
    assert run.state.review is not None and run.state.review.predikat is Predikat.BAIK


def test_objection_window_closing_finalizes() -> None:
    run = Run()
    to_calibration(run)
    run.do(ReleaseResult(), HR)
    due = run.state.deadlines[DeadlineKind.OBJECTION_WINDOW]
    with pytest.raises(CommandRefused, match="deadline is"):
        run.do(PassDeadline(deadline=DeadlineKind.OBJECTION_WINDOW), SYSTEM,
               at=due - timedelta(seconds=1))
    run.do(PassDeadline(deadline=DeadlineKind.OBJECTION_WINDOW), SYSTEM, at=due)
    assert run.state.phase is Phase.FINAL
    assert run.state.final_basis == "objection_window_closed"
    with pytest.raises(CommandRefused, match="final"):
        run.do(FileObjection(reasons="terlambat"), EMPLOYEE)


def test_objection_after_the_window_is_refused() -> None:
    run = Run()
    to_calibration(run)
    run.do(ReleaseResult(), HR)
    due = run.state.deadlines[DeadlineKind.OBJECTION_WINDOW]
    with pytest.raises(CommandRefused, match="window closed"):
        run.do(FileObjection(reasons="terlambat"), EMPLOYEE, at=due + timedelta(seconds=1))


def test_skp_deadline_escalates_to_hr_who_may_then_set_it() -> None:
    run = Run()
    run.do(open_command(), HR)
    with pytest.raises(CommandRefused, match="only after its deadline"):
        run.do(SetTargets(skp=sample_skp(), reason="x"), HR)
    due = run.state.deadlines[DeadlineKind.SKP]
    (passed,) = run.do(PassDeadline(deadline=DeadlineKind.SKP), SYSTEM, at=due)
    assert passed.escalated_to is Relation.HR
    with pytest.raises(CommandRefused, match="not running"):
        run.do(PassDeadline(deadline=DeadlineKind.SKP), SYSTEM)
    run.do(SetTargets(skp=sample_skp(), reason="Tidak ada SKP disetujui."), HR)
    assert run.state.targets_status is TargetStatus.SET_BY_HR
    assert run.state.phase is Phase.SELF_REPORT


def test_extension_moves_the_deadline_and_rearms_it() -> None:
    run = Run()
    run.do(open_command(), HR)
    due = run.state.deadlines[DeadlineKind.SKP]
    run.do(PassDeadline(deadline=DeadlineKind.SKP), SYSTEM, at=due)
    assert run.state.next_deadline() is None
    later = due + timedelta(days=10)
    with pytest.raises(CommandRefused, match="later than"):
        run.do(ExtendDeadline(deadline=DeadlineKind.SKP, until=due, reason="x"), HR)
    run.do(ExtendDeadline(deadline=DeadlineKind.SKP, until=later, reason="Gangguan sistem."), HR)
    assert run.state.next_deadline() == (DeadlineKind.SKP, later)


def test_review_deadline_lets_the_superior_review() -> None:
    run = Run()
    to_self_report(run)
    run.do(SubmitSelfAssessment(assessment=SELF_ASSESSMENT), EMPLOYEE)
    with pytest.raises(CommandRefused, match="only after the review deadline"):
        run.do(SubmitReview(ratings=ratings()), SUPERIOR)
    due = run.state.deadlines[DeadlineKind.REVIEW]
    (passed,) = run.do(PassDeadline(deadline=DeadlineKind.REVIEW), SYSTEM, at=due)
    assert passed.escalated_to is Relation.SUPERIOR
    run.do(SubmitReview(ratings=ratings()), SUPERIOR)
    assert run.state.phase is Phase.CALIBRATION


def test_missed_self_assessment_moves_to_review() -> None:
    run = Run()
    to_self_report(run)
    due = run.state.deadlines[DeadlineKind.SELF_ASSESSMENT]
    run.do(PassDeadline(deadline=DeadlineKind.SELF_ASSESSMENT), SYSTEM, at=due)
    assert run.state.phase is Phase.REVIEW and run.state.self_assessment is None


def test_objection_decision_deadline_escalates_to_hr_without_deciding() -> None:
    run = Run()
    to_objection_review(run)
    due = run.state.deadlines[DeadlineKind.OBJECTION_DECISION]
    (passed,) = run.do(PassDeadline(deadline=DeadlineKind.OBJECTION_DECISION), SYSTEM, at=due)
    assert passed.escalated_to is Relation.HR
    assert run.state.phase is Phase.OBJECTION_REVIEW


def test_review_override_needs_a_reason() -> None:
    run = Run()
    to_self_report(run)
    run.do(SubmitSelfAssessment(assessment=SELF_ASSESSMENT), EMPLOYEE)
    with pytest.raises(CommandRefused) as refused:
        run.do(SubmitReview(ratings=ratings(work_result=Rating.ABOVE)), APPRAISER)
    assert refused.value.field == "ratings.work_result_reason"
    run.do(SubmitReview(ratings=ratings(work_result=Rating.ABOVE,
                                        work_result_reason="Inovasi layanan.")), APPRAISER)
    assert run.state.review is not None
    assert (run.state.review.suggested_work_result, run.state.review.work_result) == (
        Rating.MEETS, Rating.ABOVE)
    assert run.state.predikat is Predikat.BAIK
    # Revision while held for calibration.
    run.do(SubmitReview(ratings=ratings(Rating.BELOW)), APPRAISER)
    assert run.state.review.revision == 2
    assert run.state.predikat is Predikat.BUTUH_PERBAIKAN


def test_unit_leader_takes_the_organisation_rating() -> None:
    run = Run()
    run.do(open_command(is_unit_leader=True, position_kind=PositionKind.ADMINISTRATOR), HR)
    run.do(DraftTargets(skp=sample_skp()), EMPLOYEE)
    run.do(SubmitTargets(), EMPLOYEE)
    run.do(ApproveTargets(), APPRAISER)
    run.do(SubmitSelfAssessment(assessment=SELF_ASSESSMENT), EMPLOYEE)
    with pytest.raises(CommandRefused, match="organisation rating"):
        run.do(SubmitReview(ratings=ratings(Rating.BELOW)), APPRAISER)
    run.do(RecordOrganisationRating(rating=OrganisationRating.ISTIMEWA), HR)
    with pytest.raises(CommandRefused, match="takes the unit's organisation rating"):
        run.do(SubmitReview(ratings=ratings(work_result=Rating.MEETS, work_result_reason="x")),
               APPRAISER)
    run.do(SubmitReview(ratings=ratings(Rating.BELOW, Rating.ABOVE)), APPRAISER)
    assert run.state.review is not None and run.state.review.work_result is Rating.ABOVE
    assert run.state.predikat is Predikat.SANGAT_BAIK


def test_numeric_policy_needs_scores() -> None:
    run = Run()
    run.do(open_command(policy=POLICY_PP30_2019), HR)
    run.do(DraftTargets(skp=sample_skp()), EMPLOYEE)
    run.do(SubmitTargets(), EMPLOYEE)
    run.do(ApproveTargets(), APPRAISER)
    run.do(SubmitSelfAssessment(assessment=SELF_ASSESSMENT), EMPLOYEE)
    with pytest.raises(CommandRefused, match="numeric scores"):
        run.do(SubmitReview(ratings=ratings()), APPRAISER)
    with pytest.raises(CommandRefused, match="at most 120"):
        run.do(SubmitReview(ratings=ratings(numeric=NumericScores(
            skp_score=130, behaviour_score=90))), APPRAISER)
    run.do(SubmitReview(ratings=ratings(numeric=NumericScores(
        skp_score=85, behaviour_score=80))), APPRAISER)
    assert run.state.review is not None and str(run.state.review.score) == "83.50"
    assert run.state.predikat is Predikat.CUKUP


def test_cancel_is_terminal() -> None:
    run = Run()
    to_self_report(run)
    with pytest.raises(CommandRefused) as refused:
        run.do(CancelAppraisal(reason_kind="transfer", reason="Mutasi"), EMPLOYEE)
    assert refused.value.code == "forbidden"
    run.do(CancelAppraisal(reason_kind="transfer", reason="Mutasi ke Dinas Kesehatan"), HR)
    assert run.state.phase is Phase.CANCELLED
    with pytest.raises(CommandRefused, match="cancelled"):
        run.do(ReportProgress(report=ProgressReport(
            period=f"{YEAR}-04", realisations=(Realisation(indicator_id="ind-1", value=1),))),
            EMPLOYEE)


# One refused command at every phase: who, why, and the code the API maps.
REFUSALS = [
    ("not opened", lambda run: None, SubmitTargets(), EMPLOYEE, "phase"),
    ("target setting: employee cannot approve",
     lambda run: (run.do(open_command(), HR), run.do(DraftTargets(skp=sample_skp()), EMPLOYEE),
                  run.do(SubmitTargets(), EMPLOYEE)),
     ApproveTargets(), EMPLOYEE, "forbidden"),
    ("target setting: nothing to submit", lambda run: run.do(open_command(), HR),
     SubmitTargets(), EMPLOYEE, "phase"),
    ("self report: progress for a foreign indicator", to_self_report,
     ReportProgress(report=ProgressReport(period=f"{YEAR}-02", realisations=(
         Realisation(indicator_id="nope", value=1),))), EMPLOYEE, "invalid"),
    ("self report: a period of another year", to_self_report,
     ReportProgress(report=ProgressReport(period=f"{YEAR + 1}-Q1", realisations=(
         Realisation(indicator_id="ind-1", value=1),))), EMPLOYEE, "invalid"),
    ("self report: review too early", to_self_report, SubmitReview(ratings=ratings()),
     APPRAISER, "phase"),
    ("self report: a stranger's feedback", to_self_report,
     GiveFeedback(feedback=Feedback(text="x")), STRANGER, "forbidden"),
    ("review: self-assessment twice",
     lambda run: (to_self_report(run),
                  run.do(SubmitSelfAssessment(assessment=SELF_ASSESSMENT), EMPLOYEE)),
     SubmitSelfAssessment(assessment=SELF_ASSESSMENT), EMPLOYEE, "phase"),
    ("calibration: objection before release", to_calibration,
     FileObjection(reasons="x"), EMPLOYEE, "phase"),
    ("calibration: HR of another agency releases", to_calibration, ReleaseResult(),
     OTHER_HR, "forbidden"),
    ("objection window: inspector decides",
     lambda run: (to_calibration(run), run.do(ReleaseResult(), HR)),
     AcceptResult(), INSPECTOR, "forbidden"),
    ("objection review: employee objects twice", to_objection_review,
     FileObjection(reasons="x"), EMPLOYEE, "phase"),
    ("objection review: appraiser decides", to_objection_review,
     DecideObjection(outcome="uphold", reason="x"), APPRAISER, "forbidden"),
]


@pytest.mark.parametrize(("name", "prepare", "command", "actor", "code"), REFUSALS,
                         ids=[r[0] for r in REFUSALS])
def test_refused_command_changes_nothing(name, prepare, command, actor, code) -> None:  # type: ignore[no-untyped-def]
    run = Run()
    prepare(run)
    before = run.state
    with pytest.raises(CommandRefused) as refused:
        run.do(command, actor)
    assert refused.value.code == code
    assert refused.value.reason
    assert run.state == before


def test_quantitative_skp_needs_numbers() -> None:
    run = Run()
    run.do(open_command(), HR)
    qualitative_targets = sample_skp(Approach.QUALITATIVE).model_copy(
        update={"approach": Approach.QUANTITATIVE})
    with pytest.raises(CommandRefused) as refused:
        run.do(DraftTargets(skp=qualitative_targets), EMPLOYEE)
    assert refused.value.field == "skp.rhk[0].indicators[0].target"


def test_jpt_needs_perspectives() -> None:
    run = Run()
    run.do(open_command(position_kind=PositionKind.JPT), HR)
    with pytest.raises(CommandRefused, match="perspective") as refused:
        run.do(DraftTargets(skp=sample_skp()), EMPLOYEE)
    assert refused.value.field == "skp.rhk[0].perspective"


def test_events_round_trip_through_canonical_json() -> None:
    run = Run()
    to_objection_review(run)
    stored = [(e.type, canonical_json(event_data(e))) for e in run.events]
    import json

    rebuilt = [event_from_data(t, json.loads(raw)) for t, raw in stored]
    assert rebuilt == run.events
    assert fold(rebuilt) == run.state
    assert AppraisalState.model_validate_json(run.state.model_dump_json()) == run.state


def refused(run: Run, command: Command, actor: Actor) -> CommandRefused:
    from domain.appraisal import decide

    with pytest.raises(CommandRefused) as caught:
        decide(run.state, command, actor=actor, at=run.now)
    return caught.value


def test_a_reassignment_moves_who_acts_as_appraiser_and_superior_from_then_on() -> None:
    from domain.appraisal import ReassignParties
    from domain.authorization import Role

    run = Run()
    run.do(open_command(), HR)
    run.do(DraftTargets(skp=sample_skp()), EMPLOYEE)
    run.do(SubmitTargets(), EMPLOYEE)
    new_boss = Actor(subject="boss-2", roles=frozenset({Role.EMPLOYEE}),
                     agency=APPRAISER.agency, unit=APPRAISER.unit)
    assert refused(run, ReassignParties(appraiser="boss-2", superior="head-1", reason="mutasi"),
                       APPRAISER).code == "forbidden"
    run.do(ReassignParties(appraiser="boss-2", superior="head-1", reason="mutasi"), SYSTEM)
    assert run.state.parties is not None and run.state.parties.appraiser == "boss-2"
    assert refused(run, ApproveTargets(), APPRAISER).code == "forbidden"  # no longer theirs
    run.do(ApproveTargets(), new_boss)
    assert refused(run, ReassignParties(appraiser="boss-2", superior="head-1", reason="x"),
                       HR).code == "invalid"  # nothing changes
    assert refused(run, ReassignParties(appraiser="emp-1", superior="head-1", reason="x"),
                       HR).field == "appraiser"  # nobody appraises themself


def test_release_needs_the_unit_calibrated_or_an_exception() -> None:
    run = Run()
    to_calibration(run)
    with pytest.raises(CommandRefused, match="release the unit") as refused:
        run.do(ReleaseResult(unit_calibrated=False), HR)
    assert refused.value.field == "exception_reason"
    (released,) = run.do(ReleaseResult(unit_calibrated=False,
                                       exception_reason="Penilaian terlambat; unit kecil."), HR)
    assert released.exception_reason == "Penilaian terlambat; unit kecil."
    assert run.state.phase is Phase.OBJECTION_WINDOW


def test_late_release_follows_a_unit_released_after_its_calibration_passed() -> None:
    run = Run()
    to_calibration(run)
    run.do(ReleaseResult(unit_calibrated=True), HR)
    assert run.state.phase is Phase.OBJECTION_WINDOW


def test_a_stored_event_of_the_wrong_type_is_refused_from_its_canonical_bytes() -> None:
    """Strict: a value the canonical form never writes (a number for a date, an unknown
    type, a member the event does not have) is a ValidationError, not coerced."""
    from pydantic import ValidationError

    from domain.appraisal import event_from_canonical

    good = (b'{"data":{"activity":{"day":"2026-01-15","description":"x","minutes":90,'
            b'"rhk_id":"rhk-1"},"at":"2026-01-15T00:00:00Z"},"type":"ActivityLogged"}')
    assert event_from_canonical(good).type == "ActivityLogged"
    for bad in (good.replace(b'"minutes":90', b'"minutes":"90"'),
                good.replace(b'"ActivityLogged"', b'"Nothing"'),
                good.replace(b'"at":', b'"extra":1,"at":')):
        with pytest.raises(ValidationError):
            event_from_canonical(bad)
