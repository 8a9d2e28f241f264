"""The contract of the notification workflow: its start and status, and what it sends
to its activity. Plain pydantic models, no Temporal and no I/O."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

ROUNDS_PER_RUN = 500
"""The notification workflow continues as new after this many rounds."""


class NotificationConfig(BaseModel):
    """How often the log is read for new events, and what the messages link to."""

    model_config = ConfigDict(frozen=True)

    poll_seconds: float = Field(default=5.0, gt=0)
    """The longest time between an event and its notification, when nothing wakes it."""
    retry_seconds: float = Field(default=300.0, gt=0)
    """After a transient delivery failure the next round comes this late at the soonest."""
    link_base_url: str = "http://127.0.0.1:8000"
    time_zone: str = "Asia/Jakarta"
    batch: int = Field(default=200, ge=1)


class NotificationRound(BaseModel):
    model_config = ConfigDict(frozen=True)

    link_base_url: str
    time_zone: str
    batch: int


class NotificationRoundOutcome(BaseModel):
    model_config = ConfigDict(frozen=True)

    events: int = 0
    """Events read from the log this round."""
    derived: int = 0
    """Notifications stored this round."""
    sent: int = 0
    skipped: int = 0
    """Not e-mailed: the person wants no e-mail for information."""
    failed: int = 0
    retry: int = 0
    more: bool = False
    """More events or messages wait: another round at once."""


class NotificationTotals(BaseModel):
    model_config = ConfigDict(frozen=True)

    rounds: int = 0
    derived: int = 0
    sent: int = 0
    skipped: int = 0
    failed: int = 0


class NotificationStart(BaseModel):
    config: NotificationConfig = NotificationConfig()
    totals: NotificationTotals = NotificationTotals()
    rounds_per_run: int = ROUNDS_PER_RUN


class NotificationStatus(BaseModel):
    config: NotificationConfig
    totals: NotificationTotals
    run_rounds: int
