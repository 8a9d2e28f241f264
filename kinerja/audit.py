"""The shell's side of the audit: the checkpoint key, the sealer task, ``kinerja verify``."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import multiprocessing
import os
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path

import structlog
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.inspection import AuditSettings
from domain.bundle import BundleFailure, BundleReport, compare_bundles, verify_bundle
from domain.checkpoint import (
    generate_private_key,
    load_private_key,
    load_public_key,
    private_key_pem,
    public_key_bytes,
)
from kinerja.bundle_replay import ExecutorReplays
from kinerja.settings import Settings
from store.sealer import Sealer

log = structlog.get_logger("kinerja.audit")


def ensure_signing_key(path: Path) -> Ed25519PrivateKey:
    """The key at ``path``, created (mode 0600) if missing: for development only."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = generate_private_key()
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(private_key_pem(key))
        log.info("development checkpoint key created", path=str(path))
        return key
    return load_private_key(path.read_bytes())


def signing_key(settings: Settings) -> Ed25519PrivateKey | None:
    """The configured checkpoint key, or None when its file does not exist."""
    path = settings.signing_key_path
    return load_private_key(path.read_bytes()) if path.exists() else None


def public_key(settings: Settings) -> bytes | None:
    """The raw public key of the configured checkpoint key, if there is one."""
    key = signing_key(settings)
    return public_key_bytes(key) if key is not None else None


def make_sealer(settings: Settings, database_url: str, key: Ed25519PrivateKey | None
                ) -> Sealer:
    return Sealer(database_url, role=settings.database_role, signing_key=key,
                  checkpoint_interval=settings.checkpoint_interval_seconds,
                  checkpoint_log=settings.checkpoint_log_path)


@asynccontextmanager
async def running_sealer(settings: Settings, database_url: str, *, create_key: bool = False
                         ) -> AsyncIterator[asyncio.Task[None]]:
    """The sealer as an asyncio task for the duration of the block (``kinerja dev``).

    ``create_key``: write a development key at the configured path if missing.
    The sealer reconnects by itself when it loses the database
    (:meth:`store.sealer.Sealer.run`); one that fails otherwise is logged and
    restarted after a pause; it is safe to restart at any point.
    """
    path = settings.signing_key_path
    key = ensure_signing_key(path) if create_key else signing_key(settings)
    if key is None:
        log.warning("no checkpoint key: sealing without checkpoints", path=str(path))

    async def supervise() -> None:
        while True:
            try:
                await make_sealer(settings, database_url, key).run()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # restart: one batch is one transaction
                log.warning("sealer failed; restarting", error=str(error))
                await asyncio.sleep(1.0)

    task = asyncio.create_task(supervise(), name="kinerja-sealer")
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@contextlib.contextmanager
def _no_gc() -> Iterator[None]:
    """Without the cycle collector: verification makes many objects and no cycles, and
    a million-event bundle otherwise spends much of its time in collections."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


PARALLEL_REPLAY_BYTES = 4_000_000
"""Bundles from this size on (about 4,000 events) replay in worker processes."""


@contextlib.contextmanager
def _replay_workers(bundle_size: int, replay: bool) -> Iterator[Executor | None]:
    """Worker processes for the replays of a large bundle (one per CPU: the checks take less
    than the replays), or None: a small bundle replays inline, faster than starting them."""
    if not replay or bundle_size < PARALLEL_REPLAY_BYTES:
        yield None
        return
    workers = os.cpu_count() or 1
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    with ProcessPoolExecutor(workers, mp_context=context) as executor:
        yield executor


def verify_bundle_file(path: Path, *, against: Path | None = None,
                       public_key_file: Path | None = None, replay: bool = True
                       ) -> tuple[BundleReport, BundleFailure | None]:
    """Verify a bundle file (and compare it with an earlier one): the report and the
    first failure, if any. No database, no network. The replays of a large bundle run
    in worker processes beside the checks; the report keeps each appraisal's final
    version, phase and predikat, not the whole state."""
    pinned = None
    if public_key_file is not None:
        pinned = public_key_bytes(load_public_key(public_key_file.read_bytes()))
    keep = against is not None
    with path.open("rb") as file, _replay_workers(path.stat().st_size, replay) as executor, \
            _no_gc():
        report = verify_bundle(file, public_key=pinned, replay=replay, keep_hashes=keep,
                               scheduler=None if executor is None else ExecutorReplays(executor),
                               keep_states=False)
    if report.failure is not None:
        return report, report.failure
    if against is not None:
        with against.open("rb") as file, _no_gc():
            earlier = verify_bundle(file, public_key=pinned, replay=False, keep_hashes=True)
        if earlier.failure is not None:
            return report, BundleFailure(f"the earlier bundle {against.name} fails: "
                                         f"{earlier.failure}")
        difference = compare_bundles(earlier, report)
        if difference is not None:
            return report, difference
    return report, None


def audit_settings(settings: Settings) -> AuditSettings:
    """What the inspection routes verify with: the public key and the checkpoint log."""
    return AuditSettings(public_key=public_key(settings),
                         checkpoint_log=settings.checkpoint_log_path,
                         unsealed_warning_seconds=settings.unsealed_warning_seconds)
