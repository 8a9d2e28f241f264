"""What the artefacts name exists in the code: every KINERJA_* variable that the compose
file, the Kubernetes manifests or the Dockerfile pass to Kinerja is a field of
``kinerja.settings.Settings``; every metric the Grafana dashboard queries is exported (the
API's /metrics after a request and a command, the worker port's with the SDK's)."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import yaml
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

import kinerja.observability
from kinerja.observability import sdk_metrics_runtime, serving_metrics, use_sdk_metrics
from kinerja.settings import Settings
from kinerja.worker import running_worker

from ..observability.conftest import Api, api_over
from .kustomize import render

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
SETTINGS = {f"KINERJA_{name.upper()}" for name in Settings.model_fields}


def _kubernetes_variables() -> set[str]:
    found: set[str] = set()
    for target in ("base", "overlays/agency", "overlays/province"):
        for obj in render(DEPLOY / "kubernetes" / target):
            if obj["kind"] == "ConfigMap":
                found |= set(obj.get("data", {}))
            if obj["kind"] == "Secret":
                found |= {k for k in obj.get("stringData", {}) if k.startswith("KINERJA_")}
            spec = obj.get("spec", {}).get("template", {}).get("spec", {})
            for container in spec.get("containers", []):
                found |= {e["name"] for e in container.get("env", [])}
    return {name for name in found if name.startswith("KINERJA_")}


def _compose_variables() -> set[str]:
    compose = yaml.safe_load((DEPLOY / "compose" / "compose.yaml").read_text())
    found: set[str] = set()
    for service in compose["services"].values():
        if "kinerja" in str(service.get("image", "")):
            found |= set(service.get("environment", {}))
    return found


def _dockerfile_variables() -> set[str]:
    return set(re.findall(r"\b(KINERJA_[A-Z0-9_]+)=", (DEPLOY / "Dockerfile").read_text()))


def test_every_variable_passed_is_a_setting() -> None:
    kubernetes, compose, docker = (_kubernetes_variables(), _compose_variables(),
                                   _dockerfile_variables())
    assert len(kubernetes) >= 15 and len(compose) >= 15 and len(docker) >= 4
    for where, names in (("kubernetes", kubernetes), ("compose", compose),
                         ("Dockerfile", docker)):
        assert names <= SETTINGS, f"{where}: not settings: {sorted(names - SETTINGS)}"


def dashboard_metrics() -> set[str]:
    dashboard = json.loads((DEPLOY / "compose/grafana/dashboards/kinerja.json").read_text())
    text = json.dumps(dashboard)
    return set(re.findall(r"\b((?:kinerja|temporal)_[a-z_]+)", text))


def exported(exposition: str) -> set[str]:
    """Every series name an exposition gives: its sample names, and for a family with no
    sample yet the names it will have (a prometheus-client counter F: F_total; a
    histogram: F_bucket, F_count, F_sum; a gauge: F)."""
    names = set(re.findall(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]", exposition, re.MULTILINE))
    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"),
                "gauge": ("",)}
    for family, kind in re.findall(r"^# TYPE (\S+) (\S+)", exposition, re.MULTILINE):
        if not any(name.startswith(family) for name in names):
            names |= {family.removesuffix("_total") + suffix
                      for suffix in suffixes.get(kind, ("",))}
    return names


@pytest.fixture
async def api(temporal_dev: WorkflowEnvironment, app_pool: asyncpg.Pool) -> AsyncIterator[Api]:
    async for api in api_over(temporal_dev.client, app_pool):
        yield api


async def test_every_dashboard_metric_is_exported(api: Api, temporal_dev: WorkflowEnvironment,
                                                  app_pool: asyncpg.Pool,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    wanted = dashboard_metrics()
    assert {"kinerja_http_requests_total", "kinerja_commands_total",
            "kinerja_sealer_unsealed_events", "kinerja_cycle_appraisals"} <= wanted
    created = await api.http.post("/v1/appraisals", json=api.open_body(),
                                  headers=api.headers("e-hr", "employee", "hr", key="dash"))
    assert created.status_code == 201, created.text
    scraped = exported((await api.http.get("/metrics")).text)

    runtime, url = sdk_metrics_runtime()
    monkeypatch.setattr(kinerja.observability, "_sdk_metrics_url", None)
    use_sdk_metrics(url)
    client = await Client.connect(temporal_dev.client.service_client.config.target_host,
                                  namespace=temporal_dev.client.namespace,
                                  data_converter=pydantic_data_converter, runtime=runtime)
    settings = Settings(worker_metrics_port=0, metrics_host="127.0.0.1")
    async with running_worker(client, app_pool, task_queue="deploy-dashboard"), \
            serving_metrics("worker", settings, temporal=client) as port:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            for _ in range(100):  # the SDK reports pollers once they have polled
                worker_side = exported((await http.get("/metrics")).text)
                if wanted <= scraped | worker_side:
                    break
                await asyncio.sleep(0.2)
            scraped |= worker_side
    missing: dict[str, Any] = {name: None for name in sorted(wanted - scraped)}
    assert not missing, f"the dashboard queries metrics nobody exports: {list(missing)}"
