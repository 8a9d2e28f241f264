"""``decide(state, command) -> events``: every rule about what may happen when, and by whom.

The handlers live beside their phase (:mod:`.targets`, :mod:`.self_report`,
:mod:`.review`, :mod:`.objection`, :mod:`.administration`) and register
themselves in :data:`domain.appraisal.registry.COMMANDS`; this module imports
them all, checks the registry against the command union and dispatches.
"""

from __future__ import annotations

from datetime import datetime
from typing import get_args

from domain.appraisal import (
    administration,
    measured,
    objection,
    periodic,
    review,
    self_report,
    targets,
)
from domain.appraisal.commands import Command, OpenAppraisal
from domain.appraisal.events import Event
from domain.appraisal.registry import COMMANDS, Context
from domain.appraisal.state import AppraisalState
from domain.appraisal.vocabulary import CommandRefused, Phase
from domain.authorization import Action, Actor, acting_relation

_HANDLER_MODULES = (administration, targets, self_report, periodic, review, objection,
                    measured)


def _check_registry() -> None:
    members = set(get_args(get_args(Command)[0]))
    registered = {spec.model for spec in COMMANDS.values()}
    if members != registered:
        names = sorted(m.__name__ for m in members ^ registered)
        raise RuntimeError(f"the command union and the registry differ: {', '.join(names)}")
    misnamed = sorted(kind for kind, spec in COMMANDS.items() if spec.action.value != kind)
    if misnamed:
        raise RuntimeError(f"one concept, one name: the action of {', '.join(misnamed)}"
                           " must carry the command's kind")


_check_registry()

COMMAND_ACTION: dict[str, Action] = {kind: spec.action for kind, spec in COMMANDS.items()}
"""The authorization action each command needs (read from the registry)."""


def decide(state: AppraisalState, command: Command, *, actor: Actor, at: datetime
           ) -> list[Event]:
    """The events that ``command`` by ``actor`` at moment ``at`` causes, or CommandRefused."""
    if at.tzinfo is None:
        raise CommandRefused("invalid", "the moment of a command needs a time zone", "at")
    spec = COMMANDS[command.kind]
    if isinstance(command, OpenAppraisal):
        relation = acting_relation(actor, spec.action, command.parties)
        if relation is None:
            raise CommandRefused("forbidden", "only HR of the agency may open an appraisal")
        return spec.handler(state, command, Context(actor=actor, relation=relation, at=at))
    if state.parties is None or state.phase is Phase.NOT_OPENED:
        raise CommandRefused("phase", "this appraisal has not been opened")
    relation = acting_relation(actor, spec.action, state.parties)
    if relation is None:
        raise CommandRefused(
            "forbidden", f"you may not {command.kind.replace('_', ' ')} on this appraisal"
        )
    if state.is_terminal:
        raise CommandRefused("phase", f"the appraisal is {state.phase.value}; nothing changes it")
    return spec.handler(state, command, Context(actor=actor, relation=relation, at=at))
