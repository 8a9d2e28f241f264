"""The one table of appraisal commands: kind -> model, action and handler; shared helpers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel

from domain.appraisal.events import Event
from domain.appraisal.state import AppraisalState
from domain.appraisal.vocabulary import (
    CommandRefused,
    Phase,
    _Model,
)
from domain.authorization import Action, Actor, Relation
from domain.policy import Policy
from domain.skp import Skp


class Context(_Model):
    """Who acts, in which relation to the appraisal, and when."""

    actor: Actor
    relation: Relation
    at: datetime


Handler = Callable[[AppraisalState, Any, Context], list[Event]]
"""A command handler: the events a command causes in a state, or CommandRefused."""

_C = TypeVar("_C", bound=BaseModel)


@dataclass(frozen=True)
class CommandSpec:
    """One command kind: its model, the authorization action it needs, its handler."""

    kind: str
    model: type[BaseModel]
    action: Action
    handler: Handler


COMMANDS: dict[str, CommandSpec] = {}
"""Every command kind, registered by :func:`handles` beside its handler.

The one table: the command union is checked against it, ``COMMAND_ACTION`` and
the dispatch of :func:`domain.appraisal.decide.decide` are read from it.
"""


def handles(model: type[_C], action: Action
            ) -> Callable[[Callable[[AppraisalState, _C, Context], list[Event]]],
                          Callable[[AppraisalState, _C, Context], list[Event]]]:
    """Register the decorated function as the handler of ``model``, needing ``action``."""
    kind = model.model_fields["kind"].default
    assert isinstance(kind, str)

    def register(handler: Callable[[AppraisalState, _C, Context], list[Event]]
                 ) -> Callable[[AppraisalState, _C, Context], list[Event]]:
        if kind in COMMANDS:
            raise RuntimeError(f"command {kind!r} has two handlers")
        COMMANDS[kind] = CommandSpec(kind=kind, model=model, action=action, handler=handler)
        return handler

    return register


def _require_phase(state: AppraisalState, *phases: Phase, doing: str) -> None:
    if state.phase not in phases:
        allowed = " or ".join(p.value.replace("_", " ") for p in phases)
        raise CommandRefused(
            "phase",
            f"cannot {doing} while the appraisal is in {state.phase.value.replace('_', ' ')};"
            f" only in {allowed}",
        )


def _policy(state: AppraisalState) -> Policy:
    assert state.policy is not None
    return state.policy


def _zone(state: AppraisalState) -> int:
    """The agency's UTC offset in hours (WIB 7, WITA 8, WIT 9), from the cycle's calendar."""
    assert state.calendar is not None
    return state.calendar.utc_offset_hours


def _skp(state: AppraisalState) -> Skp:
    assert state.skp is not None
    return state.skp


def _require_exact_rhk(state: AppraisalState, rhk_ids: list[str], field: str) -> None:
    expected = [r.id for r in _skp(state).rhk]
    if sorted(rhk_ids) != sorted(expected):
        raise CommandRefused(
            "invalid", "rate every RHK of the SKP exactly once: " + ", ".join(expected), field
        )
