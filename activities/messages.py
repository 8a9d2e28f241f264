"""Messages of the appraisal workflow: its start, its commands and their results.

Plain pydantic models and names, no Temporal: the workflow, the API's gateway
and the cycle's activities (which send commands to many appraisals) share them.
"""

from __future__ import annotations

from typing import Annotated, Literal, TypeAlias

from pydantic import BaseModel, Field

from domain.appraisal import AppraisalState, Command, Phase
from domain.authorization import Actor
from domain.cycle import (
    CreateCycle,
    CycleState,
    CycleStatus,
    MoveDeadline,
    SetOrganisationRating,
)
from domain.skp import Text

APPRAISAL_WORKFLOW = "AppraisalWorkflow"
"""The workflow type's name, for callers that start it without importing it."""
COMMAND_UPDATE = "command"
"""The update every command is sent as."""

REFUSED_ERROR_TYPE = "CommandRefused"
"""``ApplicationError.type`` of a refused command; details are ``[code, reason, field]``."""


class AppraisalStart(BaseModel):
    """Input of the workflow. It is started by update-with-start, the ``open`` command
    being the first update (by HR, or by a cycle's page); ``resume`` carries the state
    across continue-as-new."""

    appraisal_id: str
    resume: AppraisalState | None = None


class CommandRequest(BaseModel):
    """One command, who sends it, and the request id (the update id)."""

    command: Command
    actor: Actor
    request_id: str | None = None


class CommandResult(BaseModel):
    """What the caller learns once the command's events are stored.

    Kept small, because every update's result stays in the workflow's history:
    the full state is in the read model, written before this result returns.
    """

    appraisal_id: str
    version: int
    phase: Phase
    events: list[str]


def workflow_id(cycle_id: str, employee_key: str) -> str:
    """``appraisal-<cycle>-<employee key>``: never a NIP (workflow ids are stored in plain text)."""
    return f"appraisal-{cycle_id}-{employee_key}"


# --------------------------------------------------------------------------- #
# The cycle workflow

CYCLE_WORKFLOW = "CycleWorkflow"


def cycle_workflow_id(cycle_id: str) -> str:
    """``cycle-<agency>-<year>`` (the cycle id is ``<agency>-<year>``); also its stream id."""
    return f"cycle-{cycle_id}"


class StartCycleRequest(BaseModel):
    """Freeze the roster and open every appraisal."""

    kind: Literal["start"] = "start"


class ReleaseUnitRequest(BaseModel):
    """Release a unit: its curve is checked when the request is handled."""

    kind: Literal["release_unit"] = "release_unit"
    unit: str
    exception_reason: Text | None = None


class CloseCycleRequest(BaseModel):
    kind: Literal["close"] = "close"


class FollowRosterRequest(BaseModel):
    """Bring the cycle's appraisals in line with the agency's roster as it is now."""

    kind: Literal["follow_roster"] = "follow_roster"


CycleIntent: TypeAlias = Annotated[
    CreateCycle | StartCycleRequest | MoveDeadline | SetOrganisationRating | ReleaseUnitRequest
    | CloseCycleRequest | FollowRosterRequest,
    Field(discriminator="kind"),
]
"""What a person asks of a cycle; the workflow gathers the facts (the frozen roster,
the curve check, the tally) and turns it into a ``domain.cycle`` command."""


class NextCycleInput(BaseModel):
    """What the yearly schedule knows: the agency, its policy and time zone. The
    year is the next one after the moment the schedule fires."""

    agency: str
    policy: str
    utc_offset_hours: int = 7


class CycleRequest(BaseModel):
    intent: CycleIntent
    actor: Actor
    request_id: str | None = None


class CycleStart(BaseModel):
    """Input of the cycle workflow; ``resume`` carries the state across continue-as-new.

    ``create`` creates the cycle as the workflow starts (the yearly schedule
    starts it so); otherwise the creation arrives as the first update.
    """

    cycle_id: str
    resume: CycleState | None = None
    create: CycleRequest | None = None


class CycleResult(BaseModel):
    cycle_id: str
    version: int
    status: CycleStatus
    events: list[str]
