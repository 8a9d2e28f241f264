"""Fixtures of the audit tests: a signing key, a sealer over the test's database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from domain.checkpoint import generate_private_key
from store.sealer import Sealer


@pytest.fixture
def signing_key() -> Ed25519PrivateKey:
    return generate_private_key()


@pytest.fixture
def checkpoint_log(tmp_path: Path) -> Path:
    return tmp_path / "checkpoints.jsonl"


@pytest.fixture
def make_sealer(database_dsn: str, signing_key: Ed25519PrivateKey, checkpoint_log: Path
                ) -> Callable[..., Sealer]:
    def make(**overrides: Any) -> Sealer:
        options: dict[str, Any] = {"signing_key": signing_key, "checkpoint_log": checkpoint_log,
                                   "checkpoint_interval": 0.0, "poll_interval": 0.01}
        options.update(overrides)
        return Sealer(database_dsn, **options)
    return make


@pytest.fixture
async def sealer(make_sealer: Callable[..., Sealer]) -> AsyncIterator[Sealer]:
    """A connected sealer (holding the sealer lock) for the test."""
    instance = make_sealer()
    async with instance.connected():
        yield instance


# --------------------------------------------------------------------------- the stack
# The lifecycle tests' Temporal server and Stack, with the inspection routes given the
# checkpoint public key (kinerja dev gives them the configured one).

from tests.lifecycle.conftest import TOKENS, Stack  # noqa: E402


@pytest.fixture
async def audit_stack(temporal_dev: Any,
                      app_pool: Any, signing_key: Ed25519PrivateKey, checkpoint_log: Path
                      ) -> AsyncIterator[Stack]:
    import uuid

    import httpx

    from api.app import Services, create_app
    from api.auth import TokenVerifier
    from api.inspection import AuditSettings
    from domain.checkpoint import public_key_bytes
    from kinerja.worker import running_worker

    test_id = uuid.uuid4().hex[:8]
    task_queue = f"audit-{test_id}"
    services = Services(pool=app_pool, temporal=temporal_dev.client,
                        token_verifier=TokenVerifier(TOKENS), task_queue=task_queue,
                        audit=AuditSettings(public_key=public_key_bytes(signing_key),
                                            checkpoint_log=checkpoint_log))
    app = create_app(services)
    async with running_worker(temporal_dev.client, app_pool, task_queue=task_queue):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://kinerja.test",
                                     timeout=30) as http:
            yield Stack(client=temporal_dev.client, http=http, pool=app_pool,
                        task_queue=task_queue, agency=f"pemkot-{test_id}")
        running = await app_pool.fetch(
            "SELECT appraisal_id FROM appraisal_summaries"
            " WHERE phase NOT IN ('final', 'cancelled')")
        for row in running:
            await temporal_dev.client.get_workflow_handle(row["appraisal_id"]).terminate(
                "test over")
