"""Builders of domain objects: a small organisation, an SKP, and a helper to run commands.

Shared by the tests (tests/domain, tests/audit) and the benchmarks (bench/audit.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.appraisal import (
    AppraisalState,
    Command,
    Event,
    OpenAppraisal,
    PositionKind,
    decide,
    fold,
)
from domain.authorization import SYSTEM_ACTOR, Actor, Parties, Role
from domain.policy import POLICY_6_2022, Policy, default_calendar
from domain.ratings import Rating
from domain.skp import (
    Approach,
    CoreValue,
    Indicator,
    Ratings,
    Rhk,
    RhkKind,
    RhkRating,
    Skp,
    Target,
    ValueRating,
)

YEAR = 2026
AGENCY = "pemkot-bandung"
UNIT = "dinas-kominfo"
PARTIES = Parties(agency=AGENCY, unit=UNIT, employee="emp-1", appraiser="boss-1",
                  superior="head-1")

EMPLOYEE = Actor(subject="emp-1", roles=frozenset({Role.EMPLOYEE}), agency=AGENCY, unit=UNIT)
APPRAISER = Actor(subject="boss-1", roles=frozenset({Role.EMPLOYEE}), agency=AGENCY, unit=UNIT)
SUPERIOR = Actor(subject="head-1", roles=frozenset({Role.EMPLOYEE}), agency=AGENCY, unit=UNIT)
PEER = Actor(subject="emp-2", roles=frozenset({Role.EMPLOYEE}), agency=AGENCY, unit=UNIT)
STRANGER = Actor(subject="emp-9", roles=frozenset({Role.EMPLOYEE}), agency="other", unit="x")
HR = Actor(subject="hr-1", roles=frozenset({Role.EMPLOYEE, Role.HR}), agencies=frozenset({AGENCY}),
           agency=AGENCY, unit="bkpsdm")
OTHER_HR = Actor(subject="hr-9", roles=frozenset({Role.HR}), agencies=frozenset({"other"}))
INSPECTOR = Actor(subject="insp-1", roles=frozenset({Role.INSPECTOR}),
                  agencies=frozenset({AGENCY}))
SYSTEM = SYSTEM_ACTOR

START = datetime(YEAR, 1, 5, 2, 0, tzinfo=UTC)


def sample_skp(approach: Approach = Approach.QUANTITATIVE) -> Skp:
    def target(n: int) -> Target:
        if approach is Approach.QUANTITATIVE:
            return Target(value=n, unit="dokumen")
        return Target(text=f"kualitas layanan tingkat {n}")

    return Skp(
        approach=approach,
        rhk=(
            Rhk(id="rhk-1", kind=RhkKind.MAIN, description="Layanan informasi publik",
                supports_rhk="boss-rhk-1",
                indicators=(Indicator(id="ind-1", description="Permohonan terlayani",
                                      aspect="kuantitas", target=target(120)),)),
            Rhk(id="rhk-2", kind=RhkKind.MAIN, description="Pengelolaan situs web",
                indicators=(Indicator(id="ind-2", description="Pemutakhiran konten",
                                      aspect="waktu", target=target(52)),)),
            Rhk(id="rhk-3", kind=RhkKind.ADDITIONAL, description="Pelatihan internal",
                indicators=(Indicator(id="ind-3", description="Sesi pelatihan",
                                      aspect="kuantitas", target=target(4)),)),
        ),
    )


def ratings(rhk: Rating = Rating.MEETS, values: Rating = Rating.MEETS, **overrides: object
            ) -> Ratings:
    data: dict[str, object] = {
        "rhk": tuple(RhkRating(rhk_id=f"rhk-{i}", rating=rhk) for i in (1, 2, 3)),
        "values": tuple(ValueRating(value=v, rating=values) for v in CoreValue),
    }
    data.update(overrides)
    return Ratings.model_validate(data)


def open_command(policy: Policy = POLICY_6_2022, **overrides: object) -> OpenAppraisal:
    data: dict[str, object] = {
        "appraisal_id": f"appraisal-{YEAR}-k1",
        "cycle_id": f"{AGENCY}-{YEAR}",
        "parties": PARTIES,
        "policy": policy,
        "calendar": default_calendar(YEAR, policy),
        "position_kind": PositionKind.STAFF,
    }
    data.update(overrides)
    return OpenAppraisal.model_validate(data)


class Run:
    """Runs commands through decide/evolve, keeping every event (like the workflow does)."""

    def __init__(self, state: AppraisalState | None = None) -> None:
        self.state = state or AppraisalState()
        self.events: list[Event] = []
        self.now = START

    def do(self, command: Command, actor: Actor, *, at: datetime | None = None,
           advance: timedelta = timedelta(hours=1)) -> list[Event]:
        if at is None:
            self.now = self.now + advance
            at = self.now
        else:
            self.now = at
        new = decide(self.state, command, actor=actor, at=at)
        self.state = fold(new, self.state)
        self.events.extend(new)
        return new
