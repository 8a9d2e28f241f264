"""Fixtures of the observability tests: the API and a worker on the Temporal development
server and a fresh database, as in the lifecycle tests, with a client of their own."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
from fastapi import FastAPI
from temporalio.client import Client, Interceptor
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from api.app import Services, create_app
from api.auth import TokenSettings, TokenVerifier, mint_token
from kinerja.worker import running_worker

TOKENS = TokenSettings(secret="test-secret-" + "x" * 32)
UNIT = "diskominfo"


@dataclass
class Api:
    http: httpx.AsyncClient
    app: FastAPI
    client: Client
    pool: asyncpg.Pool
    agency: str

    def headers(self, subject: str, *roles: str, key: str | None = None) -> dict[str, str]:
        agencies = (self.agency,) if "hr" in roles else ()
        token = mint_token(TOKENS, subject=subject, roles=roles or ("employee",),
                           agency=self.agency, unit=UNIT, agencies=agencies)
        headers = {"Authorization": f"Bearer {token}"}
        if key:
            headers["Idempotency-Key"] = key
        return headers

    def open_body(self, employee: str = "e-emp") -> dict[str, Any]:
        now = datetime.now(UTC)
        return {"employee": employee, "appraiser": "e-boss", "superior": "e-head",
                "agency": self.agency, "unit": UNIT, "year": now.year,
                "calendar": {
                    "skp_deadline": (now + timedelta(days=30)).isoformat(),
                    "self_assessment_deadline": (now + timedelta(days=60)).isoformat(),
                    "review_deadline": (now + timedelta(days=90)).isoformat()}}


async def client_of(env: WorkflowEnvironment, interceptors: Sequence[Interceptor] = ()
                    ) -> Client:
    """A new client to the environment's server (with ``interceptors``)."""
    return await Client.connect(env.client.service_client.config.target_host,
                                namespace=env.client.namespace,
                                data_converter=pydantic_data_converter,
                                interceptors=interceptors)


async def api_over(client: Client, pool: asyncpg.Pool, *, worker: bool = True
                   ) -> AsyncIterator[Api]:
    """The API over ``client`` and ``pool`` (and a worker on a queue of its own)."""
    test_id = uuid.uuid4().hex[:8]
    task_queue = f"obs-{test_id}"
    app = create_app(Services(pool=pool, temporal=client, token_verifier=TokenVerifier(TOKENS),
                              task_queue=task_queue))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://kinerja.test",
                                 timeout=30) as http:
        api = Api(http=http, app=app, client=client, pool=pool, agency=f"pemkot-{test_id}")
        if not worker:
            yield api
            return
        async with running_worker(client, pool, task_queue=task_queue):
            yield api
            for row in await pool.fetch("SELECT appraisal_id FROM appraisal_summaries"
                                        " WHERE phase NOT IN ('final', 'cancelled')"):
                with contextlib.suppress(RPCError):  # a row a test wrote has no workflow
                    await client.get_workflow_handle(row["appraisal_id"]).terminate("over")
