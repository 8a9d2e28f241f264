"""Authorization: relations of each actor to an appraisal, and the allowed matrix."""

from __future__ import annotations

import pytest

from bench.harness.builders import (
    APPRAISER,
    EMPLOYEE,
    HR,
    INSPECTOR,
    OTHER_HR,
    PARTIES,
    PEER,
    STRANGER,
    SUPERIOR,
    SYSTEM,
)
from domain.authorization import ALLOWED, Action, Actor, Relation, Role, may, may_read, relations


@pytest.mark.parametrize(
    ("actor", "expected"),
    [
        (EMPLOYEE, {Relation.SELF}),
        (APPRAISER, {Relation.APPRAISER}),
        (SUPERIOR, {Relation.SUPERIOR}),
        (PEER, {Relation.PEER}),
        (STRANGER, set()),
        (HR, {Relation.HR}),
        (OTHER_HR, set()),
        (INSPECTOR, {Relation.INSPECTOR}),
        (SYSTEM, {Relation.SYSTEM}),
    ],
)
def test_relations(actor: Actor, expected: set[Relation]) -> None:
    assert relations(actor, PARTIES) == expected


def test_reading_is_for_the_people_in_scope_only() -> None:
    readers = {a.subject for a in (EMPLOYEE, APPRAISER, SUPERIOR, PEER, STRANGER, HR, OTHER_HR,
                                   INSPECTOR) if may_read(a, PARTIES)}
    assert readers == {"emp-1", "boss-1", "head-1", "hr-1", "insp-1"}


def test_inspectors_only_read() -> None:
    allowed = {action for action in Action if may(INSPECTOR, action, PARTIES)}
    assert allowed == {Action.READ}
    everywhere = Actor(subject="insp-0", roles=frozenset({Role.INSPECTOR}),
                       agencies=frozenset({"*"}))
    assert may_read(everywhere, PARTIES)


def test_hr_acting_on_their_own_appraisal_acts_as_the_employee() -> None:
    own = PARTIES.model_copy(update={"employee": HR.subject})
    assert may(HR, Action.DRAFT_TARGETS, own)
    assert not may(HR, Action.DRAFT_TARGETS, PARTIES)


def test_every_action_has_a_rule_and_only_the_system_passes_deadlines() -> None:
    assert set(ALLOWED) == set(Action)
    assert ALLOWED[Action.PASS_DEADLINE] == {Relation.SYSTEM}


def test_read_scope_agrees_with_may_read() -> None:
    from domain.authorization import read_scope

    for actor in (EMPLOYEE, APPRAISER, SUPERIOR, PEER, STRANGER, HR, OTHER_HR, INSPECTOR, SYSTEM):
        scope = read_scope(actor)
        listed = (scope.all_agencies or PARTIES.agency in scope.agencies
                  or scope.subject in {PARTIES.employee, PARTIES.appraiser, PARTIES.superior})
        assert listed == may_read(actor, PARTIES), actor.subject


def test_hr_acts_as_appraiser_and_superior_of_record_for_the_top_of_an_agency() -> None:
    from domain.authorization import Action, Actor, Parties, Relation, Role, acting_relation

    head = Parties(agency="a", unit="setda", employee="e-head", appraiser=None, superior=None)
    staff = Parties(agency="a", unit="setda", employee="e-1", appraiser="e-head",
                    superior=None)
    hr = Actor(subject="e-hr", roles=frozenset({Role.EMPLOYEE, Role.HR}),
               agencies=frozenset({"a"}))
    other_hr = Actor(subject="e-x", roles=frozenset({Role.HR}), agencies=frozenset({"b"}))
    assert acting_relation(hr, Action.APPROVE_TARGETS, head) is Relation.APPRAISER
    assert acting_relation(hr, Action.SUBMIT_REVIEW, head) is Relation.APPRAISER
    assert acting_relation(hr, Action.DECIDE_OBJECTION, head) is Relation.SUPERIOR
    assert acting_relation(other_hr, Action.APPROVE_TARGETS, head) is None
    # Where the appraiser exists, HR does not take their place; HR never appraises itself.
    assert acting_relation(hr, Action.APPROVE_TARGETS, staff) is None
    assert acting_relation(hr, Action.DECIDE_OBJECTION, staff) is Relation.SUPERIOR
    own = head.model_copy(update={"employee": "e-hr"})
    assert acting_relation(hr, Action.APPROVE_TARGETS, own) is None
