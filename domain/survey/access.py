"""Who may do what with a unit's survey: HR of the agency defines the units that serve
the public; HR and inspectors in scope and the unit's own head see its results. Anyone
may answer (no sign-in)."""

from __future__ import annotations

from domain.authorization import Actor, Role


def may_define_units(actor: Actor, agency: str) -> bool:
    return Role.HR in actor.roles and actor.in_scope(agency)


def may_read_results(actor: Actor, agency: str, leader: str | None) -> bool:
    """HR or an inspector of the agency, or the unit's leader (its head in the roster)."""
    if actor.roles & {Role.HR, Role.INSPECTOR} and actor.in_scope(agency):
        return True
    return actor.is_person(agency, leader)
