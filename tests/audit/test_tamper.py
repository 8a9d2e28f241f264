"""Tampering by a superuser (triggers off) is detected online AND offline, naming the event.

Offline: a bundle exported BEFORE the tampering proves what the log held; a
bundle exported after it either fails on its own (its events no longer match
the signed tree) or, checked ``--against`` the earlier one, shows which
event changed or went missing. The earlier bundle on its own still verifies:
it cannot see the database, only prove what was signed.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import asyncpg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from domain.checkpoint import extend_tree, public_key_bytes, public_key_pem
from domain.integrity import canonical_event, chain_hash
from domain.merkle import leaf_hash
from kinerja.cli import app
from store.audit import Auditor
from store.event_log import EventLog, NewEvent
from store.sealer import Sealer

STREAMS = ("case-a", "case-b", "case-c")


@contextlib.asynccontextmanager
async def _triggers_off(admin: asyncpg.Connection, *tables: str) -> AsyncIterator[None]:
    """What a superuser can do: change append-only tables with their triggers off."""
    for table in tables:
        await admin.execute(f"ALTER TABLE {table} DISABLE TRIGGER ALL")
    try:
        yield
    finally:
        for table in tables:
            await admin.execute(f"ALTER TABLE {table} ENABLE TRIGGER ALL")


async def _fill_and_seal(event_log: EventLog, sealer: Sealer) -> None:
    for round_ in range(4):
        for stream in STREAMS:
            await event_log.append(stream, round_, [NewEvent("Noted", {"n": round_,
                                                                       "s": stream})])
    await sealer.seal_pending()
    assert await sealer.checkpoint() is not None


async def _export(auditor: Auditor, path: Path, public_key: bytes) -> Path:
    with path.open("wb") as file:
        async for chunk in auditor.export(list(STREAMS), {"streams": "test"}, public_key):
            file.write(chunk)
    return path


def _verify(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["verify", *args], catch_exceptions=False)
    return result.exit_code, " ".join(result.output.split())


@pytest.fixture
def public_key(signing_key: Ed25519PrivateKey) -> bytes:
    return public_key_bytes(signing_key)


@pytest.fixture
def auditor(app_pool: asyncpg.Pool, public_key: bytes) -> Auditor:
    return Auditor(app_pool, public_key=public_key)


async def _rewrite(admin: asyncpg.Connection, stream: str, version: int, data: dict[str, object],
                   *, rechain: bool) -> None:
    """Replace the data of an event; with ``rechain``, recompute the stream's chain from it."""
    rows = await admin.fetch(
        "SELECT version, canonical, prev_hash FROM events WHERE stream_id = $1"
        " AND version >= $2 ORDER BY version", stream, version)
    prev = rows[0]["prev_hash"]
    async with _triggers_off(admin, "events"):
        for row in rows:
            document = json.loads(row["canonical"])
            if row["version"] == version:
                document["data"] = data
            canonical = canonical_event(
                event_id=document["event_id"], stream_id=stream, version=row["version"],
                type=document["type"], schema_version=document["schema_version"],
                data=document["data"], metadata=document["metadata"],
                recorded_at=datetime.fromisoformat(document["recorded_at"]))
            if rechain:
                hash_ = chain_hash(prev, canonical)
                await admin.execute(
                    "UPDATE events SET canonical = $3, prev_hash = $4, hash = $5"
                    " WHERE stream_id = $1 AND version = $2",
                    stream, row["version"], canonical, prev, hash_)
                prev = hash_
            else:
                await admin.execute("UPDATE events SET canonical = $3 WHERE stream_id = $1"
                                    " AND version = $2", stream, row["version"], canonical)
                break


async def test_an_untouched_log_verifies_online_and_offline(
    event_log: EventLog, sealer: Sealer, auditor: Auditor, tmp_path: Path,
    signing_key: Ed25519PrivateKey, public_key: bytes,
) -> None:
    await _fill_and_seal(event_log, sealer)
    report = await auditor.verify_all()
    assert report.ok, report.first_failure
    assert (report.events_checked, report.tree_size, report.checkpoints_checked) == (12, 12, 1)
    for stream in STREAMS:
        assert (await auditor.verify_stream(stream)).ok
    bundle = await _export(auditor, tmp_path / "b.jsonl", public_key)
    key_file = tmp_path / "key.pem"
    key_file.write_bytes(public_key_pem(signing_key))
    code, output = _verify(str(bundle), "--public-key", str(key_file))
    assert code == 0, output
    assert "12 events in 3 streams, 12 sealed" in output
    code, output = _verify(str(bundle), "--against", str(bundle))
    assert code == 0, output


