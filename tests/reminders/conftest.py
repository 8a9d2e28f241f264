"""Fixtures of the reminder tests: a real SMTP server in-process (aiosmtpd, on a free
port), Temporal servers, and helpers to put running deadlines in the read model."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes, policy
from email.message import Message
from typing import Any

import asyncpg
import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session

from activities.notify import SmtpNotifier, SmtpSettings


@dataclass
class Received:
    recipients: list[str]
    message: Message

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])


@dataclass
class Inbox:
    """What the SMTP server accepted, in order; tests wait on it with a bound."""

    messages: list[Received] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = field(
        default_factory=list)

    def add(self, received: Received) -> None:
        with self._lock:
            self.messages.append(received)
            waiters = list(self._waiters)
        for loop, event in waiters:
            loop.call_soon_threadsafe(event.set)

    async def wait_for(self, count: int, within: float = 20.0) -> list[Received]:
        """The first ``count`` messages once that many arrived; fails after ``within`` s."""
        event = asyncio.Event()
        entry = (asyncio.get_running_loop(), event)
        with self._lock:
            self._waiters.append(entry)
        try:
            async with asyncio.timeout(within):
                while True:
                    event.clear()
                    with self._lock:
                        if len(self.messages) >= count:
                            return self.messages[:count]
                    await event.wait()
        finally:
            with self._lock:
                self._waiters.remove(entry)

    def __len__(self) -> int:
        with self._lock:
            return len(self.messages)


class _Handler:
    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        if address.startswith("nobody@"):
            return "550 5.1.1 no such mailbox"
        if address.startswith("busy@"):
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content
        assert isinstance(content, bytes)
        self.inbox.add(Received(recipients=list(envelope.rcpt_tos),
                                message=message_from_bytes(content, policy=policy.default)))
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    host: str
    port: int
    inbox: Inbox

    def notifier(self) -> SmtpNotifier:
        return SmtpNotifier(SmtpSettings(host=self.host, port=self.port, starttls=False,
                                         from_address="kinerja@pemkot.example", timeout=10))


@pytest.fixture
async def smtp_server() -> AsyncIterator[SmtpServer]:
    """A real SMTP server (aiosmtpd's protocol) on a free port of 127.0.0.1, served by
    the tests' event loop (the SMTP notifier talks to it from a thread)."""
    inbox = Inbox()
    handler = _Handler(inbox)
    server = await asyncio.get_running_loop().create_server(
        lambda: SMTP(handler, hostname="kinerja-test-smtp"), "127.0.0.1", 0)
    try:
        yield SmtpServer(host="127.0.0.1", port=server.sockets[0].getsockname()[1],
                         inbox=inbox)
    finally:
        server.close()
        await server.wait_closed()


async def put_deadline(connection: asyncpg.Connection | asyncpg.Pool, appraisal_id: str,
                       deadline_at: datetime, *, kind: str = "skp",
                       phase: str = "target_setting", targets_status: str = "draft",
                       agency: str = "pemkot", employee: str = "e-emp",
                       appraiser: str | None = "e-boss", superior: str | None = "e-head",
                       version: int = 1) -> None:
    """A read-model row whose running deadline is ``kind`` at ``deadline_at``."""
    state: dict[str, Any] = {"version": version, "phase": phase,
                             "targets_status": targets_status}
    await connection.execute(
        """INSERT INTO appraisal_summaries (appraisal_id, cycle_id, agency, unit, employee,
               appraiser, superior, phase, next_deadline_kind, next_deadline_at, version,
               updated_at, state)
           VALUES ($1, 'cycle-1', $2, 'unit-1', $3, $4, $5, $6, $7, $8, $9, now(), $10::jsonb)
           ON CONFLICT (appraisal_id) DO UPDATE SET phase = EXCLUDED.phase,
               next_deadline_kind = EXCLUDED.next_deadline_kind,
               next_deadline_at = EXCLUDED.next_deadline_at, version = EXCLUDED.version,
               state = EXCLUDED.state""",
        appraisal_id, agency, employee, appraiser, superior, phase, kind, deadline_at, version,
        json.dumps(state))


async def put_contact(connection: asyncpg.Connection | asyncpg.Pool, employee: str,
                      email: str, agency: str = "pemkot") -> None:
    await connection.execute(
        "INSERT INTO people_contacts (agency, employee_key, email) VALUES ($1, $2, $3)",
        agency, employee, email)


async def sent_rows(connection: asyncpg.Connection | asyncpg.Pool) -> list[asyncpg.Record]:
    return await connection.fetch("SELECT * FROM reminders_sent ORDER BY claimed_at, readable_key")
