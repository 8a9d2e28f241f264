"""The cycle's words: its id, status, page size and agency codes."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from domain.text import AGENCY_PATTERN as AGENCY_PATTERN  # the one grammar, re-exported

PAGE_SIZE = 500
"""Appraisals opened (or reached by a broadcast) per page of work."""



def cycle_id_of(agency: str, year: int) -> str:
    """``<agency>-<year>``; the workflow is ``cycle-<agency>-<year>``."""
    return f"{agency}-{year}"


class CycleStatus(StrEnum):
    CREATED = "created"
    STARTING = "starting"
    """The roster is frozen; appraisals are being opened page by page."""
    RUNNING = "running"
    CLOSED = "closed"


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
