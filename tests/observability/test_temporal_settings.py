"""Settings for a Temporal cluster reach the client (TLS, API key, namespace, tracing) and the
worker (slots and sticky cache)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import asyncpg
import pytest
from temporalio.client import Client
from temporalio.service import TLSConfig
from temporalio.testing import WorkflowEnvironment

import kinerja.worker
from kinerja.settings import Settings
from kinerja.worker import WorkerTuning, build_worker, connect_temporal, temporal_tls


def test_tls_off_by_default_and_on_with_an_api_key() -> None:
    assert temporal_tls(Settings()) is False
    assert temporal_tls(Settings(temporal_tls=True)) is True
    assert temporal_tls(Settings(temporal_api_key="k")) is True


def test_tls_files(tmp_path: Path) -> None:
    for name in ("ca", "cert", "key"):
        (tmp_path / f"{name}.pem").write_bytes(f"-----{name}-----".encode())
    tls = temporal_tls(Settings(temporal_tls_ca_file=tmp_path / "ca.pem",
                                temporal_tls_cert_file=tmp_path / "cert.pem",
                                temporal_tls_key_file=tmp_path / "key.pem",
                                temporal_tls_server_name="temporal.example"))
    assert tls == TLSConfig(server_root_ca_cert=b"-----ca-----", client_cert=b"-----cert-----",
                            client_private_key=b"-----key-----", domain="temporal.example")
    with pytest.raises(ValueError, match="go together"):
        temporal_tls(Settings(temporal_tls_cert_file=tmp_path / "cert.pem"))


async def test_connect_passes_tls_api_key_and_namespace(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    (tmp_path / "ca.pem").write_bytes(b"ca")
    seen: dict[str, Any] = {}

    async def connect(address: str, **options: Any) -> str:
        seen.update(options, address=address)
        return "client"

    monkeypatch.setattr(Client, "connect", connect)
    settings = Settings(temporal_namespace="kinerja.a1b2c", temporal_api_key="secret-key",
                        temporal_tls_ca_file=tmp_path / "ca.pem")
    await connect_temporal("cluster:7233", settings.temporal_namespace, settings=settings)
    assert seen["address"] == "cluster:7233"
    assert seen["namespace"] == "kinerja.a1b2c"
    assert seen["api_key"] == "secret-key"
    assert seen["tls"] == TLSConfig(server_root_ca_cert=b"ca")
    assert seen["interceptors"] == []  # tracing off


def test_worker_tuning_defaults_are_the_previous_values() -> None:
    assert WorkerTuning.of(Settings()) == WorkerTuning(100, 100, 64, 1000)


async def test_worker_tuning_reaches_the_worker(temporal_dev: WorkflowEnvironment,
                                                app_pool: asyncpg.Pool,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(worker_max_concurrent_workflow_tasks=7,
                        worker_max_concurrent_activities=9,
                        worker_max_concurrent_local_activities=11,
                        worker_max_cached_workflows=13)
    monkeypatch.setattr(kinerja.worker, "get_settings", lambda: settings)
    config = build_worker(temporal_dev.client, app_pool, task_queue="obs-tuning").config()
    assert (config["max_concurrent_workflow_tasks"], config["max_concurrent_activities"],
            config["max_concurrent_local_activities"], config["max_cached_workflows"]
            ) == (7, 9, 11, 13)
    explicit = build_worker(temporal_dev.client, app_pool, task_queue="obs-tuning-2",
                            tuning=WorkerTuning(max_cached_workflows=5)).config()
    assert explicit["max_cached_workflows"] == 5
    assert explicit["max_concurrent_local_activities"] == 64
