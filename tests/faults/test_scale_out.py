"""Scale out: two ``kinerja api`` and two ``kinerja worker`` processes and a sealer against
one Temporal server and one PostgreSQL. Lifecycles go through both APIs at once; one API
and one worker are killed (SIGKILL) in the middle; every command is answered (repeated
with its key on the other API when its first answer was lost), each recorded once, every
appraisal ends final, and the log verifies. A second sealer beside the first waits for
the lock and takes over when the first dies."""

from __future__ import annotations

import asyncio
import subprocess
from typing import Any

import httpx

from bench.lifecycle import ACCEPT_STEPS, COMMON_STEPS, open_body
from tests.kinerja.helpers import free_ports
from tests.polling import poll_async

from .conftest import Stack

APPRAISALS = 8
COMMANDS = len(COMMON_STEPS) + len(ACCEPT_STEPS)


async def _serving(port: int) -> None:
    async def healthy() -> bool:
        try:
            async with httpx.AsyncClient(timeout=2) as http:
                return (await http.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200
        except httpx.TransportError:
            return False
    await poll_async(healthy, f"the API on port {port} answers", within=60.0, every=0.2)


async def _sealer_holders(stack: Stack) -> int:
    assert stack.pool is not None
    return int(await stack.pool.fetchval(
        "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)"
        " WHERE l.locktype = 'advisory' AND l.granted"
        " AND a.application_name = 'kinerja-sealer'"))


async def test_two_apis_and_two_workers_one_of_each_killed(processes: Stack) -> None:
    stack = processes
    ports = free_ports(2)
    apis: list[subprocess.Popen[bytes]] = [
        stack.spawn("api", KINERJA_API_PORT=str(port), KINERJA_API_HOST="127.0.0.1")
        for port in ports]
    second_worker = stack.spawn("worker")
    second_sealer = stack.spawn("sealer")
    try:
        await asyncio.gather(*(_serving(port) for port in ports))
        clients = [httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60)
                   for port in ports]
        alive = [True, True]
        answered = 0
        crashed = asyncio.Event()

        async def send(index: int, step_no: int, method: str, path: str, who: str,
                       body: Any, key: str) -> httpx.Response:
            """Through API ``(index + step) % 2``; a lost answer (that API died) is asked
            again, with the same key, of the other one."""
            nonlocal answered
            roles = ("employee", "hr") if who == "e-hr" else ("employee",)
            choice = (index + step_no) % 2
            for _ in range(40):
                api = choice if alive[choice] else 1 - choice
                try:
                    response = await clients[api].request(
                        method, path, json=body, headers=stack.headers(who, *roles, key=key))
                except httpx.TransportError:
                    choice = 1 - api
                    continue
                if response.status_code == 503:
                    await asyncio.sleep(0.5)  # the service asks for a retry after a pause
                    continue
                answered += 1
                if answered >= APPRAISALS * 3:
                    crashed.set()
                return response
            raise AssertionError(f"{key}: no answer")

        async def lifecycle(index: int) -> None:
            employee, boss = f"e-{index:03d}", f"e-boss-{index:03d}"
            people = {"employee": employee, "appraiser": boss, "superior": "e-head",
                      "hr": "e-hr"}
            appraisal = None
            for step_no, step in enumerate((*COMMON_STEPS, *ACCEPT_STEPS)):
                if step.path is None:
                    path, body = "/v1/appraisals", open_body(stack.agency, employee, boss,
                                                             "e-head")
                else:
                    assert appraisal is not None
                    path, body = f"/v1/appraisals/{appraisal}{step.path}", step.body
                response = await send(index, step_no, step.method, path, people[step.who],
                                      body, f"{index}-{step.name}")
                assert response.status_code == step.status, (step.name, response.text)
                appraisal = response.json()["appraisal"]["id"]
            assert response.json()["appraisal"]["phase"] == "final"

        async def crash() -> None:
            await crashed.wait()
            alive[0] = False
            await asyncio.gather(stack.kill(apis[0]), stack.kill(stack.worker))

        await asyncio.wait_for(asyncio.gather(
            crash(), *(lifecycle(i) for i in range(APPRAISALS))), 600)

        # Each command recorded once: every stream holds each of its event types once
        # (the lifecycle records none twice), and the right number of commands.
        assert stack.pool is not None
        rows = await stack.pool.fetch(
            "SELECT stream_id, type, count(*) AS n FROM events"
            " WHERE stream_id LIKE 'appraisal-%' GROUP BY stream_id, type")
        assert {r["n"] for r in rows} == {1}
        assert len({r["stream_id"] for r in rows}) == APPRAISALS
        finals = await stack.pool.fetchval(
            "SELECT count(*) FROM appraisal_summaries WHERE phase = 'final'")
        assert finals == APPRAISALS

        # One sealer holds the lock; the other waits; when the first dies the second seals.
        await stack.sealed_and_verified()
        assert await _sealer_holders(stack) == 1
        await stack.kill(stack.sealer)
        opened = await send(APPRAISALS, 0, "POST", "/v1/appraisals", "e-hr", open_body(
            stack.agency, "e-late", "e-boss-late", "e-head"), "late-open")
        assert opened.status_code == 201, opened.text

        async def taken_over() -> bool:
            return await _sealer_holders(stack) == 1
        await poll_async(taken_over, "the second sealer holds the lock", within=60.0)
        await stack.sealed_and_verified()  # the events after the first's death: sealed
        for client in clients:
            await client.aclose()
    finally:
        for process in (*apis, second_worker, second_sealer):
            await stack.kill(process)
