"""The development stack: it starts the Temporal server only when none is configured, and on
exit stops what it started and nothing else. A real PostgreSQL (an empty database of the
session's server, so no embedded server of its own) and a real Temporal."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import asyncpg
import httpx
import pytest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from kinerja.devstack import StackError, dev_stack
from kinerja.settings import Settings
from kinerja.worker import connect_temporal
from store.migrations import migration_names
from tests.polling import poll_async

from .helpers import (
    free_ports,
    gone,
    port_answers,
    port_bindable,
    processes_mentioning,
)


def _settings(env: pytest.MonkeyPatch, database_url: str, data_dir: Path, temporal_port: int,
              ui_port: int) -> Settings:
    env.setenv("KINERJA_DATABASE_URL", database_url)
    env.setenv("KINERJA_DATA_DIR", str(data_dir))
    env.setenv("KINERJA_TEMPORAL_PORT", str(temporal_port))
    env.setenv("KINERJA_TEMPORAL_UI_PORT", str(ui_port))
    return Settings()


async def _ui_status(url: str, within: float) -> int:
    """The status of the Temporal UI's page, once it serves one (it comes up a moment after
    the gRPC port); fails after ``within`` seconds."""
    async with httpx.AsyncClient(timeout=2) as http:
        response = await poll_async(lambda: http.get(url), f"the Temporal UI at {url} answers",
                                    within=within, every=0.1, ignoring=(httpx.TransportError,))
        return response.status_code


async def test_starts_temporal_applies_migrations_and_stops_it_on_exit(
        kinerja_env: pytest.MonkeyPatch, empty_database: str, tmp_path: Path) -> None:
    temporal_port, ui_port = free_ports(2)
    data_dir = tmp_path / "not-yet" / "data"
    settings = _settings(kinerja_env, empty_database, data_dir, temporal_port, ui_port)

    async with dev_stack(settings) as stack:
        assert stack.started_temporal and not stack.started_postgres
        assert stack.database_url == empty_database
        assert stack.temporal_address == f"127.0.0.1:{temporal_port}"
        assert stack.temporal_ui_url == f"http://127.0.0.1:{ui_port}"
        assert stack.data_dir == data_dir.resolve()
        assert stack.migrations_applied == migration_names()
        connection = await asyncpg.connect(empty_database)
        try:
            recorded = await connection.fetch("SELECT name FROM schema_migrations ORDER BY name")
        finally:
            await connection.close()
        assert [row["name"] for row in recorded] == migration_names()

        client = await connect_temporal(stack.temporal_address, settings.temporal_namespace)
        assert (await client.count_workflows()).count == 0
        assert await _ui_status(stack.temporal_ui_url, within=20) == 200

        # Persisted to a file in the data directory, the server's output to a log beside it.
        assert settings.temporal_db_file.exists()
        assert (data_dir / "temporal.log").exists()
        servers = processes_mentioning(str(settings.temporal_db_file.resolve()))
        assert len(servers) == 1, servers
        assert not port_bindable(temporal_port) and not port_bindable(ui_port)

    await poll_async(lambda: gone(servers), "the Temporal server exits", within=15)
    await poll_async(lambda: port_bindable(temporal_port), f"port {temporal_port} is free again",
                     within=15)
    await poll_async(lambda: port_bindable(ui_port), f"port {ui_port} is free again", within=15)
    assert not port_answers(temporal_port)


async def test_a_configured_temporal_is_used_and_left_running(
        kinerja_env: pytest.MonkeyPatch, empty_database: str, tmp_path: Path) -> None:
    async with await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(Path(sys.executable).parent / "temporal"),
        data_converter=pydantic_data_converter,
    ) as env:
        address = env.client.service_client.config.target_host
        temporal_port, ui_port = free_ports(2)
        kinerja_env.setenv("KINERJA_TEMPORAL_ADDRESS", address)
        settings = _settings(kinerja_env, empty_database, tmp_path / "data", temporal_port,
                             ui_port)
        # The ports of a server of its own are taken: they must not even be looked at.
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
            holder.bind(("127.0.0.1", temporal_port))
            holder.listen()
            async with dev_stack(settings) as stack:
                assert not stack.started_temporal and not stack.started_postgres
                assert stack.temporal_address == address
                assert stack.temporal_ui_url is None
                assert stack.migrations_applied == migration_names()
                client = await connect_temporal(stack.temporal_address)
                await client.count_workflows()
            assert not settings.temporal_db_file.exists()
            assert not (tmp_path / "data" / "temporal.log").exists()

        # Still there, and still answering a client connected after the stack is gone.
        after = await connect_temporal(address)
        assert (await after.count_workflows()).count == 0
        assert port_answers(int(address.rsplit(":", 1)[1]))


@pytest.mark.parametrize(("which", "setting"), [
    ("temporal", "KINERJA_TEMPORAL_PORT"),
    ("ui", "KINERJA_TEMPORAL_UI_PORT"),
])
async def test_a_taken_port_is_a_stack_error_naming_port_and_setting(
        kinerja_env: pytest.MonkeyPatch, empty_database: str, tmp_path: Path, which: str,
        setting: str) -> None:
    temporal_port, ui_port = free_ports(2)
    settings = _settings(kinerja_env, empty_database, tmp_path / "data", temporal_port, ui_port)
    taken = temporal_port if which == "temporal" else ui_port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", taken))
        holder.listen()
        with pytest.raises(StackError) as refused:
            async with dev_stack(settings):
                pytest.fail("the stack started on a taken port")
    message = str(refused.value)
    assert f"port {taken} is taken" in message and setting in message
    assert "KINERJA_TEMPORAL_ADDRESS" in message
    assert not (tmp_path / "data" / "temporal.log").exists(), "a server was started anyway"
    assert processes_mentioning(str(settings.temporal_db_file.resolve())) == []


async def test_a_temporal_server_that_exits_is_reported_with_its_log(
        kinerja_env: pytest.MonkeyPatch, empty_database: str, tmp_path: Path) -> None:
    fake = tmp_path / "temporal"
    fake.write_text("#!/bin/sh\necho 'unable to open database file'\nexit 3\n")
    fake.chmod(0o755)
    kinerja_env.setattr("kinerja.devstack.temporal_binary", lambda: fake)
    settings = _settings(kinerja_env, empty_database, tmp_path / "data", *free_ports(2))
    with pytest.raises(StackError) as refused:
        async with dev_stack(settings):
            pytest.fail("the stack started without a Temporal server")
    message = str(refused.value)
    assert message.startswith("the Temporal server exited (3)")
    assert str(tmp_path / "data" / "temporal.log") in message
    assert "unable to open database file" in message