async def test_an_event_changed_in_place_is_named(
    event_log: EventLog, sealer: Sealer, auditor: Auditor, tmp_path: Path, public_key: bytes,
    admin_connection: asyncpg.Connection,
) -> None:
    await _fill_and_seal(event_log, sealer)
    before = await _export(auditor, tmp_path / "before.jsonl", public_key)
    await _rewrite(admin_connection, "case-b", 2, {"n": 99, "s": "case-b"}, rechain=False)

    report = await auditor.verify_all()
    assert not report.ok and report.first_failure is not None
    failure = report.first_failure
    assert (failure.check, failure.stream_id, failure.version) == ("chain", "case-b", 2)
    stream_report = await auditor.verify_stream("case-b")
    assert stream_report.first_failure is not None
    assert stream_report.first_failure.version == 2

    assert _verify(str(before))[0] == 0  # the earlier bundle alone still holds
    after = await _export(auditor, tmp_path / "after.jsonl", public_key)
    code, output = _verify(str(after), "--against", str(before))
    assert code == 1
    assert "stream case-b, version 2" in output and "hash" in output


async def test_the_last_event_of_a_stream_deleted_is_named(
    event_log: EventLog, sealer: Sealer, auditor: Auditor, tmp_path: Path, public_key: bytes,
    admin_connection: asyncpg.Connection,
) -> None:
    await _fill_and_seal(event_log, sealer)
    before = await _export(auditor, tmp_path / "before.jsonl", public_key)
    async with _triggers_off(admin_connection, "events"):
        await admin_connection.execute(
            "DELETE FROM events WHERE stream_id = 'case-c' AND version = 4")

    report = await auditor.verify_all()  # a chain cannot see a missing tail; the seals can
    assert report.first_failure is not None
    failure = report.first_failure
    assert (failure.check, failure.stream_id, failure.version) == ("seal", "case-c", 4)
    assert "missing" in failure.reason
    stream_report = await auditor.verify_stream("case-c")
    assert stream_report.first_failure is not None
    assert stream_report.first_failure.version == 4

    after = await _export(auditor, tmp_path / "after.jsonl", public_key)
    assert _verify(str(after))[0] == 0  # consistent on its own: it just ends earlier
    code, output = _verify(str(after), "--against", str(before))
    assert code == 1
    assert "stream case-c, version 4" in output and "no longer in the log" in output


async def test_a_middle_event_deleted_is_named(
    event_log: EventLog, sealer: Sealer, auditor: Auditor, tmp_path: Path, public_key: bytes,
    admin_connection: asyncpg.Connection,
) -> None:
    await _fill_and_seal(event_log, sealer)
    async with _triggers_off(admin_connection, "events"):
        await admin_connection.execute(
            "DELETE FROM events WHERE stream_id = 'case-a' AND version = 2")
    failure = (await auditor.verify_all()).first_failure
    assert failure is not None and (failure.stream_id, failure.version) == ("case-a", 2)
    after = await _export(auditor, tmp_path / "after.jsonl", public_key)
    code, output = _verify(str(after))
    assert code == 1 and "stream case-a, version 2" in output and "missing" in output


async def test_a_stream_rewritten_with_a_consistent_chain_is_named(
    event_log: EventLog, sealer: Sealer, auditor: Auditor, tmp_path: Path, public_key: bytes,
    admin_connection: asyncpg.Connection,
) -> None:
    await _fill_and_seal(event_log, sealer)
    before = await _export(auditor, tmp_path / "before.jsonl", public_key)
    await _rewrite(admin_connection, "case-a", 1, {"n": 0, "s": "forged"}, rechain=True)
    assert (await event_log.verify_stream("case-a")).ok  # the chain alone is fooled

    report = await auditor.verify_all()
    assert report.first_failure is not None
    failure = report.first_failure
    assert (failure.check, failure.stream_id, failure.version) == ("seal", "case-a", 1)
    assert "sealed leaf" in failure.reason

    after = await _export(auditor, tmp_path / "after.jsonl", public_key)
    code, output = _verify(str(after))
    assert code == 1 and "stream case-a, version 1" in output and "not included" in output
    code, output = _verify(str(after), "--against", str(before))
    assert code == 1 and "stream case-a, version 1" in output


