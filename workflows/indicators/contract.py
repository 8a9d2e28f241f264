"""Messages of ``IndicatorsWorkflow`` with its client and its activity (plain pydantic)."""

from __future__ import annotations

from pydantic import BaseModel


class MeasureCycle(BaseModel):
    """Fill the bound indicators of a cycle's appraisals at the end of its year."""

    cycle_id: str
    agency: str
    year: int
    utc_offset_hours: int


class MeasureOutcome(BaseModel):
    recorded: int
    """Appraisals whose measured realisations were recorded (now, or by an earlier try)."""
    skipped: int
    """Appraisals that refused them (ended, moved on) or could not be reached."""


def workflow_id(cycle_id: str) -> str:
    return f"indicators-{cycle_id}"
