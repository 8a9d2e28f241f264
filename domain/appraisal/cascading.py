"""Cascading (intervensi): an RHK supports a result of the appraiser, and the matrix of it.

PermenPAN-RB 6/2022 has each employee's RHK derived from the RHK of their direct superior
(the appraiser) that it supports ("RHK pimpinan yang diintervensi"), shown per unit as the
*Matriks Peran Hasil* (who supports which result of their superior). An SKP's link
(``Rhk.supports_rhk``) must name an RHK of the appraiser's approved SKP in the same cycle:
checked when the SKP is submitted and when it is approved, against the appraiser's RHK
the use case reads (a fact in the command; the domain decides). When the appraiser's SKP
changes after the approval (a new SKP after a transfer, one set by HR, another appraiser),
a link whose RHK is gone or reads differently from the one approved is flagged for review,
computed when read (:func:`link_status`); nothing is changed for the employee.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict

from domain.appraisal.vocabulary import CommandRefused
from domain.authorization import Actor, AgencyAction, may_on_agency
from domain.skp import Skp

LinkStatus = Literal["none", "ok", "review"]
"""``none``: the RHK names no result of the appraiser; ``ok``: it names one of the
appraiser's approved SKP as it stood at approval; ``review``: that result is gone from
the appraiser's approved SKP, or was changed since this SKP was approved."""


def check_links(skp: Skp, appraiser_rhk: Mapping[str, str] | None) -> None:
    """Every link of ``skp`` names an RHK of the appraiser's approved SKP; CommandRefused
    naming the first that does not. ``None``: not gathered (a command recorded before the
    rule), nothing checked."""
    if appraiser_rhk is None:
        return
    for i, rhk in enumerate(skp.rhk):
        if rhk.supports_rhk is None or rhk.supports_rhk in appraiser_rhk:
            continue
        if not appraiser_rhk:
            reason = ("your appraiser has no approved SKP in this cycle yet: link the RHK "
                      "once it is approved, or remove the link")
        else:
            reason = (f"'{rhk.supports_rhk}' is not an RHK of your appraiser's approved SKP "
                      f"(theirs: {', '.join(sorted(appraiser_rhk))})")
        raise CommandRefused("invalid", reason, f"skp.rhk[{i}].supports_rhk")


def supported_at_approval(skp: Skp, appraiser_rhk: Mapping[str, str] | None
                          ) -> dict[str, str] | None:
    """The appraiser's RHK the SKP's links name, as they stand now (recorded with the
    approval); None when the fact was not gathered."""
    if appraiser_rhk is None:
        return None
    return {r.supports_rhk: appraiser_rhk[r.supports_rhk] for r in skp.rhk
            if r.supports_rhk is not None and r.supports_rhk in appraiser_rhk}


def link_status(supports_rhk: str | None, approved_links: Mapping[str, str] | None,
                appraiser_rhk: Mapping[str, str]) -> LinkStatus:
    """Whether a link still holds against the appraiser's approved SKP of now
    (``appraiser_rhk``); ``approved_links``: what it named at approval (None: approved
    before the rule, or not approved yet: only the id is compared)."""
    if supports_rhk is None:
        return "none"
    if supports_rhk not in appraiser_rhk:
        return "review"
    if approved_links is not None and supports_rhk in approved_links \
            and approved_links[supports_rhk] != appraiser_rhk[supports_rhk]:
        return "review"
    return "ok"


class StaffSkp(BaseModel):
    """One appraisal of the unit as the matrix needs it."""

    model_config = ConfigDict(frozen=True)

    appraisal_id: str
    employee: str
    appraiser: str | None
    targets_status: str
    skp: Skp | None
    approved_links: dict[str, str] | None = None


class MatrixRow(BaseModel):
    """One RHK of one employee and the appraiser's result it supports."""

    model_config = ConfigDict(frozen=True)

    employee: str
    appraisal_id: str
    targets_status: str
    rhk_id: str
    rhk_kind: str
    rhk: str
    appraiser: str | None
    supports_rhk: str | None
    supported: str | None
    """The appraiser's RHK as their approved SKP reads now (None: not there)."""
    link: LinkStatus


MATRIX_HEADER = ["employee", "appraisal_id", "targets_status", "rhk_id", "rhk_kind", "rhk",
                 "appraiser", "supports_rhk", "supported", "link"]


def matrix(staff: Sequence[StaffSkp], approved_rhk: Mapping[str, Mapping[str, str]]
           ) -> list[MatrixRow]:
    """The Matriks Peran Hasil of a unit: per employee (by key) and RHK, the appraiser's
    result it supports and whether the link holds. ``approved_rhk``: each appraiser's
    approved RHK (id to description) by employee key; an appraiser without one has none."""
    rows = []
    for one in sorted(staff, key=lambda s: (s.employee, s.appraisal_id)):
        if one.skp is None:
            continue
        theirs = approved_rhk.get(one.appraiser or "", {})
        for rhk in one.skp.rhk:
            rows.append(MatrixRow(
                employee=one.employee, appraisal_id=one.appraisal_id,
                targets_status=one.targets_status, rhk_id=rhk.id, rhk_kind=rhk.kind.value,
                rhk=rhk.description, appraiser=one.appraiser, supports_rhk=rhk.supports_rhk,
                supported=theirs.get(rhk.supports_rhk) if rhk.supports_rhk else None,
                link=link_status(rhk.supports_rhk, one.approved_links, theirs)))
    return rows


def may_read_matrix(actor: Actor, agency: str, unit: str) -> bool:
    """HR and inspectors with the agency in scope, and the unit's own people (it shows
    whose work supports which result, no personal data beyond employee keys)."""
    return may_on_agency(actor, AgencyAction.READ_CYCLE, agency) \
        or (actor.agency == agency and actor.unit == unit)
