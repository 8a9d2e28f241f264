"""The shell's audit parts: the development key, the sealer task, ``kinerja sealer``."""

from __future__ import annotations

import stat
from pathlib import Path

import asyncpg
import pytest
from typer.testing import CliRunner

from domain.checkpoint import public_key_bytes, verify_checkpoint
from kinerja.audit import audit_settings, ensure_signing_key, running_sealer
from kinerja.cli import app
from kinerja.settings import Settings, get_settings
from store.event_log import EventLog, NewEvent
from store.sealer import read_checkpoint_log
from tests.kinerja.helpers import preserved_logging
from tests.polling import poll_async


def test_a_development_key_is_created_once_and_private(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "signing.pem"
    key = ensure_signing_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert public_key_bytes(ensure_signing_key(path)) == public_key_bytes(key)


async def test_the_dev_sealer_creates_its_key_seals_and_logs_checkpoints(
    tmp_path: Path, database_dsn: str, event_log: EventLog,
    admin_connection: asyncpg.Connection,
) -> None:
    settings = Settings(data_dir=tmp_path, database_url=database_dsn,
                        checkpoint_interval_seconds=0.05)
    assert settings.signing_key_path == tmp_path / "checkpoint-signing-key.pem"
    await event_log.append("s", 0, [NewEvent("A"), NewEvent("B")])
    async with running_sealer(settings, database_dsn, create_key=True):
        await poll_async(lambda: admin_connection.fetchval("SELECT count(*) FROM checkpoints"),
                         "a checkpoint signed", within=15, every=0.02)
    public = audit_settings(settings).public_key
    assert public is not None
    [logged] = read_checkpoint_log(settings.checkpoint_log_path)
    assert logged.tree_size == 2 and verify_checkpoint(public, logged)


def test_kinerja_sealer_refuses_to_run_without_a_key(
    tmp_path: Path, database_dsn: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KINERJA_DATABASE_URL", database_dsn)
    monkeypatch.setenv("KINERJA_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("KINERJA_LOG_FORMAT", "console")
    monkeypatch.setenv("KINERJA_MODE", "development")  # past the production check: no key
    get_settings.cache_clear()
    try:
        with preserved_logging():
            result = CliRunner().invoke(app, ["sealer"])
    finally:
        get_settings.cache_clear()
    output = " ".join(result.output.split())
    assert result.exit_code == 1, output
    assert "KINERJA_SIGNING_KEY_FILE" in output
