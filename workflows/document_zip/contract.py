"""Messages of ``DocumentZipWorkflow`` with its client and activities (plain pydantic)."""

from __future__ import annotations

from pydantic import BaseModel

BATCH_ITEMS = 25
"""Items (a report, an appraisal's documents) one activity writes before reporting."""


class ZipBatch(BaseModel):
    zip_id: str
    items: int = BATCH_ITEMS


class ZipProgress(BaseModel):
    done: int
    total: int


def workflow_id(zip_id: str) -> str:
    return f"document-zip-{zip_id}"
