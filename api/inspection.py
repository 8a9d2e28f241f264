"""Routes for inspectors: trails with sequence and hashes, states as of any point, their
differences, verification, checkpoints, proofs, export bundles, and the access stream.

Every route needs the inspector role (403 otherwise); an appraisal outside the
inspector's agencies is a 404, as an unknown one is. The access stream of an
agency (who read what, when) is also open to that agency's HR. Each read of
an appraisal or an export is recorded in ``access-<agency>`` before the
answer goes out. Each route is one call of ``services.inspection.InspectionService``,
the same use cases the inspectors' pages (``web/inspection.py``) call.
"""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from api.access import read_context
from api.auth import CurrentActor
from api.edge import INT4_MAX, INT8_MAX
from api.problems import not_found
from api.schemas import TrailEvent
from domain.checkpoint import Checkpoint
from services.inspection import Export, InspectionService, Point
from store.audit import AuditFailure, AuditReport

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


def _service(request: Request) -> InspectionService:
    return request.app.state.kinerja.inspection  # type: ignore[no-any-return]


def _settings(request: Request) -> AuditSettings:
    return request.app.state.audit_settings  # type: ignore[no-any-return]


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
    _, items = await _service(request).trail(actor, appraisal_id, read_context(request))
    return [AuditTrailEvent.of(item.event, seq=item.seq) for item in items]


@router.get("/appraisals/{appraisal_id}/state",
            summary="The state as of a version or a moment (replayed with domain.evolve)")
async def state(
    request: Request, appraisal_id: str, actor: CurrentActor,
    version: Annotated[int | None, Query(ge=0, le=INT4_MAX,
                                         description="after this many events")] = None,
    at: Annotated[datetime | None, Query(description="as recorded at this moment (RFC 3339)")
                  ] = None,
) -> StateView:
    _, replayed = await _service(request).state(actor, appraisal_id, Point(version, at),
                                                read_context(request))
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
    _, found = await _service(request).diff(actor, appraisal_id, Point(from_version, from_at),
                                            Point(to_version, to_at), read_context(request))
    return DiffView(appraisal_id=appraisal_id, from_version=found.before.version,
                    to_version=found.after.version,
                    changes=[ChangeView(path=c.path, before=c.before, after=c.after)
                             for c in found.changes])


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
    report = await _service(request).verify(actor, stream, read_context(request))
    return _verification(report, stream if stream is not None else "all", _settings(request))


@router.get("/checkpoints/latest", summary="The latest signed checkpoint")
async def latest_checkpoint(request: Request, actor: CurrentActor) -> CheckpointView:
    checkpoint = await _service(request).latest_checkpoint(actor)
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
    found = await _service(request).inclusion(actor, appraisal, version, tree_size,
                                              read_context(request))
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
    found = await _service(request).consistency(actor, old_size, new_size)
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
    bundle = await _service(request).export(actor, read_context(request), appraisal=appraisal,
                                            cycle=cycle, unit=unit,
                                            public_key=_settings(request).public_key)
    return bundle_response(bundle)


def bundle_response(bundle: Export) -> StreamingResponse:
    """The bundle as a JSON-lines download named ``kinerja-<scope>.jsonl``."""
    return StreamingResponse(_guarded(bundle.body), media_type="application/x-ndjson",
                             headers={"Content-Disposition":
                                      f'attachment; filename="{bundle_file_name(bundle)}"'})


def bundle_file_name(bundle: Export) -> str:
    return f"kinerja-{bundle.name}.jsonl"


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
    entries = await _service(request).access(actor, agency, from_version=from_version)
    return [AccessEventView(**dataclasses.asdict(e)) for e in entries]


__all__ = ["AuditSettings", "bundle_file_name", "bundle_response", "router"]
