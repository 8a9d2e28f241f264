"""The application shell: settings, logging, and the ``kinerja`` command end to end."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
import structlog
from typer.testing import CliRunner

from api.auth import TokenVerifier
from domain.authorization import Role
from kinerja.cli import app
from kinerja.logging import configure_logging
from kinerja.settings import Settings, get_settings
from store.migrations import migration_names

runner = CliRunner()


@pytest.fixture
def fresh_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def test_settings_come_from_kinerja_variables(fresh_settings: pytest.MonkeyPatch) -> None:
    fresh_settings.setenv("KINERJA_DATABASE_URL", "postgresql://x@db/kinerja")
    fresh_settings.setenv("KINERJA_TEMPORAL_ADDRESS", "temporal:7233")
    fresh_settings.setenv("KINERJA_LOG_FORMAT", "json")
    fresh_settings.setenv("KINERJA_JWT_ALGORITHM", "RS256")
    settings = Settings()
    assert settings.database_url == "postgresql://x@db/kinerja"
    assert settings.temporal_address == "temporal:7233"
    assert settings.log_format == "json"
    assert settings.token_settings().algorithm == "RS256"
    assert settings.postgres_dir == Path(".data") / "postgres"


def test_json_logs_carry_the_bound_context(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("json", "INFO")
    structlog.contextvars.bind_contextvars(request_id="req-42")
    try:
        structlog.get_logger("kinerja.test").info("appraisal opened", appraisal="a-1")
    finally:
        structlog.contextvars.clear_contextvars()
    line = capsys.readouterr().err.strip().splitlines()[-1]
    record = json.loads(line)
    assert record["event"] == "appraisal opened" and record["request_id"] == "req-42"
    assert record["level"] == "info" and record["appraisal"] == "a-1" and "timestamp" in record


def _admin(dsn: str, sql: str) -> None:
    async def run() -> None:
        connection = await asyncpg.connect(dsn)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(run())


def test_migrate_applies_each_migration_once(
        fresh_settings: pytest.MonkeyPatch, postgres_server: object) -> None:
    admin_dsn = postgres_server.dsn  # type: ignore[attr-defined]
    name = f"kinerja_migrate_{os.getpid()}"
    _admin(admin_dsn, f'DROP DATABASE IF EXISTS "{name}"')
    _admin(admin_dsn, f'CREATE DATABASE "{name}"')
    try:
        fresh_settings.setenv("KINERJA_DATABASE_URL",
                              postgres_server.dsn_for(name))  # type: ignore[attr-defined]
        first = runner.invoke(app, ["migrate"])
        assert first.exit_code == 0, first.output
        assert f"applied {len(migration_names())} migration(s)" in first.output
        get_settings.cache_clear()
        second = runner.invoke(app, ["migrate"])
        assert second.exit_code == 0 and "already applied" in second.output
    finally:
        _admin(admin_dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_token_command_mints_a_verifiable_token(fresh_settings: pytest.MonkeyPatch) -> None:
    result = runner.invoke(app, ["token", "--subject", "e-9", "--role", "hr", "--role",
                                 "employee", "--scope", "pemkot-x", "--agency", "pemkot-x"])
    assert result.exit_code == 0, result.output
    actor = TokenVerifier(get_settings().token_settings()).actor(result.output.strip())
    assert actor.subject == "e-9" and actor.roles == {Role.HR, Role.EMPLOYEE}
    assert actor.in_scope("pemkot-x") and not actor.in_scope("pemkot-y")


def _free_ports(count: int) -> list[int]:
    """Distinct free ports (the probes stay bound until all are chosen)."""
    probes = [socket.socket() for _ in range(count)]
    try:
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [int(probe.getsockname()[1]) for probe in probes]
    finally:
        for probe in probes:
            probe.close()


def test_kinerja_dev_serves_the_demo_and_stops_what_it_started(tmp_path: Path) -> None:
    api_port, temporal_port, ui_port = _free_ports(3)
    env = {**os.environ, "KINERJA_DATA_DIR": str(tmp_path / "data"),
           "KINERJA_API_PORT": str(api_port), "KINERJA_TEMPORAL_PORT": str(temporal_port),
           "KINERJA_TEMPORAL_UI_PORT": str(ui_port), "KINERJA_LOG_FORMAT": "json"}
    env.pop("KINERJA_DATABASE_URL", None)
    env.pop("KINERJA_TEMPORAL_ADDRESS", None)
    kinerja = Path(sys.executable).parent / "kinerja"
    process = subprocess.Popen([str(kinerja), "dev"], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout is not None
        lines: list[str] = []
        deadline = time.monotonic() + 120
        while not any(line.startswith("Try:") for line in lines):
            assert time.monotonic() < deadline, "kinerja dev did not come up:\n" + "".join(lines)
            line = process.stdout.readline()
            assert line or process.poll() is None, "".join(lines)
            lines.append(line)
        output = "".join(lines)
        assert "Kinerja is running" in output and f":{api_port}/docs" in output
        tokens = dict(line.split()[:2] for line in lines
                      if line.startswith("  ") and len(line.split()) == 2)
        base = f"http://127.0.0.1:{api_port}"
        mine = httpx.get(f"{base}/v1/me/appraisals",
                         headers={"Authorization": f"Bearer {tokens['employee']}"}, timeout=10)
        assert mine.status_code == 200
        assert [a["parties"]["employee"] for a in mine.json()] == ["e-0001"]
        schema = httpx.get(f"{base}/openapi.json", timeout=10).json()
        assert "/v1/appraisals/{appraisal_id}/targets" in schema["paths"]
    finally:
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=60)
    assert process.returncode == 0
    assert "stopped" in rest
    with socket.socket() as probe:  # the Temporal server it started is gone
        assert probe.connect_ex(("127.0.0.1", temporal_port)) != 0
    leftovers = subprocess.run(["pgrep", "-f", str(tmp_path)], capture_output=True, text=True)
    assert leftovers.stdout.strip() == "", "a server of this data directory is still running"
