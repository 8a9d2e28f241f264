"""The contract of the reminder workflow: its start and status, and what it sends to its
activity. Plain pydantic models and names, no Temporal and no I/O."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from domain.reminders import ReminderPolicy

SCANS_PER_RUN = 200
"""The reminder workflow continues as new after this many scans."""


class ReminderConfig(BaseModel):
    """How the reminder workflow runs: the policy, how often it scans, and what its
    messages link to. Given at start and by the ``configure`` signal."""

    model_config = ConfigDict(frozen=True)

    policy: ReminderPolicy = ReminderPolicy()
    scan_seconds: float = Field(default=3600.0, gt=0)
    retry_seconds: float = Field(default=300.0, gt=0)
    """The next scan after a transient delivery failure comes at most this soon."""
    link_base_url: str = "http://127.0.0.1:8000"
    time_zone: str = "Asia/Jakarta"
    batch: int = Field(default=200, ge=1)
    """At most this many reminders per activity; more are sent by the next one at once."""


class ReminderScan(BaseModel):
    """One scan at the workflow's ``now``: send what is due, say when to look again."""

    model_config = ConfigDict(frozen=True)

    now: datetime
    config: ReminderConfig


class ReminderScanOutcome(BaseModel):
    model_config = ConfigDict(frozen=True)

    due: int = 0
    """Reminders due at ``now`` and not yet settled."""
    sent: int = 0
    skipped: int = 0
    """Claimed by someone else (another scan holds it)."""
    failed: int = 0
    """Permanently refused (recorded 'failed')."""
    retry: int = 0
    """Transient failures, given back to the next scan."""
    more: bool = False
    """A full batch was claimed and more are due: scan again at once (unless ``retry``)."""
    next_due_at: datetime | None = None
    """The next instant within the scan's horizon at which a reminder falls due."""


class ReminderTotals(BaseModel):
    """What the workflow has done, carried across continue-as-new."""

    model_config = ConfigDict(frozen=True)

    scans: int = 0
    sent: int = 0
    failed: int = 0
    last_scan_at: datetime | None = None
    next_scan_at: datetime | None = None


class ReminderStart(BaseModel):
    config: ReminderConfig = ReminderConfig()
    totals: ReminderTotals = ReminderTotals()
    scans_per_run: int = SCANS_PER_RUN


class ReminderStatus(BaseModel):
    config: ReminderConfig
    totals: ReminderTotals
    run_scans: int
