"""Which reads are recorded in an agency's access stream (``access-<agency>``).

Recorded: every read by an inspector of an agency in their scope (the audit
routes, appraisals, lists, cycle progress and results); and HR's reads of
personal data of their agency (an appraisal and its events, the results
export, the roster), except of their own appraisal. Not recorded: employees,
appraisers and superiors reading the appraisals they are parties to.
"""

from __future__ import annotations

from domain.authorization import Actor, Role


def recorded_as(actor: Actor, agency: str, *, personal: bool, own: bool = False
                ) -> Role | None:
    """The role under which ``actor``'s read in ``agency`` is recorded; None: not recorded.

    ``personal``: the read shows personal data (HR's reads of it are recorded);
    ``own``: the data is the caller's own (HR reading their own appraisal).
    """
    if Role.INSPECTOR in actor.roles and actor.in_scope(agency):
        return Role.INSPECTOR
    if personal and not own and Role.HR in actor.roles and actor.in_scope(agency):
        return Role.HR
    return None
