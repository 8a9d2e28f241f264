"""A small demo organisation for ``kinerja dev``: one unit, five people, one open appraisal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from adapters.roster_files import read_roster_file
from api.auth import TokenSettings, mint_token
from domain.appraisal import CommandRefused, OpenAppraisal, PositionKind
from domain.authorization import Actor, Parties, Role
from domain.policy import POLICY_6_2022, FunctionalLevel, default_calendar
from services.appraisals import AppraisalService
from store.roster import RosterStore
from workflows.appraisal.contract import workflow_id

AGENCY = "pemkot-demo"
UNIT = "diskominfo"


@dataclass(frozen=True)
class DemoPerson:
    key: str
    name: str
    role: str
    roles: tuple[str, ...]
    agencies: tuple[str, ...] = ()


PEOPLE = (
    DemoPerson("e-0001", "Siti Rahmawati (pranata komputer ahli pertama)", "employee",
               ("employee",)),
    DemoPerson("e-0002", "Budi Santoso (kepala bidang, her appraiser)", "appraiser",
               ("employee",)),
    DemoPerson("e-0003", "Rina Wulandari (kepala dinas, the appraiser's superior)", "superior",
               ("employee",)),
    DemoPerson("e-hr01", "Agus Pratama (pengelola kinerja, BKPSDM)", "hr",
               ("employee", "hr"), (AGENCY,)),
    DemoPerson("e-insp1", "Dewi Lestari (inspektorat)", "inspector", ("inspector",), (AGENCY,)),
)


def demo_tokens(settings: TokenSettings, ttl_days: int = 30) -> dict[str, str]:
    """A development token for each demo person, by their role in the demo."""
    return {
        person.role: mint_token(settings, subject=person.key, roles=person.roles, agency=AGENCY,
                                unit=UNIT, agencies=person.agencies,
                                ttl_seconds=ttl_days * 86400)
        for person in PEOPLE
    }


def demo_open_command(now: datetime) -> OpenAppraisal:
    """The demo employee's appraisal for this year, its deadlines ahead of ``now``."""
    cycle_id = f"{AGENCY}-{now.year}"
    calendar = default_calendar(now.year, POLICY_6_2022).model_copy(update={
        "skp_deadline": now + timedelta(days=30),
        "self_assessment_deadline": now + timedelta(days=60),
        "review_deadline": now + timedelta(days=90),
    })
    employee, appraiser, superior = (p.key for p in PEOPLE[:3])
    return OpenAppraisal(
        appraisal_id=workflow_id(cycle_id, employee), cycle_id=cycle_id,
        parties=Parties(agency=AGENCY, unit=UNIT, employee=employee, appraiser=appraiser,
                        superior=superior),
        policy=POLICY_6_2022, calendar=calendar, position_kind=PositionKind.FUNCTIONAL,
        functional_level=FunctionalLevel.AHLI_PERTAMA,
    )


DEMO_ROSTER = Path(__file__).resolve().parents[1] / "deploy" / "demo-roster.csv"


async def seed_demo_roster(pool: asyncpg.Pool) -> int:
    """Import ``deploy/demo-roster.csv`` as the demo agency's roster when it has none yet
    (so that a cycle can be started at once); the number of employees imported."""
    store = RosterStore(pool)
    if (await store.snapshot(AGENCY)).version > 0 or not DEMO_ROSTER.exists():
        return 0
    check = await store.check(AGENCY, read_roster_file(DEMO_ROSTER).rows)
    applied = await store.apply(AGENCY, check, "kinerja dev (demo roster)")
    return len(applied.events)


DEMO_SERVICES = (("ppid", "Permohonan informasi publik (PPID)"),
                 ("wifi", "Wifi publik dan ruang baca"))


async def seed_demo_public_unit(pool: asyncpg.Pool) -> None:
    """The demo unit serves the public: its survey at ``/publik/survei/pemkot-demo/
    diskominfo`` (HR and Rina, the unit's head, see the results)."""
    from domain.survey import PublicService
    from services.public import PublicVoiceService
    from store.public import PublicStore

    hr = PEOPLE[3]
    actor = Actor(subject=hr.key, roles=frozenset(Role(r) for r in hr.roles),
                  agencies=frozenset(hr.agencies), agency=AGENCY)
    public = PublicVoiceService(PublicStore(pool))
    if (await PublicStore(pool).unit(AGENCY, UNIT)) is None:
        await public.define_unit(actor, AGENCY, UNIT, "Dinas Komunikasi dan Informatika",
                                 [PublicService(key=k, name=n) for k, n in DEMO_SERVICES],
                                 population=1200)


async def seed_demo(appraisals: AppraisalService, pool: asyncpg.Pool | None = None) -> str:
    """Import the demo roster (once, with ``pool``) and open the demo appraisal (once; a
    second start finds it open); return the appraisal's id."""
    if pool is not None:
        await seed_demo_roster(pool)
        await seed_demo_public_unit(pool)
    command = demo_open_command(datetime.now(UTC))
    hr = PEOPLE[3]
    actor = Actor(subject=hr.key, roles=frozenset(Role(r) for r in hr.roles),
                  agencies=frozenset(hr.agencies), agency=AGENCY)
    try:
        await appraisals.open(actor, command, f"demo-open-{command.cycle_id}")
    except CommandRefused as refused:
        if refused.code != "phase":  # already open from an earlier start
            raise
    return command.appraisal_id
