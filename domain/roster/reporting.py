"""The reporting line: whom an employee's appraisal goes to."""

from __future__ import annotations

from dataclasses import dataclass

from domain.authorization import Parties
from domain.roster.state import Roster


@dataclass(frozen=True)
class ReportingLine:
    """Whom an employee's appraisal goes to: the appraiser (the direct superior) and
    the appraiser's superior; None at the top of the agency."""

    appraiser: str | None
    superior: str | None


def reporting_line(roster: Roster, employee: str) -> ReportingLine:
    """The appraiser and the appraiser's superior of ``employee`` (a key) in ``roster``.

    Raises KeyError for a key not in the roster.
    """
    appraiser = roster.employees[employee].superior
    superior = roster.employees[appraiser].superior if appraiser is not None else None
    return ReportingLine(appraiser=appraiser, superior=superior)


def parties_for(roster: Roster, agency: str, employee: str) -> Parties:
    """The parties of ``employee``'s appraisal as the roster has them now."""
    line = reporting_line(roster, employee)
    return Parties(agency=agency, unit=roster.employees[employee].unit, employee=employee,
                   appraiser=line.appraiser, superior=line.superior)
