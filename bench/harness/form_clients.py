"""People filling a web form, simulated from a process of their own.

``fill_forms`` (called by a benchmark that serves the application in its own process)
starts ``python -m bench.harness.form_clients`` with what to send; that process opens
its connections (``bench.harness.lean_http``), says it is ready, and on the word sends,
for each person: the form's GET (its hidden token), then the POST of the fields with
that token, ``per_person`` times, ``concurrency`` people at a time. Each person has an
address of their own, sent as ``X-Forwarded-For`` as the proxy in front of the API sends
it (uvicorn trusts it from 127.0.0.1 by default), so a per-address rate limit sees
different people. The clients' CPU is spent in that process, not in the server's.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import sys
import time
from dataclasses import dataclass
from typing import Any

from bench.harness.lean_http import Connection


@dataclass(frozen=True)
class FormRun:
    sent: int
    """Forms the server answered with the expected status."""
    seconds: float
    """From the word to the last answer, measured by the clients."""
    cpu_seconds: float
    """CPU of the calling process (the server) over the same time."""

    @property
    def rate(self) -> float:
        return self.sent / self.seconds


async def fill_forms(
    host: str,
    port: int,
    path: str,
    fields: dict[str, str],
    *,
    people: int,
    per_person: int,
    concurrency: int,
    first_person: int = 0,
    random_fields: tuple[str, ...] = (),
    expect: int = 303,
) -> FormRun:
    """``people`` x ``per_person`` forms sent from another process; raises if any answer
    is not ``expect``. ``random_fields`` get a random answer 1 to 4 each time."""
    spec = {
        "host": host,
        "port": port,
        "path": path,
        "fields": fields,
        "people": people,
        "per_person": per_person,
        "concurrency": concurrency,
        "first_person": first_person,
        "random_fields": list(random_fields),
        "expect": expect,
    }
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.harness.form_clients",
        json.dumps(spec),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert child.stdin and child.stdout
    try:
        ready = await child.stdout.readline()
        if ready.strip() != b"ready":
            raise RuntimeError(f"the form clients did not start: {ready!r}")
        cpu = time.process_time()
        child.stdin.write(b"go\n")
        await child.stdin.drain()
        outcome = json.loads(await child.stdout.readline())
        cpu = time.process_time() - cpu
    finally:
        if child.returncode is None:
            child.stdin.close()
        await child.wait()
    if outcome["refused"]:
        raise RuntimeError(f"unexpected answers: {outcome['refused'][:3]}")
    return FormRun(outcome["sent"], outcome["seconds"], cpu)


_TOKEN = re.compile(rb'name="token" value="([^"]+)"')


async def _clients(spec: dict[str, Any]) -> None:
    rng = random.Random(7)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for person in range(spec["first_person"], spec["first_person"] + spec["people"]):
        queue.put_nowait(person)
    connections = [
        await Connection.open(spec["host"], spec["port"])
        for _ in range(min(spec["concurrency"], spec["people"]))
    ]
    sent, refused = 0, []

    async def worker(connection: Connection) -> None:
        nonlocal sent
        while not queue.empty():
            person = queue.get_nowait()
            host = f"10.{person // 65536 % 256}.{person // 256 % 256}.{person % 256}"
            address = {"X-Forwarded-For": host}
            for _ in range(spec["per_person"]):
                form = await connection.get(spec["path"], address)
                token = _TOKEN.search(form.body)
                if form.status != 200 or token is None:
                    refused.append(f"GET {form.status} {form.body[:200]!r}")
                    continue
                fields = {
                    **spec["fields"],
                    "token": token.group(1).decode(),
                    **{name: str(rng.randint(1, 4)) for name in spec["random_fields"]},
                }
                answer = await connection.post_form(spec["path"], fields, address)
                if answer.status == spec["expect"]:
                    sent += 1
                else:
                    refused.append(f"POST {answer.status} {answer.body[:300]!r}")

    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    started = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in connections))
    seconds = time.perf_counter() - started
    for connection in connections:
        await connection.close()
    print(json.dumps({"sent": sent, "seconds": seconds, "refused": refused}), flush=True)


if __name__ == "__main__":
    asyncio.run(_clients(json.loads(sys.argv[1])))
