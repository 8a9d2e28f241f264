"""Fixtures of the lifecycle tests: a real Temporal (development server, or the
time-skipping test server), a worker, and the HTTP API over both."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from api.app import Services, create_app
from api.auth import TokenSettings, TokenVerifier, mint_token
from domain.cycle import CycleMember
from kinerja.worker import roster_of, running_worker
from tests.conftest import BIN

# --------------------------------------------------------------------------- the stack




TOKENS = TokenSettings(secret="test-secret-" + "x" * 32)
UNIT = "diskominfo"
YEAR = datetime.now(UTC).year


@dataclass
class Stack:
    """A worker and the API over one Temporal server and one fresh database."""

    client: Client
    http: httpx.AsyncClient
    pool: asyncpg.Pool
    task_queue: str
    agency: str
    """Each test its own agency, so appraisal ids (and so workflows) never collide."""
    rosters: dict[str, list[CycleMember]] = field(default_factory=dict)
    """What the worker's roster source gives for each agency (cycle tests set it)."""

    def token(self, subject: str, *roles: str, agencies: tuple[str, ...] = ()) -> str:
        return mint_token(TOKENS, subject=subject, roles=roles or ("employee",),
                          agency=self.agency, unit=UNIT, agencies=agencies)

    def headers(self, subject: str, *roles: str, key: str | None = None,
                agencies: tuple[str, ...] = ()) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token(subject, *roles, agencies=agencies)}"}
        if key:
            headers["Idempotency-Key"] = key
        return headers


async def _stack(env: WorkflowEnvironment, pool: asyncpg.Pool) -> AsyncIterator[Stack]:
    test_id = uuid.uuid4().hex[:8]
    task_queue = f"test-{test_id}"
    services = Services(pool=pool, temporal=env.client, token_verifier=TokenVerifier(TOKENS),
                        task_queue=task_queue)
    app = create_app(services)
    rosters: dict[str, list[CycleMember]] = {}

    imported = roster_of(pool)

    async def roster_source(agency: str) -> list[CycleMember]:
        """A roster a test set for the agency, else the one imported (the worker's own)."""
        return rosters[agency] if agency in rosters else await imported(agency)

    async with running_worker(env.client, pool, task_queue=task_queue,
                              roster_source=roster_source):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://kinerja.test",
                                     timeout=30) as http:
            yield Stack(client=env.client, http=http, pool=pool, task_queue=task_queue,
                        agency=f"pemkot-{test_id}", rosters=rosters)
        # Workflows still running would wait for this test's worker forever (and hold up
        # the time-skipping server's clock): end them with it.
        running = await pool.fetch(
            "SELECT appraisal_id FROM appraisal_summaries"
            " WHERE phase NOT IN ('final', 'cancelled')")
        running += await pool.fetch(
            "SELECT 'cycle-' || cycle_id AS appraisal_id FROM cycles WHERE status <> 'closed'")
        for row in running:
            await env.client.get_workflow_handle(row["appraisal_id"]).terminate("test over")


@pytest.fixture
async def stack(temporal_dev: WorkflowEnvironment, app_pool: asyncpg.Pool) -> AsyncIterator[Stack]:
    """Worker + API on the Temporal development server."""
    async for stack in _stack(temporal_dev, app_pool):
        yield stack


async def own_time_skipping() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping server of a test module's own (make it that module's
    ``temporal_time_skipping`` fixture): the session's clock has been moved on by other
    tests (months, by the deadline tests), so a test that needs the real present as the
    start of its year or period needs its own."""
    async with await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(BIN / "temporal-test-server"),
        data_converter=pydantic_data_converter,
    ) as env:
        yield env


@pytest.fixture
async def skipping_stack(temporal_time_skipping: WorkflowEnvironment, app_pool: asyncpg.Pool
                         ) -> AsyncIterator[Stack]:
    """Worker + API on the time-skipping test server."""
    async for stack in _stack(temporal_time_skipping, app_pool):
        yield stack


def open_body(agency: str, employee: str = "e-emp", **overrides: Any) -> dict[str, Any]:
    """An appraisal for ``employee`` whose deadlines lie ahead of now."""
    now = datetime.now(UTC)
    body: dict[str, Any] = {
        "employee": employee, "appraiser": "e-boss", "superior": "e-head",
        "agency": agency, "unit": UNIT, "year": YEAR,
        "calendar": {
            "skp_deadline": (now + timedelta(days=30)).isoformat(),
            "self_assessment_deadline": (now + timedelta(days=60)).isoformat(),
            "review_deadline": (now + timedelta(days=90)).isoformat(),
        },
    }
    body.update(overrides)
    return body


SKP = {
    "approach": "kuantitatif",
    "rhk": [
        {"id": "rhk-1", "kind": "utama", "description": "Layanan informasi publik",
         "indicators": [{"id": "ind-1", "description": "Permohonan terlayani",
                         "aspect": "kuantitas", "target": {"value": "120", "unit": "permohonan"}}]},
        {"id": "rhk-2", "kind": "utama", "description": "Pengelolaan situs web",
         "indicators": [{"id": "ind-2", "description": "Konten dimutakhirkan",
                         "aspect": "waktu", "target": {"value": "52", "unit": "minggu"}}]},
        {"id": "rhk-3", "kind": "tambahan", "description": "Pelatihan internal",
         "indicators": [{"id": "ind-3", "description": "Sesi pelatihan",
                         "aspect": "kuantitas", "target": {"value": "4", "unit": "sesi"}}]},
    ],
}
CORE_VALUES = ["berorientasi_pelayanan", "akuntabel", "kompeten", "harmonis", "loyal",
               "adaptif", "kolaboratif"]


LATE_RELEASE = {"exception_reason": "Penilaian di luar siklus; unitnya tidak dirilis."}
"""The body of a release of one appraisal whose unit no cycle released: a justified
exception (the rule: :func:`domain.appraisal.review._release`)."""


def review_body(rhk: str = "meets", values: str = "meets", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "rhk": [{"rhk_id": f"rhk-{i}", "rating": rhk} for i in (1, 2, 3)],
        "values": [{"value": v, "rating": values} for v in CORE_VALUES],
    }
    body.update(overrides)
    return body


SELF_ASSESSMENT = {
    "ratings": [{"rhk_id": f"rhk-{i}", "proposed": "above"} for i in (1, 2, 3)],
    "narrative": "Semua target tercapai.",
}


# --------------------------------------------------------------------------- histories

def _payload_texts(node: Any, into: list[str]) -> None:
    """Every payload's data of a history in proto JSON, decoded from base64."""
    if isinstance(node, dict):
        if "data" in node and isinstance(node["data"], str) and "metadata" in node:
            into.append(base64.b64decode(node["data"]).decode("utf-8", errors="replace"))
        for value in node.values():
            _payload_texts(value, into)
    elif isinstance(node, list):
        for value in node:
            _payload_texts(value, into)


async def history_text(client: Client, workflow_id: str) -> str:
    """The histories of every run of ``workflow_id`` (back along continue-as-new), as
    their JSON and every payload decoded."""
    texts: list[str] = []
    run_id: str | None = None
    while True:
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        raw = history.to_json()
        texts.append(raw)
        _payload_texts(json.loads(raw), texts)
        started = history.events[0].workflow_execution_started_event_attributes
        if not started.continued_execution_run_id:
            return "\n".join(texts)
        run_id = started.continued_execution_run_id
