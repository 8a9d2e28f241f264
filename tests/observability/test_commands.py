"""``kinerja worker`` and ``kinerja sealer`` as processes, with their metrics ports set:
/readyz answers ready, the worker's /metrics carries the Temporal SDK's metrics (its
runtime chosen at start-up) and the sealer's its lag; SIGTERM stops both, the metrics
ports with them."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
from temporalio.testing import WorkflowEnvironment

from domain.checkpoint import generate_private_key, private_key_pem

KINERJA = Path(sys.executable).parent / "kinerja"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _ready(url: str, process: subprocess.Popen[bytes], log: Path) -> httpx.Response:
    async with httpx.AsyncClient(timeout=5) as http:
        for _ in range(300):
            assert process.poll() is None, log.read_text()[-3000:]
            with contextlib.suppress(httpx.TransportError):
                answer = await http.get(url)
                if answer.status_code == 200:
                    return answer
            await asyncio.sleep(0.2)
    raise AssertionError(f"{url} never ready: " + log.read_text()[-3000:])


async def test_worker_and_sealer_processes(temporal_dev: WorkflowEnvironment,
                                           database_dsn: str, tmp_path: Path) -> None:
    key = tmp_path / "key.pem"
    key.write_bytes(private_key_pem(generate_private_key()))
    key.chmod(0o600)
    worker_port, sealer_port = _free_port(), _free_port()
    env = {**os.environ,
           "KINERJA_MODE": "development",
           "KINERJA_DATABASE_URL": database_dsn,
           "KINERJA_TEMPORAL_ADDRESS": temporal_dev.client.service_client.config.target_host,
           "KINERJA_TASK_QUEUE": f"obs-process-{uuid.uuid4().hex[:8]}",
           "KINERJA_REMINDER_ENABLED": "false",
           "KINERJA_DATA_DIR": str(tmp_path),
           "KINERJA_SIGNING_KEY_FILE": str(key),
           "KINERJA_CHECKPOINT_LOG": str(tmp_path / "checkpoints.jsonl"),
           "KINERJA_LOG_FORMAT": "json",
           "KINERJA_METRICS_HOST": "127.0.0.1",
           "KINERJA_WORKER_METRICS_PORT": str(worker_port),
           "KINERJA_SEALER_METRICS_PORT": str(sealer_port)}
    processes: list[subprocess.Popen[bytes]] = []
    try:
        logs = {}
        for role in ("worker", "sealer"):
            logs[role] = tmp_path / f"{role}.log"
            with logs[role].open("wb") as out:
                processes.append(subprocess.Popen(  # noqa: ASYNC220 - started, not awaited
                    [str(KINERJA), role], env=env, stdout=out,
                                                  stderr=subprocess.STDOUT,
                                                  start_new_session=True))
        worker, sealer = processes
        ready = await _ready(f"http://127.0.0.1:{worker_port}/readyz", worker, logs["worker"])
        assert ready.json()["checks"] == {"database": "ok", "migrations": "ok",
                                          "temporal": "ok"}
        await _ready(f"http://127.0.0.1:{sealer_port}/readyz", sealer, logs["sealer"])
        async with httpx.AsyncClient(timeout=5) as http:
            for _ in range(100):  # the SDK's pollers report once they have polled
                text = (await http.get(f"http://127.0.0.1:{worker_port}/metrics")).text
                if "temporal_num_pollers" in text:
                    break
                await asyncio.sleep(0.2)
            assert "temporal_request_total" in text and "temporal_num_pollers" in text
            sealed = (await http.get(f"http://127.0.0.1:{sealer_port}/metrics")).text
            assert "kinerja_sealer_tree_size" in sealed
            assert "kinerja_sealer_unsealed_events" in sealed
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process, role in zip(processes, ("worker", "sealer"), strict=True):
            code = await asyncio.to_thread(process.wait, 30)
            # The sealer ends a SIGTERM as an interruption (130), as it always has.
            assert code in ((0,) if role == "worker" else (0, 130)), \
                logs[role].read_text()[-3000:]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
