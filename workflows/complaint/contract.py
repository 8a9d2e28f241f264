"""Messages of ``ComplaintWorkflow`` with its client and its activity (plain pydantic)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel

REMIND_BEFORE = timedelta(days=2)
"""The unit is reminded this long before the deadline (choice; see docs/public-voice.md)."""


class ComplaintDeadline(BaseModel):
    agency: str
    code: str
    deadline: datetime


class ComplaintStep(BaseModel):
    agency: str
    code: str
    step: Literal["reminded", "escalated"]
    at: datetime


def workflow_id(agency: str, code: str) -> str:
    return f"complaint-{agency}-{code}"
