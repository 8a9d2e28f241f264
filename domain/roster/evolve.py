"""``evolve(roster, event)`` and ``fold``: the roster a stream of events gives."""

from __future__ import annotations

from collections.abc import Iterable

from domain.roster.events import (
    DetailsChanged,
    EmployeeHired,
    EmployeeLeft,
    EmployeeTransferred,
    PositionChanged,
    RosterEvent,
    SuperiorChanged,
    UnitDefined,
)
from domain.roster.state import Roster


def evolve(roster: Roster, event: RosterEvent) -> Roster:
    """The roster after ``event``."""
    return fold((event,), roster)


def fold(events: Iterable[RosterEvent], state: Roster | None = None) -> Roster:
    """Apply ``events`` in order, from ``state`` or from the empty roster.

    ``fold(diff_roster(a, b), a) == b``. One pass over copies of the two
    mappings, so folding a whole agency's stream stays linear.
    """
    roster = Roster() if state is None else state
    employees = dict(roster.employees)
    units = dict(roster.units)
    for event in events:
        if isinstance(event, EmployeeHired):
            employees[event.employee.key] = event.employee
        elif isinstance(event, EmployeeLeft):
            employees.pop(event.key, None)
        elif isinstance(event, EmployeeTransferred):
            employees[event.key] = employees[event.key].model_copy(update={"unit": event.to_unit})
        elif isinstance(event, SuperiorChanged):
            employees[event.key] = employees[event.key].model_copy(
                update={"superior": event.to_superior})
        elif isinstance(event, PositionChanged):
            employees[event.key] = employees[event.key].model_copy(update={
                "position": event.position, "kind": event.kind, "level": event.level})
        elif isinstance(event, DetailsChanged):
            employees[event.key] = employees[event.key].model_copy(update={
                "nip": event.nip, "name": event.name, "employment": event.employment,
                "email": event.email})
        elif isinstance(event, UnitDefined):
            units[event.unit.code] = event.unit
        else:
            units.pop(event.code, None)
    return Roster(employees=employees, units=units)
