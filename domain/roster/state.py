"""Rows as read from a file, and the validated roster."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from domain.appraisal import PositionKind
from domain.policy import FunctionalLevel
from domain.roster.vocabulary import (
    EMPLOYEE_KEY_PATTERN,
    UNIT_CODE_PATTERN,
    EmploymentType,
)


@dataclass(frozen=True)
class RosterRow:
    """One data row of a roster file, as text, with the line it came from.

    Field names are the canonical column names (see ``adapters.roster_files``
    for the accepted headers). Empty cells are empty strings.
    """

    line: int
    nip: str = ""
    name: str = ""
    position: str = ""
    position_kind: str = ""
    level: str = ""
    employment_type: str = ""
    unit_code: str = ""
    unit_name: str = ""
    parent_unit: str = ""
    superior_nip: str = ""
    email: str = ""
    employee_key: str = ""
    cell_problems: tuple[tuple[str, str], ...] = ()
    """``(field, reason)`` for cells a reader already knows are unusable (a NIP stored
    as a number that lost its last digits); the first is the row's reason."""


class Employee(BaseModel):
    """One employee of the roster (current read model and events)."""

    model_config = ConfigDict(frozen=True)

    key: Annotated[str, Field(pattern=EMPLOYEE_KEY_PATTERN)]
    nip: Annotated[str, Field(pattern=r"^\d{18}$")]
    name: Annotated[str, Field(min_length=1, max_length=200)]
    position: Annotated[str, Field(min_length=1, max_length=300)]
    kind: PositionKind
    level: FunctionalLevel | None = None
    employment: EmploymentType
    unit: Annotated[str, Field(pattern=UNIT_CODE_PATTERN)]
    superior: str | None = None
    """The direct superior's key; None for the top of the agency."""
    email: str | None = None


class Unit(BaseModel):
    """An organisational unit (unit kerja) of the agency."""

    model_config = ConfigDict(frozen=True)

    code: Annotated[str, Field(pattern=UNIT_CODE_PATTERN)]
    name: Annotated[str, Field(min_length=1, max_length=300)]
    parent: str | None = None
    leader: str | None = None
    """The key of the unit's leader: its highest structural position that reports
    outside the unit."""


class Roster(BaseModel):
    """A whole agency roster: employees and units by key and code."""

    model_config = ConfigDict(frozen=True)

    employees: dict[str, Employee] = Field(default_factory=dict)
    units: dict[str, Unit] = Field(default_factory=dict)

    def by_nip(self) -> dict[str, Employee]:
        return {e.nip: e for e in self.employees.values()}


def roster_document(roster: Roster) -> dict[str, Any]:
    """The roster as plain, sorted JSON data (for canonical JSON and its digest)."""
    return {
        "employees": [roster.employees[k].model_dump(mode="json")
                      for k in sorted(roster.employees)],
        "units": [roster.units[c].model_dump(mode="json") for c in sorted(roster.units)],
    }


class RejectedRow(BaseModel):
    """A row that cannot be imported: where, which column, and why."""

    model_config = ConfigDict(frozen=True)

    line: int
    nip: str
    field: str
    reason: str
    rule: str = "roster-row"
    """The rule broken, for a machine: ``control-character``, or ``roster-row`` for the
    others (the reason says which)."""


class UncheckedNip(BaseModel):
    """An accepted row whose number has parts no known rule could check (a PPPK code)."""

    model_config = ConfigDict(frozen=True)

    line: int
    nip: str
    note: str


class RosterCheck(BaseModel):
    """The outcome of :func:`validate_roster`."""

    model_config = ConfigDict(frozen=True)

    roster: Roster
    """Every accepted row, with the units they form."""
    rejected: tuple[RejectedRow, ...] = ()
    rows: int = 0
    """How many data rows the file had."""
    unchecked: tuple[UncheckedNip, ...] = ()
    """Accepted rows whose NIP was checked only in part (see :mod:`domain.nip`)."""

    @property
    def clean(self) -> bool:
        return not self.rejected
