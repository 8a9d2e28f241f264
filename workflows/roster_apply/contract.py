"""The contract of the roster apply workflow: what it is started with and what its
activities answer. Plain pydantic models and names, no Temporal and no I/O."""

from __future__ import annotations

from pydantic import BaseModel

from domain.authorization import Actor

BATCH_SIZE = 500
"""Roster events appended per transaction (and per heartbeat) by a background apply."""


def roster_apply_workflow_id(upload_id: str) -> str:
    """One apply per upload: a second press of the button finds the first."""
    return f"roster-apply-{upload_id}"


class RosterApplyStart(BaseModel):
    """Apply the upload ``upload_id`` (queued in ``roster_applies``) as ``actor``."""

    upload_id: str
    agency: str
    actor: Actor
    batch_size: int = BATCH_SIZE


class RosterApplyOutcome(BaseModel):
    """``applied`` (the cycles then follow), or ``refused`` (nothing more applied)."""

    status: str
    version: int = 0
