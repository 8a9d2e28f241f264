"""Routes for inspectors: trails with sequence and hashes, states as of any point, their
differences, verification, checkpoints, proofs, export bundles, and the access stream.

Every route needs the inspector role (403 otherwise); an appraisal outside the
inspector's agencies is a 404, as an unknown one is. The access stream of an
agency (who read what, when) is also open to that agency's HR. Each read of
an appraisal or an export is recorded in ``access-<agency>`` before the
answer goes out, by ``api.access.record_read`` like the other routes' reads.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from api.access import record_read
from api.auth import CurrentActor
from api.edge import INT4_MAX, INT8_MAX
from api.problems import FieldError, Problem, not_found
from api.schemas import TrailEvent
from domain.appraisal import AppraisalState
from domain.authorization import Actor, Role, is_inspector, may_inspect, may_read_access_log
from domain.checkpoint import Checkpoint
from domain.replay import TrailEntry, replay, state_diff
from store.appraisals import AppraisalReadModel, AppraisalSummary
from store.audit import AuditFailure, Auditor, AuditReport, ProofRefused, access_stream
from store.event_log import EventLog

router = APIRouter(prefix="/v1/audit", tags=["inspector"])

log = structlog.get_logger("kinerja.inspection")


@dataclass(frozen=True)
class AuditSettings:
    """What verification trusts: the checkpoints' public key, the checkpoint log file."""

    public_key: bytes | None = None
    checkpoint_log: Path | None = None
    unsealed_warning_seconds: float = 60.0
    """A verification whose oldest unsealed event is older than this warns."""


# --------------------------------------------------------------------------- views


class AuditTrailEvent(TrailEvent):
    """One event of the trail, with its place in the global sequence."""

    seq: int | None
    """Position in the global sequence; null until the sealer has sealed it."""


class StateView(BaseModel):
    appraisal_id: str
    version: int
    as_of_version: int | None
    as_of: datetime | None
    state: dict[str, Any]


class ChangeView(BaseModel):
    path: str
    before: Any
    after: Any


class DiffView(BaseModel):
    appraisal_id: str
    from_version: int
    to_version: int
    changes: list[ChangeView]


class CheckpointView(BaseModel):
    tree_size: int
    root: str
    signed_at: str
    key_id: str
    signature: str
    public_key: str | None
    """Base64 of the raw Ed25519 key the API verifies with."""

    @classmethod
    def of(cls, checkpoint: Checkpoint, public_key: bytes | None) -> CheckpointView:
        return cls(**checkpoint.to_json(),
                   public_key=base64.b64encode(public_key).decode() if public_key else None)


class FailureView(BaseModel):
    check: str
    reason: str
    stream_id: str | None
    version: int | None
    seq: int | None


class BacklogView(BaseModel):
    """Committed events that carry no seal yet (in the scope of the verification)."""

    unsealed_events: int
    oldest_unsealed_at: datetime | None
    oldest_unsealed_age_seconds: float | None
    unsealed_versions: list[int] | None
    """One stream's unsealed versions; null for the whole log."""
    warn_after_seconds: float


class VerificationView(BaseModel):
    ok: bool
    """The checks passed (chains, sequence, tree, checkpoints); a backlog does not fail."""
    scope: str
    events_checked: int
    tree_size: int
    checkpoints_checked: int
    latest_checkpoint: CheckpointView | None
    first_failure: FailureView | None
    sealed: bool
    """False when committed events have waited for a seal longer than the threshold."""
    backlog: BacklogView | None
    warnings: list[str]
    """``unsealed-backlog``: see ``sealed``."""
    notes: list[str]


class InclusionProofView(BaseModel):
    appraisal_id: str
    version: int
    seq: int
    leaf_hash: str
    tree_size: int
    root: str
    proof: list[str]
    checkpoint: CheckpointView


class ConsistencyProofView(BaseModel):
    old_size: int
    new_size: int
    old_root: str
    new_root: str
    proof: list[str]
    old_checkpoint: CheckpointView
    new_checkpoint: CheckpointView


class AccessEventView(BaseModel):
    version: int
    recorded_at: datetime
    type: str
    """``InspectorRead``, or ``HrRead`` (HR's reads of personal data)."""
    actor: str | None
    roles: list[str]
    actor_agency: str | None
    request_id: str | None
    what: str
    appraisal_id: str | None
    details: dict[str, Any]


