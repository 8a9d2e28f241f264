"""Who is told what: the pure mapping from an appraisal event to its notifications, and
the e-mail preference rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from domain.appraisal import DeadlineKind
from domain.appraisal.events import (
    AppraisalFinalized,
    DeadlinePassed,
    Event,
    ExplanationsRequested,
    FeedbackGiven,
    ObjectionDecided,
    ObjectionFiled,
    ResultAccepted,
    ResultReleased,
    ReviewSubmitted,
    TargetsApproved,
    TargetsReturned,
    TargetsSubmitted,
)
from domain.authorization import Parties, Relation
from domain.notifications import (
    NEEDS_ACTION,
    NotificationKind,
    email_wanted,
    notifications_for,
)
from domain.ratings import Predikat, Rating
from domain.skp import Feedback, ObjectionDecisionOutcome, Ratings, RhkRating

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
K = NotificationKind


def _review() -> ReviewSubmitted:
    return ReviewSubmitted(
        at=AT, ratings=Ratings(rhk=(RhkRating(rhk_id="rhk-1", rating=Rating.MEETS),)),
        suggested_work_result=Rating.MEETS, work_result=Rating.MEETS,
        suggested_behaviour=Rating.MEETS, behaviour=Rating.MEETS, score=None,
        predikat=Predikat.BAIK, revision=1, by="e-boss")


def events() -> dict[str, Event]:
    """One event of each kind that tells somebody, and some that tell nobody."""
    return {
        "returned": TargetsReturned(at=AT, reason="Target kurang terukur"),
        "approved": TargetsApproved(at=AT, by="e-boss"),
        "feedback": FeedbackGiven(at=AT, feedback=Feedback(text="Bagus"), by="e-boss",
                                  relation=Relation.APPRAISER),
        "review": _review(),
        "released": ResultReleased(at=AT, objection_deadline=AT + timedelta(days=14),
                                   exception_reason=None),
        "objection": ObjectionFiled(at=AT, reasons="Tidak sesuai",
                                    decision_deadline=AT + timedelta(days=21)),
        "explanations": ExplanationsRequested(at=AT, parties=("appraiser", "employee"),
                                              questions="Jelaskan"),
        "decided": ObjectionDecided(at=AT, outcome=ObjectionDecisionOutcome.UPHOLD,
                                    reason="Sudah sesuai", work_result=None,
                                    behaviour=None, score=None,
                                    predikat=Predikat.BAIK, by="e-head"),
        "skp_late": DeadlinePassed(at=AT, deadline=DeadlineKind.SKP, due=AT,
                                   escalated_to=Relation.HR),
        "review_late": DeadlinePassed(at=AT, deadline=DeadlineKind.REVIEW, due=AT,
                                      escalated_to=Relation.SUPERIOR),
        "self_late": DeadlinePassed(at=AT, deadline=DeadlineKind.SELF_ASSESSMENT, due=AT,
                                    escalated_to=Relation.APPRAISER),
        "window_closed": DeadlinePassed(at=AT, deadline=DeadlineKind.OBJECTION_WINDOW,
                                        due=AT, escalated_to=None),
        "submitted": TargetsSubmitted(at=AT),
        "accepted": ResultAccepted(at=AT),
        "final": AppraisalFinalized(at=AT, predikat=Predikat.BAIK, basis="accepted"),
    }


FULL = Parties(agency="pemkot", unit="dinas", employee="e-emp", appraiser="e-boss",
               superior="e-head")

EXPECTED: dict[str, list[tuple[NotificationKind, str, bool]]] = {
    "returned": [(K.TARGETS_RETURNED, "e-emp", True)],
    "approved": [(K.TARGETS_APPROVED, "e-emp", False)],
    "feedback": [(K.FEEDBACK_RECEIVED, "e-emp", False)],
    "review": [(K.REVIEW_DONE, "e-emp", False)],
    "released": [(K.RESULT_RELEASED, "e-emp", False)],
    "objection": [(K.OBJECTION_FILED, "e-head", True)],
    "explanations": [(K.EXPLANATIONS_REQUESTED, "e-boss", True),
                     (K.EXPLANATIONS_REQUESTED, "e-emp", True)],
    "decided": [(K.OBJECTION_DECIDED, "e-emp", False), (K.OBJECTION_DECIDED, "e-boss", False)],
    "skp_late": [(K.ESCALATION, "hr", True)],
    "review_late": [(K.ESCALATION, "e-head", True)],
    "self_late": [(K.ESCALATION, "e-boss", True)],
    "window_closed": [],
    "submitted": [],
    "accepted": [],
    "final": [],
}


def test_each_event_tells_the_right_person() -> None:
    for name, event in events().items():
        got = [(n.kind, n.recipient.label, n.needs_action)
               for n in notifications_for(event, appraisal_id="a-1", event_id="ev-1",
                                          parties=FULL)]
        assert got == EXPECTED[name], name


def test_released_result_names_the_objection_window_end() -> None:
    (note,) = notifications_for(events()["released"], appraisal_id="a-1", event_id="ev-1",
                                parties=FULL)
    assert note.detail["objection_deadline"] == (AT + timedelta(days=14)).isoformat()


def test_without_appraiser_or_superior_hr_is_told() -> None:
    top = Parties(agency="pemkot", unit="dinas", employee="e-top", appraiser=None,
                  superior=None)
    (objection,) = notifications_for(events()["objection"], appraisal_id="a", event_id="e",
                                     parties=top)
    assert (objection.recipient.employee, objection.recipient.relation) == (None, Relation.HR)
    explanations = notifications_for(events()["explanations"], appraisal_id="a",
                                     event_id="e", parties=top)
    assert sorted(n.recipient.label for n in explanations) == ["e-top", "hr"]


keys = st.from_regex(r"e-[a-z0-9]{1,6}", fullmatch=True)
parties = st.builds(Parties, agency=st.just("pemkot"), unit=st.just("dinas"),
                    employee=keys, appraiser=st.none() | keys, superior=st.none() | keys)


@given(name=st.sampled_from(sorted(events())), who=parties,
       event_id=st.uuids().map(str))
def test_mapping_properties(name: str, who: Parties, event_id: str) -> None:
    event = events()[name]
    notes = notifications_for(event, appraisal_id="a-1", event_id=event_id, parties=who)
    # pure: the same event gives the same notifications
    assert notes == notifications_for(event, appraisal_id="a-1", event_id=event_id,
                                      parties=who)
    # one per recipient and kind, each key unique and tied to the event
    assert len({n.digest for n in notes}) == len(notes)
    assert len({(n.kind, n.recipient.label) for n in notes}) == len(notes)
    allowed = {who.employee, who.appraiser, who.superior, None}
    for note in notes:
        assert note.event_id == event_id and event_id in note.key
        assert note.recipient.agency == who.agency
        assert note.recipient.employee in allowed
        # the person named by the relation, or HR when nobody holds it
        if note.recipient.employee is None:
            assert note.recipient.relation is Relation.HR
        assert note.needs_action == (note.kind in NEEDS_ACTION)
    # the same event under another id is another notification
    other = notifications_for(event, appraisal_id="a-1", event_id=event_id + "x",
                              parties=who)
    assert not {n.digest for n in notes} & {n.digest for n in other}


@given(needs_action=st.booleans(), email_information=st.booleans())
def test_preference_never_silences_what_needs_action(needs_action: bool,
                                                     email_information: bool) -> None:
    wanted = email_wanted(needs_action, email_information)
    if needs_action:
        assert wanted
    else:
        assert wanted == email_information
