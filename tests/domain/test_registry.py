"""The one table of commands per aggregate: the union, the actions and the handlers agree."""

from __future__ import annotations

from typing import get_args

from domain import appraisal, cycle
from domain.authorization import Action


def test_every_appraisal_command_has_one_spec_named_like_its_action() -> None:
    members = set(get_args(get_args(appraisal.Command)[0]))
    assert {spec.model for spec in appraisal.COMMANDS.values()} == members
    assert appraisal.COMMAND_ACTION == {kind: Action(kind) for kind in appraisal.COMMANDS}
    assert appraisal.COMMAND_ACTION["pass_deadline"] is Action.PASS_DEADLINE


def test_every_cycle_command_has_one_spec() -> None:
    members = set(get_args(get_args(cycle.CycleCommand)[0]))
    assert {spec.model for spec in cycle.COMMANDS.values()} == members
    assert [k for k, spec in cycle.COMMANDS.items() if spec.action is None] == ["record_page"]


def test_each_aggregate_has_the_same_names() -> None:
    from domain import roster

    for package in (appraisal, cycle, roster):
        for name in ("evolve", "fold", "event_data", "event_from_data"):
            assert callable(getattr(package, name)), (package.__name__, name)
    for package in (appraisal, cycle):
        for name in ("decide", "parse_command"):
            assert callable(getattr(package, name)), (package.__name__, name)