# --------------------------------------------------------------------------- helpers


def _auditor(request: Request) -> Auditor:
    return request.app.state.kinerja.auditor  # type: ignore[no-any-return]


def _settings(request: Request) -> AuditSettings:
    return request.app.state.audit_settings  # type: ignore[no-any-return]


def _require_inspector(actor: Actor) -> None:
    if not is_inspector(actor):
        raise Problem(403, "forbidden", "Not allowed", "the audit routes are for inspectors")


async def _inspected(request: Request, appraisal_id: str, actor: Actor) -> AppraisalSummary:
    _require_inspector(actor)
    read_model: AppraisalReadModel = request.app.state.kinerja.read_model
    summary = await read_model.summary(appraisal_id)
    if summary is None or not may_inspect(actor, summary.parties.agency):
        raise not_found()
    return summary


async def _record(request: Request, actor: Actor, agency: str, what: str, **details: Any
                  ) -> None:
    await record_read(request, actor, agency, what, **details)


def _field_problem(field: str, message: str, status: int = 422) -> Problem:
    return Problem(status, "validation", "The request breaks a rule", f"{field}: {message}",
                   errors=[FieldError(field=field, rule="value_error", message=message)])


def _entries(events: list[Any]) -> list[TrailEntry]:
    return [TrailEntry(e.version, e.type, e.data, e.recorded_at) for e in events]


async def _state_at(request: Request, appraisal_id: str, version: int | None,
                    at: datetime | None, prefix: str = "") -> AppraisalState:
    if at is not None and at.tzinfo is None:
        raise _field_problem(f"query.{prefix}at", "a moment needs a time zone, e.g. Z")
    event_log: EventLog = request.app.state.kinerja.event_log
    events = await event_log.read_stream(appraisal_id)
    if version is not None and version > len(events):
        raise _field_problem(f"query.{prefix}version",
                             f"the trail has {len(events)} events", 404)
    return replay(_entries(events), version=version, at=at)


def _failure_view(failure: AuditFailure | None) -> FailureView | None:
    if failure is None:
        return None
    return FailureView(check=failure.check, reason=failure.reason, stream_id=failure.stream_id,
                       version=failure.version, seq=failure.seq)


def _verification(report: AuditReport, scope: str, settings: AuditSettings
                  ) -> VerificationView:
    latest, backlog = report.latest_checkpoint, report.backlog
    return VerificationView(
        ok=report.ok, scope=scope, events_checked=report.events_checked,
        tree_size=report.tree_size, checkpoints_checked=report.checkpoints_checked,
        latest_checkpoint=CheckpointView.of(latest, settings.public_key) if latest else None,
        first_failure=_failure_view(report.first_failure), sealed=report.sealed,
        backlog=BacklogView(
            unsealed_events=backlog.events, oldest_unsealed_at=backlog.oldest_recorded_at,
            oldest_unsealed_age_seconds=backlog.age_seconds,
            unsealed_versions=list(backlog.versions) if backlog.versions is not None else None,
            warn_after_seconds=settings.unsealed_warning_seconds) if backlog else None,
        warnings=report.warnings, notes=report.notes)


# --------------------------------------------------------------------------- routes


@router.get("/appraisals/{appraisal_id}/trail",
            summary="The trail: each event's actor, role, time, version, sequence and hash")
async def trail(request: Request, appraisal_id: str, actor: CurrentActor
                ) -> list[AuditTrailEvent]:
    summary = await _inspected(request, appraisal_id, actor)
    events = await _auditor(request).trail(appraisal_id)
    await _record(request, actor, summary.parties.agency, "trail", appraisal_id=appraisal_id)
    return [AuditTrailEvent.of(e, seq=seq) for e, seq in events]


@router.get("/appraisals/{appraisal_id}/state",
            summary="The state as of a version or a moment (replayed with domain.evolve)")
async def state(
    request: Request, appraisal_id: str, actor: CurrentActor,
    version: Annotated[int | None, Query(ge=0, le=INT4_MAX,
                                         description="after this many events")] = None,
    at: Annotated[datetime | None, Query(description="as recorded at this moment (RFC 3339)")
                  ] = None,
) -> StateView:
    summary = await _inspected(request, appraisal_id, actor)
    replayed = await _state_at(request, appraisal_id, version, at)
    await _record(request, actor, summary.parties.agency, "state", appraisal_id=appraisal_id,
                  version=version, at=at.isoformat() if at else None)
    return StateView(appraisal_id=appraisal_id, version=replayed.version,
                     as_of_version=version, as_of=at,
                     state=replayed.model_dump(mode="json"))


