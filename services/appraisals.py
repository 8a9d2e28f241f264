"""Use cases of one appraisal: open it, send it a command, read it.

Every command goes the same way whichever door it came through: one update to
its workflow, whose validator runs the domain's ``decide`` (who may, when, with
what content) on the workflow's own state and refuses before anything enters
the history. The read model is not read first: the authorization is decided
once, by the domain, in the validator (and again by the handler, which decides
under the lock on a state that may have moved since validation). Only when the
workflow refuses or cannot be reached does the use case read the read model, to
give each caller no more than they may learn: NotFound to whoever may not read
the appraisal (unknown, or outside their scope), Forbidden to a party who may
not take this action, the domain's refusal otherwise. A release also reads it
first, for the one fact its rule needs (the unit's calibration).

The update id is the idempotency key scoped to the person sending it
(:func:`workflows.appraisal.client.update_id`): Temporal answers a repeated
update id with the first result without running the validator, so another
person's key must never name the same update.

A repeated request (same idempotency key, same person) answers with its first
result in every phase: Temporal returns it while the update is in the running
workflow's history; after that (the appraisal ended, the workflow continued as
new, the first answer was lost in a failure) the log does, since every event
carries the request id it was appended for.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

import asyncpg

from domain.appraisal import (
    COMMAND_ACTION,
    TERMINAL_PHASES,
    AppraisalState,
    ApproveTargets,
    Command,
    CommandRefused,
    OpenAppraisal,
    Phase,
    ReleaseResult,
    SetTargets,
    SubmitTargets,
    TargetStatus,
    decide,
)
from domain.authorization import Actor, ReadScope, may, may_read, read_scope
from domain.replay import TrailEntry, replay
from services.errors import SENDING_FAILURES, Forbidden, NotFound, Unavailable, answer_to
from services.evidence import check_attached
from store.appraisals import AppraisalReadModel, AppraisalStateView, AppraisalSummary
from store.cycles import CycleStore
from store.event_log import EventLog, RecordedEvent
from store.evidence import EvidenceStore
from telemetry.metrics import counted_command
from workflows.appraisal.client import (
    AppraisalClient,
    AppraisalEnded,
    OutcomeUnknown,
    TemporalUnavailable,
)
from workflows.appraisal.contract import CommandResult

T = TypeVar("T")


@dataclass(frozen=True)
class CommandOutcome:
    """The events a command recorded and the appraisal's state after them (from the read
    model, written in the same transaction as the events, before the answer)."""

    events: list[str]
    state: AppraisalStateView


class AppraisalService:
    """Open, command and read appraisals (see the module)."""

    def __init__(self, read_model: AppraisalReadModel, event_log: EventLog,
                 client: AppraisalClient, cycles: CycleStore | None = None,
                 evidence: EvidenceStore | None = None) -> None:
        self._read_model = read_model
        self._evidence = evidence
        self._event_log = event_log
        self._client = client
        self._cycles = cycles

    # ------------------------------------------------------------------ commands

    @counted_command("command")
    async def open(self, actor: Actor, command: OpenAppraisal, idempotency_key: str | None
                   ) -> CommandOutcome:
        """HR opens one appraisal (a cycle opens its own through its activities)."""
        # Refuse early what the workflow would refuse, without starting one.
        decide(AppraisalState(), command, actor=actor, at=datetime.now(UTC))
        request_id = idempotency_key or str(uuid.uuid4())
        result = await self._sent(self._client.open(command, actor, request_id),
                                  command.appraisal_id, idempotency_key, actor)
        return await self._outcome(result)

    @counted_command("command")
    async def command(self, actor: Actor, appraisal_id: str, command: Command,
                      idempotency_key: str | None) -> CommandOutcome:
        """Send ``command`` by ``actor`` to the appraisal; returns once its events are
        stored."""
        if isinstance(command, ReleaseResult | SubmitTargets | ApproveTargets | SetTargets):
            command = await self._with_facts(appraisal_id, command)
        request_id = idempotency_key or str(uuid.uuid4())
        try:
            # A file it names must be attached to this appraisal: the workflow cannot check
            # (the files are in PostgreSQL, outside its state), so it is checked here, before.
            if self._evidence is not None:
                await check_attached(self._evidence, appraisal_id, command)
            result = await self._client.send(appraisal_id, command, actor, request_id)
        except SENDING_FAILURES as failed:  # (a refusal told only to whom it may be)
            result = await self._after_failure(failed, actor, appraisal_id, command,
                                               idempotency_key)
        return await self._outcome(result)

    async def _with_facts(self, appraisal_id: str,
                          command: ReleaseResult | SubmitTargets | ApproveTargets | SetTargets
                          ) -> Command:
        """``command`` with the facts the domain's rule needs, from the read models (the
        requester's word is never taken for them): for a release, whether the unit is
        released with its calibration passed; for an SKP submitted, approved or set by HR,
        the RHK of the appraiser's approved SKP in this cycle (none when they have none)."""
        summary = await self._read_model.summary(appraisal_id)
        if summary is None:
            raise NotFound()
        if isinstance(command, ReleaseResult):
            calibrated = self._cycles is not None and await self._cycles.unit_calibrated(
                summary.cycle_id, summary.parties.unit)
            return command.model_copy(update={"unit_calibrated": calibrated})
        appraiser = summary.parties.appraiser
        theirs = {} if self._cycles is None or appraiser is None else (
            await self._cycles.approved_rhk(summary.cycle_id, [appraiser])).get(appraiser, {})
        return command.model_copy(update={"appraiser_rhk": theirs})

    async def _after_failure(self, failed: Exception, actor: Actor, appraisal_id: str,
                             command: Command, idempotency_key: str | None
                             ) -> CommandResult:
        """The answer to a command the workflow refused or that did not go through: what
        the caller may learn (see the module), or the first result of a repeated
        request."""
        try:
            summary = await self._read_model.summary(appraisal_id)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            if isinstance(failed, (OutcomeUnknown, TemporalUnavailable)):
                raise self._answer(failed) from None  # it says nothing of the appraisal
            # Without the read model nobody can be told more than that it failed.
            raise Unavailable("the database") from None
        if summary is None:
            raise NotFound() from None
        if not may(actor, COMMAND_ACTION[command.kind], summary.parties):
            if not may_read(actor, summary.parties):  # a peer may give feedback, not read
                raise NotFound() from None
            raise Forbidden(f"you may not {command.kind.replace('_', ' ')} on this appraisal")
        first = await self._first_result_if_any(appraisal_id, idempotency_key, actor)
        if first is not None:
            return first
        if summary.phase in TERMINAL_PHASES and isinstance(
                failed, (AppraisalEnded, CommandRefused)):
            raise CommandRefused("phase",
                                 f"the appraisal is {summary.phase.value}; nothing changes it")
        raise self._answer(failed) from None

    async def first_result(self, appraisal_id: str, idempotency_key: str | None, actor: Actor
                           ) -> CommandResult | None:
        """The result of the first request of ``actor`` with ``idempotency_key``, from the
        log; None when the log holds no event of it."""
        if not idempotency_key:
            return None
        trail = await self._event_log.read_up_to_request(appraisal_id, idempotency_key)
        ours = [e for e in trail if e.metadata.get("request_id") == idempotency_key]
        if not ours or any(e.metadata.get("actor") != actor.subject
                           or e.metadata.get("actor_agency") != actor.agency for e in ours):
            return None  # another person's key is not this person's result
        state = replay(TrailEntry(version=e.version, type=e.type, data=e.data,
                                  recorded_at=e.recorded_at) for e in trail)
        return CommandResult(appraisal_id=appraisal_id, version=state.version,
                             phase=state.phase, events=[e.type for e in ours])

    async def _sent(self, sending: Awaitable[CommandResult], appraisal_id: str,
                    idempotency_key: str | None, actor: Actor) -> CommandResult:
        """The result of ``sending``; on any failure, the first result of a repeated
        request if the log has one, else the failure as the service's answer."""
        try:
            return await sending
        except SENDING_FAILURES as failed:
            failure = self._answer(failed)
        first = await self._first_result_if_any(appraisal_id, idempotency_key, actor)
        if first is None:
            raise failure
        return first

    async def _first_result_if_any(self, appraisal_id: str, idempotency_key: str | None,
                                   actor: Actor) -> CommandResult | None:
        try:
            return await self.first_result(appraisal_id, idempotency_key, actor)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            return None  # the database is down too: the workflow's answer stands

    @staticmethod
    def _answer(failed: Exception) -> Exception:
        return answer_to(failed, what="appraisal", ended=(
            "this appraisal has ended (final or cancelled); nothing changes it and it "
            "cannot be opened again"))

    async def _outcome(self, result: CommandResult) -> CommandOutcome:
        # The one read after a command: the answer carries the whole state, which the
        # update's result does not (it stays in the workflow's history with every update,
        # so it is kept small); the row was written with the events, before the result.
        stored = await self._read_model.view(result.appraisal_id)
        if stored is None:  # pragma: no cover - written before the update completes
            raise NotFound()
        return CommandOutcome(events=result.events, state=stored)

    # ------------------------------------------------------------------ reads

    async def visible(self, actor: Actor, appraisal_id: str) -> AppraisalSummary:
        """The appraisal's summary if ``actor`` may read it; NotFound otherwise."""
        summary = await self._read_model.summary(appraisal_id)
        if summary is None or not may_read(actor, summary.parties):
            raise NotFound()
        return summary

    async def state(self, actor: Actor, appraisal_id: str) -> AppraisalStateView:
        await self.visible(actor, appraisal_id)
        stored = await self._read_model.view(appraisal_id)
        if stored is None:  # pragma: no cover - the summary and the state are one row
            raise NotFound()
        return stored

    async def summary_and_state(self, actor: Actor, appraisal_id: str
                                ) -> tuple[AppraisalSummary, AppraisalStateView]:
        """:meth:`visible` and :meth:`state` in one (a page shows both)."""
        summary = await self.visible(actor, appraisal_id)
        stored = await self._read_model.view(appraisal_id)
        if stored is None:  # pragma: no cover - the summary and the state are one row
            raise NotFound()
        return summary, stored

    async def superior_rhk(self, actor: Actor, summary: AppraisalSummary
                           ) -> list[tuple[str, str]]:
        """The RHK (id, description) of the appraiser's approved SKP in the same cycle, which
        the employee's RHK may support (intervensi); none when the appraiser has no
        appraisal there or its SKP is not approved. Only the appraisal's employee asks, with
        the appraisal's summary as :meth:`visible` gave it."""
        parties = summary.parties
        if not actor.is_person(parties.agency, parties.employee) or not parties.appraiser:
            return []
        scope = ReadScope(subject=None, agencies=frozenset({parties.agency}),
                          all_agencies=False)
        theirs = await self._read_model.list(scope, cycle_id=summary.cycle_id,
                                             employee=parties.appraiser,
                                             agency=parties.agency, limit=1)
        if not theirs:
            return []
        stored = await self._read_model.view(theirs[0].appraisal_id)
        if stored is None or stored.state.get("targets_status") not in (
                TargetStatus.APPROVED.value, TargetStatus.SET_BY_HR.value):
            return []
        return [(str(r["id"]), str(r["description"]))
                for r in (stored.state.get("skp") or {}).get("rhk", ())]

    async def events(self, actor: Actor, appraisal_id: str, from_version: int = 1
                     ) -> list[RecordedEvent]:
        await self.visible(actor, appraisal_id)
        return await self._event_log.read_stream(appraisal_id, from_version=from_version)

    async def mine(self, actor: Actor) -> list[AppraisalSummary]:
        """The caller's own appraisals (keys are numbered per agency: no agency, none)."""
        if actor.agency is None:
            return []
        return await self._read_model.list(read_scope(actor), employee=actor.subject,
                                           agency=actor.agency)

    async def list(self, actor: Actor, *, cycle: str | None = None, unit: str | None = None,
                   phase: Phase | None = None, role: str | None = None, limit: int = 100,
                   offset: int = 0) -> list[AppraisalSummary]:
        """Appraisals in the caller's scope; ``role``: only those where the caller is that
        party (employee, appraiser, superior)."""
        mine: dict[str, str | None] = {role: actor.subject, "agency": actor.agency} \
            if role else {}
        return await self._read_model.list(read_scope(actor), cycle_id=cycle, unit=unit,
                                           phase=phase, limit=limit, offset=offset, **mine)
