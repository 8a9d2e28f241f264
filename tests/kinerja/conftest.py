"""Fixtures of the application-shell tests: a clean ``KINERJA_*`` environment, empty databases."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from kinerja.settings import get_settings

from .helpers import quote, run_sql


@pytest.fixture
def kinerja_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[pytest.MonkeyPatch]:
    """No ``KINERJA_*`` variable, no ``.env`` file (the cwd is an empty directory), and
    ``get_settings`` read afresh: a test sees only the settings it sets itself."""
    for name in list(os.environ):
        if name.startswith("KINERJA_"):
            monkeypatch.delenv(name)
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


@pytest.fixture
def empty_database(postgres_server: object) -> Iterator[str]:
    """The superuser DSN of a new database without any migration, dropped afterwards."""
    admin_dsn: str = postgres_server.dsn  # type: ignore[attr-defined]
    name = f"kinerja_shell_{uuid.uuid4().hex[:12]}"
    run_sql(admin_dsn, f"CREATE DATABASE {quote(name)}")
    try:
        yield postgres_server.dsn_for(name)  # type: ignore[attr-defined]
    finally:
        run_sql(admin_dsn, f"DROP DATABASE IF EXISTS {quote(name)} WITH (FORCE)")