@router.get("/appraisals/{appraisal_id}/diff",
            summary="What changed between two points of the trail (versions or moments)")
async def difference(
    request: Request, appraisal_id: str, actor: CurrentActor,
    from_version: Annotated[int | None, Query(ge=0, le=INT4_MAX)] = None,
    from_at: Annotated[datetime | None, Query()] = None,
    to_version: Annotated[int | None, Query(ge=0, le=INT4_MAX)] = None,
    to_at: Annotated[datetime | None, Query()] = None,
) -> DiffView:
    summary = await _inspected(request, appraisal_id, actor)
    if from_version is None and from_at is None:
        raise _field_problem("query.from_version", "give from_version or from_at")
    before = await _state_at(request, appraisal_id, from_version, from_at, "from_")
    after = await _state_at(request, appraisal_id, to_version, to_at, "to_")
    await _record(request, actor, summary.parties.agency, "diff", appraisal_id=appraisal_id)
    return DiffView(appraisal_id=appraisal_id, from_version=before.version,
                    to_version=after.version,
                    changes=[ChangeView(path=c.path, before=c.before, after=c.after)
                             for c in state_diff(before, after)])


@router.get("/verify", summary="Verify one appraisal's stream, or the whole log",
            description="Chains, sequence contiguity, the Merkle tree and the signed "
                        "checkpoints; names the first failure. Also the unsealed backlog "
                        "(committed events without a seal yet, the oldest one's age): "
                        "older than the threshold, `sealed` is false and `warnings` holds "
                        "`unsealed-backlog`, while `ok` stays the checks' answer. The whole "
                        "log needs an inspector of every agency (`*`).")
async def verify(
    request: Request, actor: CurrentActor,
    stream: Annotated[str | None, Query(max_length=200, description="an appraisal id")] = None,
) -> VerificationView:
    _require_inspector(actor)
    auditor = _auditor(request)
    settings = _settings(request)
    if stream is not None:
        summary = await _inspected(request, stream, actor)
        report = await auditor.verify_stream(stream)
        await _record(request, actor, summary.parties.agency, "verify", appraisal_id=stream)
        return _verification(report, stream, settings)
    if "*" not in actor.agencies:
        raise Problem(403, "forbidden", "Not allowed",
                      "verifying the whole log needs an inspector of every agency (*); "
                      "give stream= for one appraisal")
    return _verification(await auditor.verify_all(), "all", settings)


@router.get("/checkpoints/latest", summary="The latest signed checkpoint")
async def latest_checkpoint(request: Request, actor: CurrentActor) -> CheckpointView:
    _require_inspector(actor)
    checkpoint = await _auditor(request).latest_checkpoint()
    if checkpoint is None:
        raise not_found("checkpoint")
    return CheckpointView.of(checkpoint, _settings(request).public_key)


@router.get("/proofs/inclusion", summary="Inclusion proof of one event in a checkpoint")
async def inclusion(
    request: Request, actor: CurrentActor,
    appraisal: Annotated[str, Query(max_length=200)],
    version: Annotated[int, Query(ge=1, le=INT4_MAX)],
    tree_size: Annotated[int | None, Query(ge=1, le=INT8_MAX, description="a checkpoint's size; "
                                           "default: the latest")] = None,
) -> InclusionProofView:
    summary = await _inspected(request, appraisal, actor)
    try:
        found = await _auditor(request).inclusion(appraisal, version, tree_size)
    except ProofRefused as refused:
        raise _field_problem(f"query.{refused.parameter}", refused.reason,
                             refused.status) from None
    await _record(request, actor, summary.parties.agency, "inclusion-proof",
                  appraisal_id=appraisal, version=version)
    checkpoint = found.checkpoint
    return InclusionProofView(
        appraisal_id=appraisal, version=version, seq=found.seq,
        leaf_hash=found.leaf_hash.hex(), tree_size=checkpoint.tree_size,
        root=checkpoint.root.hex(), proof=[p.hex() for p in found.proof],
        checkpoint=CheckpointView.of(checkpoint, _settings(request).public_key))