async def test_a_stream_rewritten_with_its_tree_rebuilt_fails_the_signed_checkpoint(
    event_log: EventLog, sealer: Sealer, auditor: Auditor, tmp_path: Path, public_key: bytes,
    admin_connection: asyncpg.Connection,
) -> None:
    await _fill_and_seal(event_log, sealer)
    before = await _export(auditor, tmp_path / "before.jsonl", public_key)
    await _rewrite(admin_connection, "case-a", 1, {"n": 0, "s": "forged"}, rechain=True)
    # The forger also rebuilds the seals' leaves and the whole tree from the new events.
    rows = await admin_connection.fetch(
        "SELECT s.seq, e.hash FROM seals s JOIN events e USING (stream_id, version)"
        " ORDER BY s.seq")
    leaves = [leaf_hash(row["hash"]) for row in rows]
    _, _, nodes = extend_tree(0, [], leaves)
    async with _triggers_off(admin_connection, "seals", "merkle_nodes"):
        for row, leaf in zip(rows, leaves, strict=True):
            await admin_connection.execute("UPDATE seals SET leaf_hash = $2 WHERE seq = $1",
                                           row["seq"], leaf)
        for level, index, hash_ in nodes:
            await admin_connection.execute(
                "UPDATE merkle_nodes SET hash = $3 WHERE level = $1 AND idx = $2",
                level, index, hash_)

    report = await auditor.verify_all()
    assert report.first_failure is not None
    assert report.first_failure.check == "checkpoint"
    assert "not the signed root" in report.first_failure.reason
    stream_report = await auditor.verify_stream("case-a")
    assert stream_report.first_failure is not None
    assert (stream_report.first_failure.check, stream_report.first_failure.version) == (
        "tree", 1)

    after = await _export(auditor, tmp_path / "after.jsonl", public_key)
    code, output = _verify(str(after))
    assert code == 1 and "stream case-a, version 1" in output and "not included" in output
    code, output = _verify(str(after), "--against", str(before))
    assert code == 1 and "stream case-a, version 1" in output


async def test_a_deleted_checkpoint_is_caught_by_the_log_file(
    event_log: EventLog, sealer: Sealer, app_pool: asyncpg.Pool, public_key: bytes,
    checkpoint_log: Path, admin_connection: asyncpg.Connection,
) -> None:
    await _fill_and_seal(event_log, sealer)
    auditor = Auditor(app_pool, public_key=public_key, checkpoint_log=checkpoint_log)
    assert (await auditor.verify_all()).ok
    async with _triggers_off(admin_connection, "checkpoints"):
        await admin_connection.execute("DELETE FROM checkpoints")
    failure = (await auditor.verify_all()).first_failure
    assert failure is not None and failure.check == "checkpoint"
    assert "is not in the database" in failure.reason


async def test_a_changed_tree_node_or_a_leaf_rewritten_alone_is_named_online(
    event_log: EventLog, sealer: Sealer, auditor: Auditor, admin_connection: asyncpg.Connection,
) -> None:
    await _fill_and_seal(event_log, sealer)
    original = await admin_connection.fetchval(
        "SELECT hash FROM merkle_nodes WHERE level = 2 AND idx = 1")
    async with _triggers_off(admin_connection, "merkle_nodes"):
        await admin_connection.execute(
            "UPDATE merkle_nodes SET hash = $1 WHERE level = 2 AND idx = 1", b"\x07" * 32)
        report = await auditor.verify_all()
        assert report.first_failure is not None
        assert (report.first_failure.check, report.first_failure.seq) == ("tree", 4)
        assert report.first_failure.reason.startswith("node (2, 1) over leaves 4..7 is not")
        await admin_connection.execute(
            "UPDATE merkle_nodes SET hash = $1 WHERE level = 2 AND idx = 1", original)
    assert (await auditor.verify_all()).ok

    # The events of a stream rewritten with a consistent chain and their seals' leaves
    # with them, but not the tree above: the lowest node over the first rewritten leaf.
    await _rewrite(admin_connection, "case-b", 2, {"n": 0, "s": "forged"}, rechain=True)
    rows = await admin_connection.fetch(
        "SELECT s.seq, e.hash FROM seals s JOIN events e USING (stream_id, version)"
        " WHERE s.stream_id = 'case-b' AND s.version >= 2 ORDER BY s.seq")
    async with _triggers_off(admin_connection, "seals"):
        for row in rows:
            await admin_connection.execute("UPDATE seals SET leaf_hash = $2 WHERE seq = $1",
                                           row["seq"], leaf_hash(row["hash"]))
    report = await auditor.verify_all()
    assert report.first_failure is not None
    first = min(row["seq"] for row in rows)
    assert (report.first_failure.check, report.first_failure.seq) == ("tree", first & ~1)
    assert report.first_failure.reason.startswith(f"node (1, {first // 2}) over leaves")
