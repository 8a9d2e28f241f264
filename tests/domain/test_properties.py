"""Property-based tests: random command sequences by random actors at random moments."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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
    TERMINAL_PHASES,
    AcceptResult,
    ApproveTargets,
    CancelAppraisal,
    CommandRefused,
    DeadlineKind,
    DecideObjection,
    DraftTargets,
    ExtendDeadline,
    ExtendPeriodDeadline,
    FileObjection,
    GiveExplanation,
    GiveFeedback,
    LogActivity,
    PassDeadline,
    PassPeriodDeadline,
    PositionKind,
    RecordOrganisationRating,
    ReleaseResult,
    ReportProgress,
    RequestExplanations,
    ReturnTargets,
    ReviewPeriod,
    SetTargets,
    SubmitReview,
    SubmitSelfAssessment,
    SubmitTargets,
    decide,
    event_data,
    event_from_canonical,
    event_from_data,
    fold,
    invariant_violations,
)
from domain.calibration import OrganisationRating
from domain.integrity import canonical_event, event_id
from domain.policy import POLICY_PP30_2019
from domain.ratings import Rating
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

FAR = datetime(YEAR + 3, 6, 1, tzinfo=UTC)
COMMANDS = [
    open_command(),
    open_command(policy=POLICY_PP30_2019),
    open_command(is_unit_leader=True, position_kind=PositionKind.SUPERVISOR),
    DraftTargets(skp=sample_skp()),
    DraftTargets(skp=sample_skp(Approach.QUALITATIVE)),
    SubmitTargets(),
    ReturnTargets(reason="Perbaiki."),
    ApproveTargets(),
    SetTargets(skp=sample_skp(), reason="Tenggat lewat."),
    ReportProgress(report=ProgressReport(
        period=f"{YEAR}-Q2", realisations=(Realisation(indicator_id="ind-2", value=7),))),
    LogActivity(activity=DailyActivity(day=date(YEAR, 1, 5), rhk_id="rhk-3",
                                       description="Menyusun materi")),
    GiveFeedback(feedback=Feedback(text="Pertahankan", rhk_id="rhk-2")),
    SubmitSelfAssessment(assessment=SelfAssessment(
        ratings=tuple(RhkSelfRating(rhk_id=f"rhk-{i}", proposed=Rating.MEETS) for i in (1, 2, 3)),
        narrative="Sesuai.")),
    SubmitReview(ratings=ratings()),
    SubmitReview(ratings=ratings(Rating.ABOVE, Rating.BELOW)),
    SubmitReview(ratings=ratings(Rating.BELOW, numeric=NumericScores(skp_score=60,
                                                                     behaviour_score=70))),
    RecordOrganisationRating(rating=OrganisationRating.BAIK),
    ReleaseResult(),
    ReleaseResult(exception_reason="Unit kecil; kurva tidak bermakna."),
    AcceptResult(),
    FileObjection(reasons="Tidak sesuai."),
    RequestExplanations(parties={"employee", "appraiser"}, questions="Jelaskan."),
    GiveExplanation(text="Penjelasan."),
    DecideObjection(outcome="uphold", reason="Sesuai."),
    DecideObjection(outcome="change", reason="Diubah.", work_result=Rating.ABOVE,
                    behaviour=Rating.ABOVE,
                    numeric=None),
    DecideObjection(outcome="change", reason="Diubah.", numeric=NumericScores(
        skp_score=115, behaviour_score=115, innovation=True)),
    *[ReviewPeriod(period=n, ratings=ratings(), feedback="Pertahankan.") for n in (1, 2, 4)],
    ReviewPeriod(period=3, ratings=ratings(Rating.ABOVE, numeric=NumericScores(
        skp_score=100, behaviour_score=90)), feedback="Baik."),
    *[PassPeriodDeadline(period=n) for n in (1, 2, 3, 4)],
    *[ExtendPeriodDeadline(period=n, due=datetime(YEAR + 1, 1, 20, tzinfo=UTC),
                           reason="Penilai cuti.") for n in (1, 2, 3, 4)],
    *[PassDeadline(deadline=kind) for kind in DeadlineKind],
    *[ExtendDeadline(deadline=kind, until=FAR, reason="Perpanjangan.") for kind in DeadlineKind],
    CancelAppraisal(reason_kind="retirement", reason="Pensiun"),
]
ACTORS = [EMPLOYEE, APPRAISER, SUPERIOR, PEER, STRANGER, HR, OTHER_HR, INSPECTOR, SYSTEM]
NATURAL_ACTOR = {
    "open": HR, "draft_targets": EMPLOYEE, "submit_targets": EMPLOYEE,
    "return_targets": APPRAISER, "approve_targets": APPRAISER, "set_targets": HR,
    "report_progress": EMPLOYEE, "log_activity": EMPLOYEE, "give_feedback": PEER,
    "submit_self_assessment": EMPLOYEE, "submit_review": APPRAISER,
    "record_organisation_rating": HR, "release": HR, "accept_result": EMPLOYEE,
    "file_objection": EMPLOYEE, "request_explanations": SUPERIOR, "give_explanation": EMPLOYEE,
    "decide_objection": SUPERIOR, "extend_deadline": HR, "pass_deadline": SYSTEM,
    "cancel": HR, "review_period": APPRAISER, "pass_period_deadline": SYSTEM,
    "extend_period_deadline": HR,
}
"""Who normally sends each command; most generated steps use them so later phases are reached."""

ADVANCES = [timedelta(minutes=5), timedelta(days=3), timedelta(days=20), timedelta(days=200)]


def _accepted_now(run: Run) -> list[tuple[object, object]]:
    """Commands (with their natural actor) that the current state would accept now."""
    found = []
    for command in COMMANDS:
        if command.kind == "cancel":  # rare in life; the unguided steps still cancel
            continue
        actor = NATURAL_ACTOR[command.kind]
        try:
            decide(run.state, command, actor=actor, at=run.now + timedelta(minutes=5))
        except CommandRefused:
            continue
        found.append((command, actor))
    return found


def random_run(data: st.DataObject, max_steps: int = 60) -> Run:
    """A run of random steps: mostly commands the state accepts (so every phase is
    reached), sometimes any command by any actor after any pause."""
    run = Run()
    run.do(COMMANDS[0], HR)
    for _ in range(data.draw(st.integers(0, max_steps), label="steps")):
        accepted = _accepted_now(run)
        if accepted and data.draw(st.integers(0, 9), label="guided") < 7:
            command, actor = data.draw(st.sampled_from(accepted), label="accepted")
            advance = timedelta(minutes=5)
        else:
            command = data.draw(st.sampled_from(COMMANDS), label="command")
            actor = data.draw(st.sampled_from(ACTORS), label="actor")
            advance = data.draw(st.sampled_from(ADVANCES), label="advance")
        before, was_terminal = run.state, run.state.phase in TERMINAL_PHASES
        try:
            new = run.do(command, actor, advance=advance)  # type: ignore[arg-type]
        except CommandRefused as refused:
            assert refused.code in {"forbidden", "phase", "invalid"}
            assert refused.reason
            assert run.state == before
            continue
        assert not was_terminal, "final and cancelled are terminal"
        assert new, "an accepted command records at least one event"
        assert invariant_violations(run.state) == []
        assert run.state.version == len(run.events)
    return run


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_sequences_keep_every_invariant(data: st.DataObject) -> None:
    run = random_run(data)
    assert fold(run.events) == run.state


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_stored_events_fold_to_the_same_state(data: st.DataObject) -> None:
    run = random_run(data)
    stored = [(e.type, event_data(e)) for e in run.events]
    assert fold(event_from_data(t, d) for t, d in stored) == run.state


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_events_validated_from_their_canonical_bytes_are_the_stored_ones(
        data: st.DataObject) -> None:
    """The replay's path (straight from the canonical bytes, strict) rebuilds exactly what
    the stored type and data do, and the states folded from either are equal, to their
    JSON (the evolve step's copy keeps what model_copy kept; both read the keys of a
    mapping in the canonical, sorted order)."""
    run = random_run(data)
    stream = "appraisal-c-e"
    canonical = [canonical_event(event_id=event_id(stream, v), stream_id=stream, version=v,
                                 type=e.type, schema_version=1, data=event_data(e),
                                 metadata={"actor": "x"}, recorded_at=e.at)
                 for v, e in enumerate(run.events, start=1)]
    rebuilt = [event_from_canonical(c) for c in canonical]
    parsed = [json.loads(c) for c in canonical]
    from_data = [event_from_data(p["type"], p["data"]) for p in parsed]
    assert rebuilt == from_data == run.events
    folded = fold(rebuilt)
    assert folded == run.state
    assert folded.model_dump_json() == fold(from_data).model_dump_json()
    assert folded.model_fields_set == run.state.model_fields_set


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_nothing_changes_a_terminal_appraisal(data: st.DataObject) -> None:
    run = random_run(data)
    if run.state.phase not in TERMINAL_PHASES:
        return
    for command in COMMANDS:
        for actor in ACTORS:
            try:
                run.do(command, actor, advance=timedelta(days=400))
            except CommandRefused:
                continue
            raise AssertionError(f"a {run.state.phase} appraisal accepted {command.kind}")
