"""The metrics port of the worker (with the Temporal SDK's metrics) and of the sealer:
/metrics, /healthz, /readyz over TCP."""

from __future__ import annotations

import asyncpg
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

import kinerja.observability
from kinerja.observability import sdk_metrics_runtime, serving_metrics, use_sdk_metrics
from kinerja.settings import Settings
from kinerja.worker import running_worker


def names(text: str) -> set[str]:
    return {s.name for f in text_string_to_metric_families(text) for s in f.samples}


async def test_worker_port_with_sdk_metrics(temporal_dev: WorkflowEnvironment,
                                            app_pool: asyncpg.Pool,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    runtime, url = sdk_metrics_runtime()
    monkeypatch.setattr(kinerja.observability, "_sdk_metrics_url", None)
    use_sdk_metrics(url)
    client = await Client.connect(temporal_dev.client.service_client.config.target_host,
                                  namespace=temporal_dev.client.namespace,
                                  data_converter=pydantic_data_converter, runtime=runtime)
    settings = Settings(worker_metrics_port=0, metrics_host="127.0.0.1")
    async with running_worker(client, app_pool, task_queue="obs-worker-port"), \
            serving_metrics("worker", settings, pool=app_pool, temporal=client) as port:
        assert port
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            assert (await http.get("/healthz")).json() == {"status": "ok"}
            ready = await http.get("/readyz")
            assert ready.status_code == 200, ready.text
            assert ready.json()["checks"] == {"database": "ok", "migrations": "ok",
                                              "temporal": "ok"}
            text = (await http.get("/metrics")).text
    found = names(text)
    assert "process_cpu_seconds_total" in found or "python_info" in found
    # the SDK's own: RPCs, pollers
    sdk = {name for name in found if name.startswith("temporal_")}
    assert {"temporal_request_total", "temporal_num_pollers"} <= sdk, sorted(sdk)


async def test_sealer_port(database_dsn: str) -> None:
    settings = Settings(sealer_metrics_port=0, metrics_host="127.0.0.1",
                        metrics_refresh_seconds=0)
    async with serving_metrics("sealer", settings, database_url=database_dsn) as port:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            ready = await http.get("/readyz")
            assert ready.status_code == 200, ready.text
            assert ready.json()["checks"] == {"database": "ok", "migrations": "ok"}
            found = names((await http.get("/metrics")).text)
    assert {"kinerja_sealer_unsealed_events", "kinerja_sealer_tree_size",
            "kinerja_sealer_oldest_unsealed_age_seconds"} <= found
    assert "kinerja_cycle_appraisals" not in found  # the API's, not the sealer's


async def test_no_port_unless_configured() -> None:
    async with serving_metrics("worker", Settings()) as port:
        assert port is None
