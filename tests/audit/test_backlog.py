"""Online verification reports the unsealed backlog: committed events without a seal yet
and the oldest one's age; older than the threshold, the report warns (without failing)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from domain.checkpoint import public_key_bytes
from store.audit import UNSEALED_BACKLOG, Auditor
from store.event_log import EventLog, NewEvent
from store.sealer import Sealer


async def test_verification_reports_the_unsealed_backlog_until_the_sealer_catches_up(
    event_log: EventLog, app_pool: asyncpg.Pool, make_sealer: Callable[..., Sealer],
    signing_key: Ed25519PrivateKey,
) -> None:
    long_ago = datetime.now(UTC) - timedelta(minutes=10)
    # Sealed while a sealer ran: no backlog.
    sealer = make_sealer()
    async with sealer.connected():
        await event_log.append("early", 0, [NewEvent("A", recorded_at=long_ago)])
        await sealer.seal_pending()
        await sealer.checkpoint()
    auditor = Auditor(app_pool, public_key=public_key_bytes(signing_key))
    assert auditor.unsealed_warning_seconds == 60.0
    report = await auditor.verify_all()
    assert report.ok and report.sealed and report.warnings == []
    assert report.backlog is not None and report.backlog.events == 0
    assert report.backlog.age_seconds is None

    # No sealer runs: five events wait, the oldest recorded ten minutes ago.
    await event_log.append("a", 0, [NewEvent("A", recorded_at=long_ago),
                                    NewEvent("B", recorded_at=long_ago + timedelta(seconds=1)),
                                    NewEvent("C")])
    await event_log.append("b", 0, [NewEvent("A"), NewEvent("B")])
    report = await auditor.verify_all()
    assert report.ok, report.first_failure  # the checks themselves pass
    assert report.events_checked == 6 and report.tree_size == 1
    assert report.backlog is not None and report.backlog.events == 5
    assert report.backlog.oldest_recorded_at == long_ago
    assert report.backlog.age_seconds is not None and 600 <= report.backlog.age_seconds < 900
    assert report.backlog.versions is None
    assert not report.sealed and report.warnings == [UNSEALED_BACKLOG]
    assert any("5 committed events not sealed yet" in note for note in report.notes)

    stream = await auditor.verify_stream("a")
    assert stream.ok and not stream.sealed and stream.warnings == [UNSEALED_BACKLOG]
    assert stream.backlog is not None and stream.backlog.events == 3
    assert stream.backlog.versions == (1, 2, 3)
    fresh = await auditor.verify_stream("b")  # its events are younger than the threshold
    assert fresh.sealed and fresh.warnings == []
    assert fresh.backlog is not None and fresh.backlog.events == 2
    assert fresh.backlog.versions == (1, 2)

    # A threshold of an hour: the same backlog is reported, without the warning.
    patient = Auditor(app_pool, unsealed_warning_seconds=3600.0)
    report = await patient.verify_all()
    assert report.sealed and report.warnings == []
    assert report.backlog is not None and report.backlog.events == 5

    # Sealed: the warning is gone.
    async with sealer.connected():
        assert await sealer.seal_pending() == 5
        await sealer.checkpoint()
    report = await auditor.verify_all()
    assert report.ok and report.sealed and report.warnings == [], report.notes
    assert report.backlog is not None and report.backlog.events == 0
    assert report.tree_size == 6 and report.checkpoints_checked == 2
    stream = await auditor.verify_stream("a")
    assert stream.ok and stream.sealed and stream.warnings == []
    assert stream.backlog is not None and stream.backlog.versions == ()
