"""Fixtures of the audit tests: a signing key, a sealer over the test's database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from domain.checkpoint import generate_private_key
from store.sealer import Sealer


@pytest.fixture(scope="session")
def signing_key() -> Ed25519PrivateKey:
    return generate_private_key()


@pytest.fixture
def checkpoint_log(tmp_path: Path) -> Path:
    return tmp_path / "checkpoints.jsonl"


@pytest.fixture
def make_sealer(database_dsn: str, signing_key: Ed25519PrivateKey, checkpoint_log: Path
                ) -> Callable[..., Sealer]:
    def make(**overrides: Any) -> Sealer:
        options: dict[str, Any] = {"signing_key": signing_key, "checkpoint_log": checkpoint_log,
                                   "checkpoint_interval": 0.0, "poll_interval": 0.01}
        options.update(overrides)
        return Sealer(database_dsn, **options)
    return make


@pytest.fixture
async def sealer(make_sealer: Callable[..., Sealer]) -> AsyncIterator[Sealer]:
    """A connected sealer (holding the sealer lock) for the test."""
    instance = make_sealer()
    async with instance.connected():
        yield instance
