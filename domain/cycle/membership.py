"""Who a cycle appraises: the frozen roster's members and the changes a new roster brings."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Annotated, Literal

from pydantic import Field, field_validator

from domain.appraisal.vocabulary import PositionKind
from domain.cycle.vocabulary import _Model
from domain.integrity import canonical_json
from domain.policy import FunctionalLevel
from domain.roster import Roster, reporting_line


class CycleMember(_Model):
    """One employee of the frozen roster, with the reporting line of that moment."""

    employee: Annotated[str, Field(min_length=1, max_length=128)]
    unit: Annotated[str, Field(min_length=1, max_length=100)]
    appraiser: str | None
    superior: str | None
    position_kind: PositionKind = PositionKind.STAFF
    functional_level: FunctionalLevel | None = None
    is_unit_leader: bool = False
    nip: str | None = None
    """Kept with the frozen roster in PostgreSQL for the results export; never sent to
    Temporal (appraisals know employees by key only)."""
    name: str | None = None

    def keys_only(self) -> CycleMember:
        """This member without the personal data (NIP, name): what may enter Temporal."""
        if self.nip is None and self.name is None:
            return self
        return self.model_copy(update={"nip": None, "name": None})


def cycle_members(roster: Roster) -> list[CycleMember]:
    """The roster as cycle members: each employee's unit, position, and reporting line
    (appraiser = direct superior; superior = the appraiser's superior); the leader of
    each unit marked (their review takes the unit's organisation rating)."""
    leaders = {unit.leader for unit in roster.units.values() if unit.leader}
    members = []
    for key in sorted(roster.employees):
        employee = roster.employees[key]
        line = reporting_line(roster, key)
        members.append(CycleMember(
            employee=key, unit=employee.unit, appraiser=line.appraiser, superior=line.superior,
            position_kind=employee.kind, functional_level=employee.level,
            is_unit_leader=key in leaders, nip=employee.nip, name=employee.name))
    return members


def roster_digest(members: Iterable[CycleMember]) -> str:
    """SHA-256 (hex) of the canonical JSON of the members, in employee order."""
    ordered = sorted(members, key=lambda m: m.employee)
    return hashlib.sha256(canonical_json([m.model_dump(mode="json") for m in ordered])).hexdigest()


class MembershipChange(_Model):
    """What a roster change means for one employee's appraisal in a running cycle."""

    kind: Literal["reassign", "transfer", "left", "joined"]
    employee: str
    appraisal_id: str | None
    """The employee's open appraisal (None for one who joined)."""
    member: CycleMember | None
    """The employee as the roster has them now (None for one who left), by keys only: a
    change travels through Temporal (the follow command, the cycle's state, the page's
    input), where no NIP and no name may go, so they are dropped here."""
    new_appraisal_id: str | None = None
    """For a transfer or a newcomer: the appraisal to open."""

    @field_validator("member")
    @classmethod
    def _keys_only(cls, member: CycleMember | None) -> CycleMember | None:
        return None if member is None else member.keys_only()


class OpenAppraisalOf(_Model):
    """An employee's open (not final, not cancelled) appraisal in a cycle, as the read
    model has it."""

    appraisal_id: str
    employee: str
    unit: str
    appraiser: str | None
    superior: str | None


def membership_changes(cycle_id: str, roster: Iterable[CycleMember],
                       open_appraisals: Iterable[OpenAppraisalOf], taken_ids: set[str],
                       tag: str) -> list[MembershipChange]:
    """How a running cycle follows the roster: a new appraiser or superior is a
    reassignment, another unit a transfer (the appraisal is cancelled and one opened in
    the new unit), an employee gone leaves (cancelled), a newcomer joins (opened).

    ``taken_ids`` are every appraisal id of the cycle; a new appraisal takes the plain
    ``appraisal-<cycle>-<key>`` when free, else that id with ``~<tag>`` (``tag`` names the
    roster version, so a retried sync derives the same ids).
    """
    current = {m.employee: m for m in roster}
    by_employee = {a.employee: a for a in open_appraisals}
    changes: list[MembershipChange] = []

    def new_id(employee: str) -> str:
        plain = f"appraisal-{cycle_id}-{employee}"
        return plain if plain not in taken_ids else f"{plain}~{tag}"

    for key in sorted(set(current) | set(by_employee)):
        member, appraisal = current.get(key), by_employee.get(key)
        if appraisal is None:
            assert member is not None
            if f"appraisal-{cycle_id}-{key}" in taken_ids:
                continue  # their appraisal here has ended (final or cancelled): not reopened
            changes.append(MembershipChange(kind="joined", employee=key, appraisal_id=None,
                                            member=member, new_appraisal_id=new_id(key)))
        elif member is None:
            changes.append(MembershipChange(kind="left", employee=key,
                                            appraisal_id=appraisal.appraisal_id, member=None))
        elif member.unit != appraisal.unit:
            changes.append(MembershipChange(kind="transfer", employee=key,
                                            appraisal_id=appraisal.appraisal_id, member=member,
                                            new_appraisal_id=new_id(key)))
        elif (member.appraiser, member.superior) != (appraisal.appraiser, appraisal.superior):
            changes.append(MembershipChange(kind="reassign", employee=key,
                                            appraisal_id=appraisal.appraisal_id, member=member))
    return changes
