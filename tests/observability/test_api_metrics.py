"""/metrics, /readyz and /healthz of the API, on a real Temporal and PostgreSQL."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import asyncpg
import pytest
from prometheus_client.parser import text_string_to_metric_families
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from .conftest import Api, api_over


@pytest.fixture
async def api(temporal_dev: WorkflowEnvironment, app_pool: asyncpg.Pool) -> AsyncIterator[Api]:
    async for api in api_over(temporal_dev.client, app_pool):
        yield api


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(text: str, name: str, **labels: str) -> float | None:
    return samples(text).get((name, frozenset(labels.items())))


async def test_metrics_after_a_command(api: Api) -> None:
    before = (await api.http.get("/metrics")).text
    created = await api.http.post("/v1/appraisals", json=api.open_body(),
                                  headers=api.headers("e-hr", "employee", "hr", key="open-1"))
    assert created.status_code == 201, created.text
    appraisal = created.json()["appraisal"]["id"]
    refused = await api.http.post(f"/v1/appraisals/{appraisal}/targets/approve",
                                  headers=api.headers("e-boss", key="approve-early"))
    assert refused.status_code == 409, refused.text
    await api.http.get(f"/v1/appraisals/{appraisal}", headers=api.headers("e-emp"))
    await api.http.get("/nowhere/at/all")
    answer = await api.http.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    text = answer.text

    def grew(name: str, **labels: str) -> float:
        return (value(text, name, **labels) or 0) - (value(before, name, **labels) or 0)

    assert grew("kinerja_http_requests_total", method="POST", route="/v1/appraisals",
                status="201") == 1
    assert grew("kinerja_http_requests_total", method="GET",
                route="/v1/appraisals/{appraisal_id}", status="200") == 1
    assert grew("kinerja_http_requests_total", method="GET", route="unmatched",
                status="404") == 1
    assert grew("kinerja_http_request_duration_seconds_count", method="POST",
                route="/v1/appraisals") == 1
    assert grew("kinerja_commands_total", kind="OpenAppraisal", outcome="ok") == 1
    assert grew("kinerja_commands_total", kind="ApproveTargets", outcome="refused") == 1
    assert grew("kinerja_command_duration_seconds_count", kind="OpenAppraisal") == 1
    # The database gauges: the appraisal's events are not sealed (no sealer runs here).
    await api.app.state.database_metrics.refresh(force=True)
    text = (await api.http.get("/metrics")).text
    assert (value(text, "kinerja_sealer_unsealed_events") or 0) >= 1
    assert value(text, "kinerja_sealer_oldest_unsealed_age_seconds") is not None
    assert value(text, "kinerja_sealer_tree_size") == 0
    assert "/metrics" not in {s.labels.get("route") for f in
                              text_string_to_metric_families(text) for s in f.samples}


async def test_cycle_gauges(api: Api) -> None:
    cycle = f"{api.agency}-2031"
    await api.pool.execute(
        "INSERT INTO cycles (cycle_id, agency, year, status, version, updated_at, state)"
        " VALUES ($1, $2, 2031, 'running', 1, now(), '{}')", cycle, api.agency)
    for seq, (employee, phase, late) in enumerate([("e-1", "skp_draft", True),
                                                   ("e-2", "skp_draft", False),
                                                   ("e-3", "reviewed", False)]):
        await api.pool.execute(
            "INSERT INTO cycle_members (cycle_id, seq, employee, unit, member)"
            " VALUES ($1, $2, $3, 'u', '{}')", cycle, seq, employee)
        await api.pool.execute(
            "INSERT INTO appraisal_summaries (appraisal_id, cycle_id, agency, unit, employee,"
            " phase, next_deadline_at, version, updated_at, state)"
            " VALUES ($1, $2, $3, 'u', $4, $5,"
            " now() + (CASE WHEN $6 THEN -1 ELSE 1 END) * interval '1 day', 1, now(), '{}')",
            f"{cycle}-{employee}", cycle, api.agency, employee, phase, late)
    await api.app.state.database_metrics.refresh(force=True)
    text = (await api.http.get("/metrics")).text
    assert value(text, "kinerja_cycles", agency=api.agency, status="running") == 1
    assert value(text, "kinerja_cycle_members", agency=api.agency, cycle=cycle) == 3
    assert value(text, "kinerja_cycle_appraisals", agency=api.agency, cycle=cycle,
                 phase="skp_draft") == 2
    assert value(text, "kinerja_cycle_appraisals", agency=api.agency, cycle=cycle,
                 phase="reviewed") == 1
    assert value(text, "kinerja_cycle_overdue_appraisals", agency=api.agency, cycle=cycle) == 1


async def test_healthz_and_readyz(api: Api) -> None:
    assert (await api.http.get("/healthz")).json() == {"status": "ok"}
    ready = await api.http.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json() == {"status": "ready", "checks": {
        "database": "ok", "migrations": "ok", "temporal": "ok"}}


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_readyz_with_the_database_down(temporal_dev: WorkflowEnvironment) -> None:
    pool = await asyncpg.create_pool(f"postgresql://nobody@127.0.0.1:{_closed_port()}/none",
                                     min_size=0)
    try:
        async for api in api_over(temporal_dev.client, pool, worker=False):
            answer = await api.http.get("/readyz")
            assert answer.status_code == 503, answer.text
            assert answer.headers["retry-after"] == "5"
            body = answer.json()
            assert body["status"] == "not ready"
            assert body["checks"]["database"].startswith("unreachable")
            assert body["checks"]["temporal"] == "ok"
            assert (await api.http.get("/healthz")).status_code == 200  # alive all the same
    finally:
        await pool.close()


async def test_readyz_with_temporal_down(app_pool: asyncpg.Pool) -> None:
    nowhere = await Client.connect(f"127.0.0.1:{_closed_port()}", lazy=True,
                                   data_converter=pydantic_data_converter)
    async for api in api_over(nowhere, app_pool, worker=False):
        answer = await api.http.get("/readyz")
        assert answer.status_code == 503
        checks = answer.json()["checks"]
        assert checks["database"] == "ok" and checks["migrations"] == "ok"
        assert checks["temporal"].startswith("unreachable")


async def test_readyz_with_a_migration_missing(temporal_dev: WorkflowEnvironment,
                                               app_pool: asyncpg.Pool,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import telemetry.health

    monkeypatch.setattr(telemetry.health, "migration_names",
                        lambda: ["0001_events", "9999_from_the_future"])
    async for api in api_over(temporal_dev.client, app_pool, worker=False):
        answer = await api.http.get("/readyz")
        assert answer.status_code == 503
        assert "9999_from_the_future" in answer.json()["checks"]["migrations"]
