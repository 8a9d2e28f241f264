"""Recorded histories of appraisals, cycles and a documents' ZIP replay against today's code.

A change to ``AppraisalWorkflow`` or ``CycleWorkflow`` that would break those already running
in production (non-determinism) fails here. The histories come from the
lifecycle tests: run them with ``KINERJA_RECORD_HISTORIES=1`` to record anew
after a deliberate, versioned change.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from workflows.appraisal.workflow import AppraisalWorkflow
from workflows.cycle.workflow import CycleWorkflow
from workflows.document_zip.workflow import DocumentZipWorkflow

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))


def test_histories_are_recorded() -> None:
    assert len(HISTORIES) >= 3, "the lifecycle tests record their histories here"
    assert any(p.stem.startswith("cycle-") for p in HISTORIES), "and the cycle tests"


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_history_replays(path: Path) -> None:
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    replayer = Replayer(workflows=[AppraisalWorkflow, CycleWorkflow, DocumentZipWorkflow],
                        data_converter=pydantic_data_converter)
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
