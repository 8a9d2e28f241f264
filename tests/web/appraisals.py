"""More appraisals for the page tests than the fixture's demo one: another cycle, zone,
policy or position, or the appraiser's own; and a path to the review through the use
cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from domain.appraisal import (
    ApproveTargets,
    DraftTargets,
    OpenAppraisal,
    PositionKind,
    SubmitSelfAssessment,
    SubmitTargets,
)
from domain.authorization import Actor, Parties, Role
from domain.policy import POLICY_6_2022, FunctionalLevel, Policy, default_calendar
from domain.skp import SelfAssessment, Skp
from tests.web.conftest import UNIT, Site
from workflows.appraisal.contract import workflow_id


async def open_appraisal(site: Site, *, employee: str = "employee",
                         appraiser: str = "appraiser", superior: str = "superior",
                         cycle: str | None = None, policy: Policy = POLICY_6_2022,
                         utc_offset_hours: int = 7,
                         position_kind: PositionKind = PositionKind.FUNCTIONAL,
                         year: int | None = None) -> str:
    """An appraisal of ``employee`` (a role of the demo people) in ``cycle`` (the fixture's
    own by default), its deadlines weeks away in the zone of ``utc_offset_hours``; its
    calendar's ``year`` this year unless given."""
    now = datetime.now(UTC)
    cycle_id = cycle or f"{site.agency}-{now.year}"
    calendar = default_calendar(year or now.year, policy, utc_offset_hours).model_copy(update={
        "skp_deadline": now + timedelta(days=30),
        "self_assessment_deadline": now + timedelta(days=60),
        "review_deadline": now + timedelta(days=90),
    })
    people = site.people
    command = OpenAppraisal(
        appraisal_id=workflow_id(cycle_id, people[employee].key), cycle_id=cycle_id,
        parties=Parties(agency=site.agency, unit=UNIT, employee=people[employee].key,
                        appraiser=people[appraiser].key, superior=people[superior].key),
        policy=policy, calendar=calendar, position_kind=position_kind,
        functional_level=FunctionalLevel.AHLI_PERTAMA
        if position_kind is PositionKind.FUNCTIONAL else None)
    hr = people["hr"]
    actor = Actor(subject=hr.key, roles=frozenset(Role(r) for r in hr.roles),
                  agencies=frozenset(hr.agencies), agency=site.agency)
    await site.appraisals.open(actor, command, f"open-{command.appraisal_id}")
    return command.appraisal_id


SKP: dict[str, Any] = {"approach": "kuantitatif", "rhk": [
    {"id": "rhk-1", "kind": "utama", "description": "Layanan informasi publik",
     "indicators": [
         {"id": "ind-1", "description": "Permohonan terlayani", "aspect": "kuantitas",
          "target": {"value": "120", "unit": "permohonan"}},
         {"id": "ind-2", "description": "Waktu layanan", "aspect": "waktu",
          "target": {"value": "3", "unit": "hari"}}]},
    {"id": "rhk-2", "kind": "tambahan", "description": "Pelatihan pegawai",
     "indicators": [
         {"id": "ind-3", "description": "Peserta terlatih", "aspect": "kuantitas",
          "target": {"value": "20", "unit": "orang"}}]}]}


async def approved(site: Site, appraisal_id: str, *, employee: str = "employee",
                   appraiser: str = "appraiser", skp: dict[str, Any] | None = None) -> None:
    """``skp`` (:data:`SKP`) drafted, submitted and approved."""
    key = appraisal_id[-12:]
    await site.appraisals.command(site.actor(employee), appraisal_id,
                                  DraftTargets(skp=Skp.model_validate(skp or SKP)),
                                  f"d-{key}")
    await site.appraisals.command(site.actor(employee), appraisal_id, SubmitTargets(),
                                  f"s-{key}")
    await site.appraisals.command(site.actor(appraiser), appraisal_id, ApproveTargets(),
                                  f"a-{key}")


async def in_review(site: Site, appraisal_id: str, proposed: str = "meets") -> None:
    """:data:`SKP` approved and the self-assessment given (each RHK ``proposed``): the
    appraisal waits for its review."""
    await approved(site, appraisal_id)
    await site.appraisals.command(site.actor("employee"), appraisal_id, SubmitSelfAssessment(
        assessment=SelfAssessment.model_validate({
            "ratings": [{"rhk_id": r["id"], "proposed": proposed} for r in SKP["rhk"]],
            "narrative": "Tercapai."})), f"self-{appraisal_id[-12:]}")
