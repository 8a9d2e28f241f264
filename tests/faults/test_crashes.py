"""Crashes on a stack of separate processes: SIGKILL of the worker during a cycle's start
and during commands, SIGKILL of the Temporal server during commands, PostgreSQL stopped
during commands. Afterwards every
command answered 2xx is in the log once, every command repeated with its key gets its
first result, no appraisal is stuck (each accepts its next command), the start finishes
with one appraisal per employee, the sealer caught up and the log verifies."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from tests.lifecycle.conftest import SKP
from tests.polling import poll_async

from .conftest import HR, OwnPostgres, Stack

SIZE = 40
"""Employees of the test agency: enough for a start of several pages."""


async def _all_opened(stack: Stack, cycle_id: str, within: float = 180.0) -> dict[str, str]:
    async def done() -> bool:
        return await stack.cycle_status(cycle_id) == "running" and \
            len(await stack.appraisals(cycle_id)) == SIZE
    await poll_async(done, f"all {SIZE} appraisals of {cycle_id} opened", within=within, every=0.25)
    return await stack.appraisals(cycle_id, staff_only=True)


Command = tuple[str, str, str, str, Any]
"""method, path, who sends it, its idempotency key, its body"""


async def _each_once(stack: Stack, commands: list[Command],
                     crash: Callable[[], Awaitable[None]], after: int) -> None:
    """Send every command at once; run ``crash`` once ``after`` of them have answered;
    then repeat each with its key until it has a definitive answer, which must be 2xx and,
    when the first answer was one, the same result."""
    first: dict[str, httpx.Response | None] = {}
    answered = asyncio.Event()

    async def send(method: str, path: str, who: str, key: str, body: Any) -> None:
        try:
            first[key] = await stack.request(method, path, who, key=key, body=body)
        except httpx.TransportError:
            first[key] = None
        if sum(1 for r in first.values() if r is not None) >= after:
            answered.set()

    sending = [asyncio.create_task(send(*command)) for command in commands]
    await asyncio.wait_for(answered.wait(), 120)
    await crash()
    await asyncio.wait_for(asyncio.gather(*sending), 180)

    for method, path, who, key, body in commands:
        response = await stack.settled(method, path, who, key=key, body=body)
        assert response.status_code < 300, (key, response.text)
        earlier = first[key]
        if earlier is not None and earlier.status_code < 300:  # its first result, again
            assert response.json()["events"] == earlier.json()["events"], key


async def _commands_survive(stack: Stack, appraisals: dict[str, str],
                            crash: Callable[[], Awaitable[None]]) -> None:
    """Each employee drafts the SKP while ``crash`` strikes, each draft is recorded once;
    no appraisal is stuck: each takes its next command (submit); the sealer catches up
    and the log verifies."""
    drafts = [("PUT", f"/v1/appraisals/{a}/targets", e, f"draft-{e}", SKP)
              for e, a in appraisals.items()]
    await _each_once(stack, drafts, crash, after=5)
    drafted = await stack.events_of("TargetsDrafted")
    assert {a: drafted.get(a) for a in appraisals.values()} == {a: 1 for a in appraisals.values()}

    submits = [("POST", f"/v1/appraisals/{a}/targets/submit", e, f"submit-{e}", None)
               for e, a in appraisals.items()]
    await _each_once(stack, submits, _nothing, after=1)
    assert set((await stack.events_of("TargetsSubmitted")).values()) == {1}
    await stack.sealed_and_verified()


async def test_worker_killed_during_a_cycle_start_and_during_commands(
        processes: Stack) -> None:
    stack = processes
    cycle_id = await stack.start_cycle(SIZE)

    async def some_opened() -> bool:
        return len(await stack.appraisals(cycle_id)) >= 8
    await poll_async(some_opened, "the start under way", within=120, every=0.1)
    await stack.kill(stack.worker)
    stack.start_worker()
    await _all_opened(stack, cycle_id)
    everyone = await stack.appraisals(cycle_id)
    opened = await stack.events_of("AppraisalOpened")
    assert {s: n for s, n in opened.items() if s in everyone.values()} == {
        a: 1 for a in everyone.values()}  # one appraisal per employee, each opened once
    appraisals = await stack.appraisals(cycle_id, staff_only=True)

    async def crash_worker() -> None:
        await stack.kill(stack.worker)
        stack.start_worker()

    await _commands_survive(stack, appraisals, crash_worker)


async def test_temporal_killed_and_restarted_during_commands(processes: Stack) -> None:
    stack = processes
    cycle_id = await stack.start_cycle(SIZE)
    appraisals = await _all_opened(stack, cycle_id)

    async def crash_temporal() -> None:
        await stack.kill(stack.temporal)
        await stack.start_temporal()

    await _commands_survive(stack, appraisals, crash_temporal)
    hr = await stack.settled("GET", f"/v1/cycles/{cycle_id}/progress", HR, "employee", "hr",
                             key="progress")
    assert hr.status_code == 200


async def test_postgresql_stopped_and_started_during_commands(
        processes_own_postgres: tuple[Stack, OwnPostgres]) -> None:
    stack, postgres = processes_own_postgres
    cycle_id = await stack.start_cycle(SIZE)
    appraisals = await _all_opened(stack, cycle_id)

    async def stop_postgres() -> None:
        await postgres.stop()
        await asyncio.sleep(2)  # down for a while: commands meanwhile are answered 503
        await postgres.start()

    await _commands_survive(stack, appraisals, stop_postgres)


async def _nothing() -> None:
    return None