@router.get("/proofs/consistency", summary="Consistency proof of an older checkpoint in a newer")
async def consistency(
    request: Request, actor: CurrentActor,
    old_size: Annotated[int, Query(ge=1, le=INT8_MAX)],
    new_size: Annotated[int | None, Query(ge=1, le=INT8_MAX,
                                          description="default: the latest")] = None,
) -> ConsistencyProofView:
    _require_inspector(actor)
    try:
        found = await _auditor(request).consistency(old_size, new_size)
    except ProofRefused as refused:
        raise _field_problem(f"query.{refused.parameter}", refused.reason,
                             refused.status) from None
    old, new = found.old, found.new
    public_key = _settings(request).public_key
    return ConsistencyProofView(
        old_size=old.tree_size, new_size=new.tree_size, old_root=old.root.hex(),
        new_root=new.root.hex(), proof=[p.hex() for p in found.proof],
        old_checkpoint=CheckpointView.of(old, public_key),
        new_checkpoint=CheckpointView.of(new, public_key))


@router.get("/exports", summary="Export bundle: events, checkpoints, proofs, public key",
            description="One of `appraisal`, or `cycle` with `unit`, or `cycle` alone. A "
                        "JSON-lines download that `kinerja verify` checks offline.",
            response_class=StreamingResponse)
async def export(
    request: Request, actor: CurrentActor,
    appraisal: Annotated[str | None, Query(max_length=200)] = None,
    unit: Annotated[str | None, Query(max_length=64)] = None,
    cycle: Annotated[str | None, Query(max_length=100)] = None,
) -> StreamingResponse:
    _require_inspector(actor)
    if appraisal is not None:
        summary = await _inspected(request, appraisal, actor)
        agency, streams = summary.parties.agency, [appraisal]
        scope = {"appraisal": appraisal}
        name = appraisal
    elif cycle is not None:
        rows = await _auditor(request).cycle_streams(cycle, unit)
        agencies = {row_agency for _, row_agency in rows}
        if not rows or len(agencies) != 1 or not may_inspect(actor, agencies.pop()):
            raise not_found("cycle or unit")
        agency = rows[0][1]
        streams = [stream for stream, _ in rows]
        scope = {"cycle": cycle, **({"unit": unit} if unit is not None else {})}
        name = f"{cycle}-{unit}" if unit is not None else cycle
    else:
        raise _field_problem("query.appraisal", "give appraisal, or cycle (and unit)")
    await _record(request, actor, agency, "export", **scope)
    body = _auditor(request).export(streams, scope, _settings(request).public_key)
    return StreamingResponse(_guarded(body), media_type="application/x-ndjson", headers={
        "Content-Disposition": f'attachment; filename="kinerja-{name}.jsonl"'})


async def _guarded(body: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    try:
        async for chunk in body:
            yield chunk
    except Exception:  # headers are gone: the missing end line makes the bundle fail
        log.exception("export failed mid-stream")
        raise


@router.get("/access", tags=["hr"], summary="Who read what of an agency, and when",
            description="The agency's access stream: inspectors' reads, and HR's reads of "
                        "personal data (see `domain.access`).")
async def access(
    request: Request, actor: CurrentActor,
    agency: Annotated[str, Query(max_length=100)],
    from_version: Annotated[int, Query(ge=1, le=INT4_MAX)] = 1,
) -> list[AccessEventView]:
    if not may_read_access_log(actor, agency):
        if actor.roles & {Role.INSPECTOR, Role.HR}:
            raise not_found("agency")
        raise Problem(403, "forbidden", "Not allowed",
                      "the access stream is for inspectors and HR of the agency")
    event_log: EventLog = request.app.state.kinerja.event_log
    events = await event_log.read_stream(access_stream(agency), from_version=from_version)
    return [
        AccessEventView(version=e.version, recorded_at=e.recorded_at, type=e.type,
                        actor=e.metadata.get("actor"), roles=e.metadata.get("roles", []),
                        actor_agency=e.metadata.get("actor_agency"),
                        request_id=e.metadata.get("request_id"),
                        what=e.data.get("what", ""), appraisal_id=e.data.get("appraisal_id"),
                        details={k: v for k, v in e.data.items()
                                 if k not in ("what", "appraisal_id")})
        for e in events
    ]


__all__ = ["AuditSettings", "router"]
