"""The cycle's rules (domain.cycle), without Temporal or PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.appraisal import CommandRefused, DeadlineKind
from domain.authorization import SYSTEM_ACTOR, Actor, Role
from domain.calibration import OrganisationRating, check_distribution
from domain.cycle import (
    CloseCycle,
    CreateCycle,
    CycleCommand,
    CycleMember,
    CycleState,
    CycleStatus,
    MoveDeadline,
    RecordPage,
    ReleaseUnit,
    SetOrganisationRating,
    StartCycle,
    decide,
    event_data,
    event_from_data,
    fold,
    roster_digest,
)
from domain.policy import POLICY_6_2022, default_calendar
from domain.ratings import Predikat

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
HR = Actor(subject="e-hr", roles=frozenset({Role.HR}), agencies=frozenset({"pemkot-a"}))
OTHER_HR = Actor(subject="e-hr2", roles=frozenset({Role.HR}), agencies=frozenset({"pemkot-b"}))
EMPLOYEE = Actor(subject="e-1", roles=frozenset({Role.EMPLOYEE}), agency="pemkot-a")
CREATE = CreateCycle(agency="pemkot-a", year=2026, calendar=default_calendar(2026, POLICY_6_2022),
                     page_size=10)
START = StartCycle(roster_digest="a" * 64, members=25, units=("dinkes", "diskominfo"))


def run(*commands: tuple[CycleCommand, Actor], state: CycleState | None = None) -> CycleState:
    state = state or CycleState()
    for command, actor in commands:
        state = fold(decide(state, command, actor=actor, at=NOW), state)
    return state


def refused(state: CycleState, command: CycleCommand, actor: Actor = HR) -> CommandRefused:
    with pytest.raises(CommandRefused) as caught:
        decide(state, command, actor=actor, at=NOW)
    return caught.value


def started() -> CycleState:
    return run((CREATE, HR), (START, HR))


def check(rating: OrganisationRating, *predikat: Predikat) -> ReleaseUnit:
    return ReleaseUnit(unit="dinkes",
                       check=check_distribution(rating, predikat, POLICY_6_2022.curve))


def test_start_freezes_the_roster_and_queues_the_opening_in_pages() -> None:
    state = started()
    assert state.status is CycleStatus.STARTING and state.roster_digest == "a" * 64
    assert [p.work.kind for p in state.pending] == ["open_appraisals"]
    for offset, done in ((0, False), (10, False), (20, True)):
        page = RecordPage(work=0, offset=offset, reached=10 if not done else 5, done=done)
        state = run((page, SYSTEM_ACTOR), state=state)
    assert state.status is CycleStatus.RUNNING and state.pending == () and state.work_done == 1
    assert refused(state, START).code == "phase"  # once


def test_who_may_run_a_cycle() -> None:
    assert refused(CycleState(), CREATE, OTHER_HR).code == "forbidden"
    assert refused(CycleState(), CREATE, EMPLOYEE).code == "forbidden"
    state = started()
    assert refused(state, RecordPage(work=0, offset=0, reached=1, done=True)).code == "forbidden"
    assert refused(state, SetOrganisationRating(unit="dinkes", rating=OrganisationRating.BAIK),
                   OTHER_HR).code == "forbidden"


def test_pages_are_recorded_in_order_only() -> None:
    state = started()
    assert refused(state, RecordPage(work=0, offset=10, reached=1, done=False),
                   SYSTEM_ACTOR).field == "offset"
    assert refused(state, RecordPage(work=7, offset=0, reached=1, done=False),
                   SYSTEM_ACTOR).field == "work"


def test_an_empty_roster_and_a_bad_calendar_are_refused() -> None:
    created = run((CREATE, HR))
    assert refused(created, START.model_copy(update={"members": 0})).field == "roster"
    calendar = CREATE.calendar.model_copy(update={"skp_deadline": CREATE.calendar.review_deadline})
    assert refused(CycleState(), CREATE.model_copy(update={"calendar": calendar})).field == \
        "calendar"
    assert refused(CycleState(), CREATE.model_copy(update={"policy": "nope"})).field == "policy"
    late = CREATE.calendar.model_copy(update={"skp_deadline": NOW - timedelta(days=1)})
    assert refused(CycleState(), CREATE.model_copy(update={"calendar": late})).field == \
        "calendar.skp_deadline"
    assert refused(created, MoveDeadline(deadline=DeadlineKind.SKP, until=NOW + timedelta(days=1),
                                         reason="x")).code == "phase"  # not started


def test_deadline_moves_reach_a_unit_or_the_cycle_and_must_lie_ahead() -> None:
    state = started()
    assert refused(state, MoveDeadline(deadline=DeadlineKind.SKP, until=NOW - timedelta(days=1),
                                       reason="x")).field == "until"
    assert refused(state, MoveDeadline(deadline=DeadlineKind.SKP, until=NOW + timedelta(days=1),
                                       reason="x", unit="nowhere")).field == "unit"
    state = run((MoveDeadline(deadline=DeadlineKind.SKP, until=NOW + timedelta(days=9),
                              reason="jaringan", unit="dinkes"), HR), state=state)
    work = state.pending[-1].work
    assert work.kind == "broadcast_deadline" and work.unit == "dinkes"
    assert state.pending[-1].index == 1 and len(state.deadline_moves) == 1


def test_a_unit_is_released_when_it_passes_or_with_a_justified_exception() -> None:
    state = started()
    baik = OrganisationRating.BAIK
    assert refused(state, check(baik, Predikat.BAIK)).code == "phase"  # no rating yet
    state = run((SetOrganisationRating(unit="dinkes", rating=baik), HR), state=state)
    failing = check(baik, *[Predikat.BAIK] * 5)
    assert not failing.check.passed
    assert refused(state, failing).field == "exception_reason"
    assert refused(state, check(OrganisationRating.ISTIMEWA, Predikat.BAIK)).field == "check"
    passing = check(baik, *[Predikat.BAIK] * 3, Predikat.BUTUH_PERBAIKAN, Predikat.SANGAT_BAIK)
    assert passing.check.passed
    released = run((passing, HR), state=state)
    assert released.units["dinkes"].released_at == NOW
    assert released.pending[-1].work.kind == "broadcast_release"
    assert refused(released, SetOrganisationRating(unit="dinkes", rating=baik)).code == "phase"
    excused = run((failing.model_copy(update={"exception_reason": "unit of five"}), HR),
                  state=state)
    assert excused.units["dinkes"].release_exception_reason == "unit of five"


def test_the_cycle_closes_only_when_every_appraisal_ended_and_then_nothing_changes() -> None:
    state = started()
    assert refused(state, CloseCycle(open_appraisals=0, distribution={})).code == "phase"
    state = run((RecordPage(work=0, offset=0, reached=25, done=True), SYSTEM_ACTOR),
                state=state)
    assert "3 appraisal(s)" in refused(state, CloseCycle(open_appraisals=3,
                                                         distribution={})).reason
    closed = run((CloseCycle(open_appraisals=0,
                             distribution={"dinkes": {Predikat.BAIK: 20}}), HR), state=state)
    assert closed.status is CycleStatus.CLOSED and closed.distribution["dinkes"] == {
        Predikat.BAIK: 20}
    assert refused(closed, SetOrganisationRating(unit="dinkes",
                                                 rating=OrganisationRating.BAIK)).code == "phase"


def test_the_roster_digest_depends_on_content_not_order() -> None:
    a = CycleMember(employee="e-1", unit="u", appraiser=None, superior=None)
    b = CycleMember(employee="e-2", unit="u", appraiser="e-1", superior=None)
    assert roster_digest([a, b]) == roster_digest([b, a])
    assert roster_digest([a, b]) != roster_digest([a, b.model_copy(update={"unit": "v"})])


_commands = st.sampled_from([
    (SetOrganisationRating(unit="dinkes", rating=OrganisationRating.BAIK), HR),
    (SetOrganisationRating(unit="diskominfo", rating=OrganisationRating.ISTIMEWA), HR),
    (MoveDeadline(deadline=DeadlineKind.REVIEW, until=NOW + timedelta(days=30), reason="r"), HR),
    (check(OrganisationRating.BAIK, Predikat.BAIK, Predikat.KURANG), HR),
    (RecordPage(work=0, offset=0, reached=10, done=False), SYSTEM_ACTOR),
    (CloseCycle(open_appraisals=0, distribution={}), HR),
    (START, HR),
])


@settings(max_examples=200, deadline=None)
@given(st.lists(_commands, max_size=25))
def test_any_sequence_keeps_the_cycle_consistent(commands: list[tuple[CycleCommand, Actor]]
                                                 ) -> None:
    state = started()
    events = []
    for command, actor in commands:
        if isinstance(command, RecordPage) and state.pending:
            item = state.pending[0]
            command = command.model_copy(update={"work": item.index, "offset": item.offset})
        try:
            new = decide(state, command, actor=actor, at=NOW)
        except CommandRefused:
            continue
        events += new
        state = fold(new, state)
        indexes = [p.index for p in state.pending]
        assert indexes == sorted(set(indexes))
        assert state.work_done + len(state.pending) == state.next_work_index
    # The stored form of every event gives the event back, and folding gives the state.
    for event in events:
        assert event_from_data(event.type, event_data(event)) == event
    assert fold(events, started()) == state
    assert state.version == 2 + len(events)


def test_an_appraisal_opened_after_a_deadline_move_starts_with_the_moved_deadline() -> None:
    from domain.cycle import CycleDeadlineMoved, calendar_for
    from domain.policy import end_of_local_day

    calendar = CREATE.calendar
    later, latest = NOW + timedelta(days=40), NOW + timedelta(days=50)
    moves = (
        CycleDeadlineMoved(at=NOW, deadline=DeadlineKind.SKP, until=later, reason="r",
                           unit=None),
        CycleDeadlineMoved(at=NOW, deadline=DeadlineKind.SKP, until=latest, reason="r",
                           unit="dinkes"),
        CycleDeadlineMoved(at=NOW, deadline=DeadlineKind.OBJECTION_WINDOW, until=latest,
                           reason="not in a calendar", unit=None),
    )
    # Each at the end of its day in the agency's zone, as an open appraisal takes it.
    zone = calendar.utc_offset_hours
    assert calendar_for(calendar, moves, "dinkes").skp_deadline == end_of_local_day(latest, zone)
    assert calendar_for(calendar, moves, "diskominfo").skp_deadline == \
        end_of_local_day(later, zone)
    assert calendar_for(calendar, moves, "diskominfo").review_deadline == \
        calendar.review_deadline
    assert calendar_for(calendar, (), "dinkes") == calendar


def test_a_membership_change_carries_keys_only() -> None:
    from domain.cycle import CycleMember, MembershipChange, OpenAppraisalOf, membership_changes

    now = CycleMember(employee="e-1", unit="dinkes", appraiser="e-9", superior=None,
                      nip="199205202019032003", name="Siti Rahmawati")
    was = OpenAppraisalOf(appraisal_id="appraisal-c-e-1", employee="e-1", unit="dinkes",
                          appraiser="e-8", superior=None)
    newcomer = now.model_copy(update={"employee": "e-2", "nip": "199501012020121001",
                                      "name": "Joko Susilo"})
    changes = membership_changes("c", [now, newcomer], [was], {"appraisal-c-e-1"}, tag="t")
    assert [(c.kind, c.employee) for c in changes] == [("reassign", "e-1"), ("joined", "e-2")]
    for change in changes:
        assert change.member is not None and change.member.appraiser == "e-9"
        assert (change.member.nip, change.member.name) == (None, None)
    # Also a change read back from a stored event of before: the personal data is dropped.
    stored = MembershipChange.model_validate({"kind": "joined", "employee": "e-2",
                                              "appraisal_id": None, "member": newcomer
                                              .model_dump(mode="json")})
    assert stored.member is not None and stored.member.nip is None
    assert "Joko" not in stored.model_dump_json()
