"""Events of the roster stream (``roster-<agency>``) and their stored form."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from domain.appraisal import PositionKind
from domain.policy import FunctionalLevel
from domain.roster.state import (
    Employee,
    Unit,
)
from domain.roster.vocabulary import EmploymentType


class EmployeeHired(BaseModel):
    model_config = ConfigDict(frozen=True)
    type: Literal["employee_hired"] = "employee_hired"
    employee: Employee


class EmployeeLeft(BaseModel):
    model_config = ConfigDict(frozen=True)
    type: Literal["employee_left"] = "employee_left"
    key: str
    unit: str


class EmployeeTransferred(BaseModel):
    """A change of unit: the cycle cancels the appraisal and opens one in the new unit."""

    model_config = ConfigDict(frozen=True)
    type: Literal["employee_transferred"] = "employee_transferred"
    key: str
    from_unit: str
    to_unit: str


class SuperiorChanged(BaseModel):
    """A new direct superior: a recorded reassignment in the affected appraisals."""

    model_config = ConfigDict(frozen=True)
    type: Literal["superior_changed"] = "superior_changed"
    key: str
    from_superior: str | None
    to_superior: str | None


class PositionChanged(BaseModel):
    model_config = ConfigDict(frozen=True)
    type: Literal["position_changed"] = "position_changed"
    key: str
    position: str
    kind: PositionKind
    level: FunctionalLevel | None = None


class DetailsChanged(BaseModel):
    """Name, NIP (a corrected typo under an assigned key), employment type or e-mail."""

    model_config = ConfigDict(frozen=True)
    type: Literal["details_changed"] = "details_changed"
    key: str
    nip: str
    name: str
    employment: EmploymentType
    email: str | None = None


class UnitDefined(BaseModel):
    """A new unit, or a unit's new name, parent or leader."""

    model_config = ConfigDict(frozen=True)
    type: Literal["unit_defined"] = "unit_defined"
    unit: Unit


class UnitRemoved(BaseModel):
    model_config = ConfigDict(frozen=True)
    type: Literal["unit_removed"] = "unit_removed"
    code: str


RosterEvent: TypeAlias = Annotated[
    EmployeeHired | EmployeeLeft | EmployeeTransferred | SuperiorChanged | PositionChanged
    | DetailsChanged | UnitDefined | UnitRemoved,
    Field(discriminator="type"),
]
_EVENT_ADAPTER: TypeAdapter[RosterEvent] = TypeAdapter(RosterEvent)
EVENT_SCHEMA_VERSION = 1


def event_data(event: RosterEvent) -> dict[str, Any]:
    """The event's data as stored (everything but its type)."""
    return event.model_dump(mode="json", exclude={"type"})


def event_from_data(type_: str, data: Mapping[str, Any]) -> RosterEvent:
    """The event of a stored type and payload."""
    return _EVENT_ADAPTER.validate_python({**data, "type": type_})
