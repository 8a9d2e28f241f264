"""What an import changes: the events from one roster to the next, and a partial apply."""

from __future__ import annotations

from collections.abc import Sequence

from domain.roster.events import (
    DetailsChanged,
    EmployeeHired,
    EmployeeLeft,
    EmployeeTransferred,
    PositionChanged,
    RosterEvent,
    SuperiorChanged,
    UnitDefined,
    UnitRemoved,
)
from domain.roster.state import (
    Roster,
    RosterCheck,
)


def diff_roster(old: Roster, new: Roster) -> list[RosterEvent]:
    """The events that turn ``old`` into ``new``, in a stable order.

    Units defined first (so hires and transfers name a known unit), then per
    employee by key: hired; transferred, superior changed, position changed,
    details changed; then left; units removed last. ``diff(a, a) == []``.
    """
    events: list[RosterEvent] = []
    for code in sorted(new.units):
        if old.units.get(code) != new.units[code]:
            events.append(UnitDefined(unit=new.units[code]))
    for key in sorted(new.employees):
        after = new.employees[key]
        before = old.employees.get(key)
        if before is None:
            events.append(EmployeeHired(employee=after))
            continue
        if before.unit != after.unit:
            events.append(EmployeeTransferred(key=key, from_unit=before.unit,
                                              to_unit=after.unit))
        if before.superior != after.superior:
            events.append(SuperiorChanged(key=key, from_superior=before.superior,
                                          to_superior=after.superior))
        if (before.position, before.kind, before.level) != (after.position, after.kind,
                                                            after.level):
            events.append(PositionChanged(key=key, position=after.position, kind=after.kind,
                                          level=after.level))
        if (before.nip, before.name, before.employment, before.email) != (
                after.nip, after.name, after.employment, after.email):
            events.append(DetailsChanged(key=key, nip=after.nip, name=after.name,
                                         employment=after.employment, email=after.email))
    for key in sorted(old.employees):
        if key not in new.employees:
            events.append(EmployeeLeft(key=key, unit=old.employees[key].unit))
    for code in sorted(old.units):
        if code not in new.units:
            events.append(UnitRemoved(code=code))
    return events


class PartialApplyRefused(ValueError):
    """Applying only the valid rows would leave the roster inconsistent."""


def merge_partial(current: Roster, check: RosterCheck) -> Roster:
    """The roster that applying only ``check``'s valid rows gives.

    An employee of ``current`` whose row is rejected did not leave: the file
    only failed to say what changed. Such employees are kept as they are
    (with their unit); it is refused when their superior would be gone.
    """
    rejected_nips = {r.nip for r in check.rejected}
    kept = {e.key: e for e in current.employees.values()
            if e.nip in rejected_nips and e.key not in check.roster.employees}
    employees = {**check.roster.employees, **kept}
    nips = {e.nip for e in check.roster.employees.values()}
    clash = [e for e in kept.values() if e.nip in nips]
    if clash:
        raise PartialApplyRefused("a rejected row's NIP is also on a valid row")
    units = dict(check.roster.units)
    for employee in kept.values():
        if employee.superior is not None and employee.superior not in employees:
            raise PartialApplyRefused(
                f"employee {employee.key}'s row is rejected and their superior "
                f"{employee.superior} is no longer on the roster; fix the file")
        if employee.unit not in units:
            units[employee.unit] = current.units[employee.unit]
    # A kept unit's parent must remain; bring it back from ``current`` when needed.
    pending = [u for u in units.values() if u.parent and u.parent not in units]
    while pending:
        unit = pending.pop()
        if unit.parent and unit.parent not in units and unit.parent in current.units:
            units[unit.parent] = current.units[unit.parent]
            pending.append(units[unit.parent])
    return Roster(employees=employees, units=units)


def changed_keys(events: Sequence[RosterEvent]) -> dict[str, int]:
    """How many events of each type: the summary an import prints."""
    counts: dict[str, int] = {}
    for event in events:
        counts[event.type] = counts.get(event.type, 0) + 1
    return counts
