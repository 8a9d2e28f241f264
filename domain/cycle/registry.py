"""The one table of cycle commands: kind -> model, who may send it, when, and its handler."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import BaseModel

from domain.authorization import AgencyAction
from domain.cycle.events import CycleEvent
from domain.cycle.state import CycleState

Handler = Callable[[CycleState, Any, datetime], list[CycleEvent]]
"""A command handler: the events a command causes in a state at a moment, or CommandRefused."""

_C = TypeVar("_C", bound=BaseModel)


class Gate(StrEnum):
    """From when a command may come (a closed cycle refuses every command)."""

    ANY = "any"
    """Before the cycle exists too (its handler refuses a second create)."""
    CREATED = "created"
    """Once the cycle is created."""
    STARTED = "started"
    """Once the cycle is started."""


@dataclass(frozen=True)
class CommandSpec:
    """One command kind: its model, the action it needs, from when, its handler.

    ``action`` None: only the cycle itself (the system) sends it.
    """

    kind: str
    model: type[BaseModel]
    action: AgencyAction | None
    gate: Gate
    handler: Handler


COMMANDS: dict[str, CommandSpec] = {}
"""Every cycle command kind, registered by :func:`handles` beside its handler."""


def handles(model: type[_C], action: AgencyAction | None, gate: Gate
            ) -> Callable[[Callable[[CycleState, _C, datetime], list[CycleEvent]]],
                          Callable[[CycleState, _C, datetime], list[CycleEvent]]]:
    """Register the decorated function as the handler of ``model``."""
    kind = model.model_fields["kind"].default
    assert isinstance(kind, str)

    def register(handler: Callable[[CycleState, _C, datetime], list[CycleEvent]]
                 ) -> Callable[[CycleState, _C, datetime], list[CycleEvent]]:
        if kind in COMMANDS:
            raise RuntimeError(f"cycle command {kind!r} has two handlers")
        COMMANDS[kind] = CommandSpec(kind=kind, model=model, action=action, gate=gate,
                                     handler=handler)
        return handler

    return register
