"""``python -m kinerja.healthcheck``, the image's HEALTHCHECK: 0 when /healthz answers on a
port the container's settings give, else 1."""

from __future__ import annotations

import asyncio
import socket

import pytest

from kinerja import healthcheck
from kinerja.observability import serving_metrics
from kinerja.settings import Settings


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_healthy_on_the_worker_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KINERJA_API_PORT", str(_closed_port()))
    monkeypatch.delenv("KINERJA_SEALER_METRICS_PORT", raising=False)
    monkeypatch.delenv("KINERJA_WORKER_METRICS_PORT", raising=False)
    assert await asyncio.to_thread(healthcheck.main) == 1  # nothing listens
    settings = Settings(worker_metrics_port=0, metrics_host="127.0.0.1")
    async with serving_metrics("worker", settings) as port:
        monkeypatch.setenv("KINERJA_WORKER_METRICS_PORT", str(port))
        assert await asyncio.to_thread(healthcheck.main) == 0
