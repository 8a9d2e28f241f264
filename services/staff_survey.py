"""Use cases of the staff's survey of the appraisal system (issue 15 section 5): an
employee of a closed cycle takes the cycle's one-time token and answers once, anonymously;
HR reads the figures per agency and per unit once the survey has ended.

The token proves eligibility without linkage: it is signed by the server and names the
cycle, the employee's unit in the cycle's roster and a random one-time value. Issuing it
records only *that* the employee received one (``staff_survey_issued``); spending it
records the SHA-256 of its one-time value (``staff_survey_spent``) and the answers with
the cycle and the unit, in one statement, and reads nothing of who sends it: :meth:`submit`
takes no actor. Nothing here logs.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from itsdangerous import BadSignature, URLSafeSerializer

from domain.authorization import Actor, Role
from domain.spreadsheet import Cell
from domain.staff_survey import (
    STAFF_SURVEY,
    GroupTally,
    StaffAnswer,
    SurveyResults,
    results,
    results_visible,
    survey_ends,
    survey_open,
)
from services.errors import Broken, Conflict, Forbidden, Invalid, NotFound, Unavailable
from store.staff_survey import ClosedCycle, StaffSurveyStore


class Invitation(StrEnum):
    OPEN = "open"
    """Open, and no token given yet: the employee may take one."""
    TAKEN = "taken"
    """Open, and the employee was given the token (answered, or took it elsewhere)."""


@dataclass(frozen=True)
class SurveyInvitation:
    cycle_id: str
    year: int
    ends: datetime
    status: Invitation


@dataclass(frozen=True)
class Token:
    cycle_id: str
    unit: str
    value: str
    """The signed token as sent in the form."""
    one_time: str

    @property
    def hash(self) -> bytes:
        return hashlib.sha256(self.one_time.encode()).digest()


@dataclass(frozen=True)
class StaffResults:
    cycle: ClosedCycle
    ends: datetime
    visible: bool
    results: SurveyResults | None
    """None until the survey has ended."""


BAD_TOKEN = Invalid("validation", "The request breaks a rule",
                    "the survey token is not valid for this cycle",
                    [Broken("token", "invalid_token",
                            "open the survey from your own page again")])


class StaffSurveyService:
    def __init__(self, store: StaffSurveyStore, secret: str | None) -> None:
        self._store = store
        self._signer = URLSafeSerializer(secret, salt="kinerja-staff-survey") \
            if secret else None

    def _sign(self) -> URLSafeSerializer:
        if self._signer is None:
            raise Unavailable("the staff survey's signing secret")
        return self._signer

    async def invitations(self, actor: Actor, now: datetime | None = None
                          ) -> list[SurveyInvitation]:
        """The surveys open to the employee now (closed cycles whose roster holds them)."""
        if actor.agency is None:
            return []
        moment = now or datetime.now(UTC)
        return [SurveyInvitation(m.cycle.cycle_id, m.cycle.year,
                                 survey_ends(m.cycle.closed_at),
                                 Invitation.TAKEN if m.issued else Invitation.OPEN)
                for m in await self._store.member_cycles(actor.agency, actor.subject)
                if m.cycle.closed_at is not None and survey_open(m.cycle.closed_at, moment)]

    async def invitation(self, actor: Actor, cycle_id: str, now: datetime | None = None
                         ) -> SurveyInvitation:
        for found in await self.invitations(actor, now):
            if found.cycle_id == cycle_id:
                return found
        raise NotFound("staff survey")

    async def issue(self, actor: Actor, cycle_id: str, now: datetime | None = None
                    ) -> Token | None:
        """The employee's one token for the cycle's survey; None when they were given it
        before (it is not kept: it cannot be given again)."""
        await self.invitation(actor, cycle_id, now)
        assert actor.agency is not None
        unit = next(m.unit for m in await self._store.member_cycles(actor.agency, actor.subject)
                    if m.cycle.cycle_id == cycle_id)
        one_time = secrets.token_urlsafe(32)
        value = str(self._sign().dumps({"c": cycle_id, "u": unit, "n": one_time}))
        if not await self._store.issue(cycle_id, actor.subject):
            return None
        return Token(cycle_id, unit, value, one_time)

    def token(self, value: object, cycle_id: str) -> Token | None:
        """The token ``value`` stands for, when it is a valid one of this cycle."""
        if self._signer is None or not isinstance(value, str) or not 0 < len(value) <= 400:
            return None  # without a secret no token was ever issued
        try:
            claims = self._signer.loads(value)
            if claims["c"] != cycle_id:
                return None
            return Token(cycle_id, str(claims["u"]), value, str(claims["n"]))
        except (BadSignature, KeyError, TypeError, ValueError):
            return None

    async def spent(self, token: Token) -> bool:
        return await self._store.is_spent(token.cycle_id, token.hash)

    async def submit(self, token_value: object, cycle_id: str, answer: StaffAnswer,
                     now: datetime | None = None) -> None:
        """Spend the token and store the answers (no actor: who sends them is not asked).
        Invalid for a token that is not this cycle's; Conflict when it was spent before or
        the survey is not open."""
        token = self.token(token_value, cycle_id)
        if token is None:
            raise BAD_TOKEN
        cycle = await self._store.cycle(cycle_id)
        if cycle is None:
            raise BAD_TOKEN
        if not survey_open(cycle.closed_at, now or datetime.now(UTC)):
            raise Conflict("survey_closed", "The survey is closed",
                           "the staff survey of this cycle is not open")
        if not await self._store.spend(cycle_id, token.hash, cycle.agency, token.unit, answer):
            raise Conflict("already_answered", "Already answered",
                           "this token was used: the survey is answered once")

    async def results(self, actor: Actor, cycle_id: str, now: datetime | None = None
                      ) -> StaffResults:
        """The figures per agency and unit (HR of the agency), once the survey has ended."""
        cycle = await self._store.cycle(cycle_id)
        if cycle is None or not actor.in_scope(cycle.agency):
            raise NotFound("cycle")
        if Role.HR not in actor.roles:
            raise Forbidden("the staff survey's results are for HR of the agency")
        if cycle.closed_at is None:
            raise NotFound("staff survey")
        ends = survey_ends(cycle.closed_at)
        if not results_visible(cycle.closed_at, now or datetime.now(UTC)):
            return StaffResults(cycle, ends, False, None)
        tallies = await self._store.tallies(cycle_id)
        for unit in await self._store.units(cycle_id):
            tallies.setdefault(unit, GroupTally())
        return StaffResults(cycle, ends, True, results(
            cycle.agency, tallies, await self._store.comments(cycle_id), STAFF_SURVEY))


RESULTS_HEADER: list[Cell] = ["cycle", "group", "unit", "respondents", "question", "mean",
                              "agree_percent", *(f"answered_{v}" for v in range(
                                  STAFF_SURVEY.scale_min, STAFF_SURVEY.scale_max + 1))]
"""One row per group shown and question; a hidden unit is one row with ``respondents``
empty and ``question`` the reason (``too_few``, ``inferable``)."""


def results_rows(found: StaffResults) -> list[list[Cell]]:
    if found.results is None:
        return []
    rows: list[list[Cell]] = []
    cycle = found.cycle.cycle_id
    for kind, group in [("agency", found.results.agency),
                        *(("unit", u) for u in found.results.units)]:
        unit = None if kind == "agency" else group.group
        if group.figures is None:
            rows.append([cycle, kind, unit, None, group.hidden.value if group.hidden else None,
                         None, None, *([None] * len(range(STAFF_SURVEY.scale_min,
                                                          STAFF_SURVEY.scale_max + 1)))])
            continue
        for q in group.figures.questions:
            rows.append([cycle, kind, unit, group.figures.respondents, q.question.value,
                         q.mean, q.agree_percent, *q.distribution])
    return rows


def results_csv(found: StaffResults) -> str:
    import csv
    import io

    from domain.spreadsheet import row

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(row(RESULTS_HEADER))
    writer.writerows(row(r) for r in results_rows(found))
    return buffer.getvalue()
