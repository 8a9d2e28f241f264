"""Use cases of an agency's yearly cycle: create it, send it HR's requests, read its state,
progress, calibration and results. A cycle's id is ``<agency>-<year>``; every request
becomes one update of its workflow; reads come from the read models."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from domain.appraisal import CommandRefused, Phase
from domain.appraisal.cascading import MatrixRow, matrix, may_read_matrix
from domain.authorization import Actor, AgencyAction, has_agency_role, may_on_agency
from domain.calibration import CurveCheck, OrganisationRating, check_distribution
from domain.credit import months_served, position_changes, position_span
from domain.cycle import CreateCycle, CycleState, CycleStatus
from domain.policy import (
    DEFAULT_UTC_OFFSET_HOURS,
    POLICIES,
    CycleCalendar,
    Policy,
    calendar_given,
    credit_points,
)
from domain.spreadsheet import Cell
from services.errors import (
    SENDING_FAILURES,
    Broken,
    Forbidden,
    Invalid,
    NotFound,
    Unavailable,
    answer_to,
)
from services.settings import AgencySettingsService
from store.cycles import CycleProgress, CycleStore
from telemetry.metrics import counted_command
from workflows.cycle.client import CycleClient
from workflows.cycle.contract import CycleIntent, CycleResult, StartCycleRequest
from workflows.indicators.client import IndicatorsClient
from workflows.indicators.contract import MeasureCycle


@dataclass(frozen=True)
class CycleOutcome:
    events: list[str]
    state: CycleState


@dataclass(frozen=True)
class Matriks:
    agency: str
    unit: str
    rows: list[MatrixRow]


@dataclass(frozen=True)
class Calibration:
    unit: str
    organisation_rating: OrganisationRating | None
    released: bool
    check: CurveCheck | None


RESULTS_HEADER: list[Cell] = ["nip", "name", "employee", "unit", "phase", "predikat",
                              "months", "credit_points"]


class CycleService:
    """HR's cycle operations and the reads of HR and inspectors."""

    def __init__(self, store: CycleStore, client: CycleClient,
                 settings: AgencySettingsService | None = None, *,
                 indicators: IndicatorsClient | None = None) -> None:
        self._store = store
        self._client = client
        self._settings = settings
        self._indicators = indicators

    async def calendar(self, agency: str, year: int, policy: Policy,
                       given: dict[str, date | datetime], *,
                       utc_offset_hours: int | None = None) -> CycleCalendar:
        """The calendar of a new cycle in the agency's zone (its setting; else the zone
        the caller names; else WIB): the policy's deadlines, or the dates HR gave, each
        the end of its day there (an instant: the end of the day it falls on). A zone
        named that is not the agency's setting is refused beside its field."""
        zone_set = await self._settings.zone_set(agency) if self._settings else None
        if zone_set is not None and utc_offset_hours not in (None, zone_set):
            raise Invalid("validation", "The request breaks a rule",
                          "the agency's zone is set in its settings",
                          [Broken("utc_offset_hours", "agency_zone",
                                  f"the agency's zone is UTC+{zone_set}; leave this out or "
                                  "change the agency's settings")])
        offset = zone_set or utc_offset_hours or DEFAULT_UTC_OFFSET_HOURS
        far = [Broken(f"calendar.{name}", "out_of_range",
                      f"a day of the years {year - 1} to {year + 2}")
               for name, value in given.items()
               if not year - 1 <= value.year <= year + 2]
        if far:
            raise Invalid("validation", "The request breaks a rule",
                          "a deadline far from the cycle's year", far)
        return calendar_given(year, policy, offset, given)

    async def visible(self, actor: Actor, cycle_id: str) -> CycleState:
        """The cycle, or NotFound when unknown or out of the caller's scope."""
        state = await self._store.state(cycle_id)
        if state is None or state.agency is None \
                or not may_on_agency(actor, AgencyAction.READ_CYCLE, state.agency):
            raise NotFound("cycle")
        return state

    @counted_command("intent")
    async def create(self, actor: Actor, intent: CreateCycle, cycle_id: str,
                     idempotency_key: str | None) -> CycleOutcome:
        if not may_on_agency(actor, AgencyAction.RUN_CYCLE, intent.agency):
            raise Forbidden("only HR of the agency may create its cycle")
        created = await self._outcome(await self._sent(cycle_id, intent, actor,
                                                       idempotency_key))
        await self._measure_at_year_end(created.state)
        return created

    async def _measure_at_year_end(self, state: CycleState) -> None:
        """Start the cycle's measurement of bound indicators (once: a second start finds
        it), at its creation and again at its start (a cycle the yearly schedule created)."""
        if self._indicators is None or state.cycle_id is None or state.agency is None \
                or state.year is None or state.calendar is None:
            return
        await self._indicators.start(MeasureCycle(
            cycle_id=state.cycle_id, agency=state.agency, year=state.year,
            utc_offset_hours=state.calendar.utc_offset_hours))

    @counted_command("intent")
    async def request(self, actor: Actor, cycle_id: str, intent: CycleIntent,
                      idempotency_key: str | None) -> CycleOutcome:
        """One of HR's requests to a cycle (start, move a deadline, rate, release, follow
        the roster, close)."""
        state = await self.visible(actor, cycle_id)
        assert state.agency is not None
        if not may_on_agency(actor, AgencyAction.RUN_CYCLE, state.agency):
            raise Forbidden("only HR of the agency may run its cycle")
        if state.status is CycleStatus.CLOSED:  # its workflow has ended
            raise CommandRefused("phase", "the cycle is closed; nothing changes it")
        outcome = await self._outcome(await self._sent(cycle_id, intent, actor,
                                                       idempotency_key))
        if isinstance(intent, StartCycleRequest):
            await self._measure_at_year_end(outcome.state)
        return outcome

    async def follow_roster(self, actor: Actor, agency: str, version: int) -> list[str]:
        """Ask each running cycle of ``agency`` to follow its roster (once per roster
        version); the cycles that were asked. A cycle that cannot be reached now is left
        out (it follows at the next upload, or by ``POST /v1/cycles/{id}/roster``)."""
        from workflows.cycle.contract import FollowRosterRequest

        following = []
        for cycle in await self._store.list([agency]):
            if cycle.status is not CycleStatus.RUNNING or cycle.cycle_id is None:
                continue
            try:
                await self._sent(cycle.cycle_id, FollowRosterRequest(), actor,
                                 f"roster-{agency}-v{version}-{cycle.cycle_id}")
            except (CommandRefused, NotFound, Unavailable):
                continue
            following.append(cycle.cycle_id)
        return following

    async def list(self, actor: Actor) -> list[CycleState]:
        if not has_agency_role(actor, AgencyAction.READ_CYCLE):
            raise Forbidden("cycles are for HR and inspectors")
        agencies = None if "*" in actor.agencies else sorted(actor.agencies)
        return await self._store.list(agencies)

    async def calibration(self, actor: Actor, cycle_id: str, unit: str) -> Calibration:
        state = await self.visible(actor, cycle_id)
        unit_state = state.units.get(unit)
        if unit_state is None or state.policy is None:
            raise NotFound("cycle")
        rating = unit_state.organisation_rating
        check = None
        if rating is not None:
            predikat = await self._store.unit_predikat(cycle_id, unit)
            check = check_distribution(rating, predikat, POLICIES[state.policy].curve)
        return Calibration(unit=unit, organisation_rating=rating,
                           released=unit_state.released_at is not None, check=check)

    async def matriks(self, actor: Actor, cycle_id: str, unit: str) -> Matriks:
        """The unit's Matriks Peran Hasil: who supports which result of their superior,
        each link checked against the appraiser's approved SKP of now. For HR and
        inspectors in scope and the unit's own people; NotFound for anyone else, an
        unknown cycle or a unit not in it."""
        state = await self._store.state(cycle_id)
        if state is None or state.agency is None or unit not in state.units \
                or not may_read_matrix(actor, state.agency, unit):
            raise NotFound("cycle")
        staff = await self._store.unit_skps(cycle_id, unit)
        appraisers = sorted({s.appraiser for s in staff if s.appraiser})
        rows = matrix(staff, await self._store.approved_rhk(cycle_id, appraisers))
        return Matriks(agency=state.agency, unit=unit, rows=rows)

    async def progress(self, cycle_id: str, *, unit: str | None = None,
                       overdue_limit: int = 1000) -> CycleProgress:
        """The cycle's progress now (the caller has checked the cycle is visible)."""
        return await self._store.progress(cycle_id, datetime.now(UTC), unit=unit,
                                          overdue_limit=overdue_limit)

    async def results(self, state: CycleState) -> list[list[Cell]]:
        """One row per appraisal: NIP, name, key, unit, phase, predikat, the months of the
        year served in the position the appraisal is for (:mod:`domain.credit`: from the
        roster changes recorded since the cycle started and the appraisal's opening) and,
        for a functional position with a final predikat, the credit points pro rata for
        those months; a header first."""
        assert state.policy is not None and state.cycle_id is not None
        assert state.agency is not None and state.year is not None
        assert state.calendar is not None
        policy = POLICIES[state.policy]
        changes = [] if state.started_at is None \
            else await self._store.roster_changes(state.agency, state.started_at)
        table: list[list[Cell]] = [list(RESULTS_HEADER)]
        for row in await self._store.results(state.cycle_id):
            months: int | None = None
            if row.opened_at is not None:
                span = position_span(
                    state.year,
                    position_changes(row.employee, changes, state.calendar.utc_offset_hours),
                    row.opened_at)
                months = months_served(span, state.year, policy)
            level = row.functional_level or row.member.functional_level
            points: Decimal | None = None
            if level is not None and row.predikat is not None and row.phase is Phase.FINAL:
                points = credit_points(level, row.predikat, policy,
                                       12 if months is None else months)
            table.append([row.member.nip, row.member.name, row.employee, row.unit,
                          row.phase.value, row.predikat.value if row.predikat else None,
                          months, points])
        return table

    async def _sent(self, cycle_id: str, intent: CycleIntent, actor: Actor,
                    idempotency_key: str | None) -> CycleResult:
        try:
            return await self._client.send(cycle_id, intent, actor,
                                           idempotency_key or str(uuid.uuid4()))
        except SENDING_FAILURES as failed:
            raise answer_to(failed, what="cycle",
                            ended="the cycle is closed; nothing changes it") from None

    async def _outcome(self, result: CycleResult) -> CycleOutcome:
        state = await self._store.state(result.cycle_id)
        if state is None:  # pragma: no cover - written before the update completes
            raise NotFound("cycle")
        return CycleOutcome(events=result.events, state=state)
