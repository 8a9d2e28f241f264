"""The benchmarks' harness: its timer and JSON writer, and every benchmark's ``--help``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.harness import Figure, Timing, percentile, repeat, write_json
from bench.harness.servers import ROOT

BENCHES = sorted(p.stem for p in (ROOT / "bench").glob("*.py") if p.stem != "__init__")


def test_the_timer_repeats_after_warming_up_and_gives_the_spread() -> None:
    calls: list[int] = []

    def work() -> int:
        calls.append(1)
        return sum(range(1000))

    timing = repeat(work, repeats=5, warmups=2)
    assert len(calls) == 7 and len(timing.seconds) == 5
    assert timing.result == sum(range(1000))
    assert 0 < timing.min <= timing.median <= timing.max
    assert timing.spread == (timing.max - timing.min) / timing.median
    assert timing.rate(1000) == 1000 / timing.median
    assert Timing([1.0, 3.0, 2.0]).median == 2.0
    assert "3 repeats" in Timing([1.0, 3.0, 2.0]).describe()
    with pytest.raises(ValueError):
        repeat(work, repeats=0)


def test_percentiles_are_interpolated() -> None:
    assert percentile([4.0, 1.0, 3.0, 2.0], 50) == 2.5
    assert percentile([1.0, 2.0], 100) == 2.0
    assert percentile([], 50) != percentile([], 50)  # NaN


def test_the_json_writer_computes_each_ratio_against_its_baseline(tmp_path: Path) -> None:
    timing = repeat(lambda: sum(range(100)), repeats=3, warmups=0)
    figures = [
        Figure("sum, 100 items", timing.rate(100), "items/s", baseline=timing.rate(100) / 2),
        Figure("alone", 7.0, "ms"),
        Figure("baseline zero", 7.0, "ms", baseline=0.0),
    ]
    path = tmp_path / "out.json"
    write_json(path, figures)
    written = json.loads(path.read_text(encoding="utf-8"))
    assert [set(f) for f in written] == [{"name", "value", "unit", "baseline", "ratio"}] * 3
    assert written[0]["ratio"] == 2.0
    assert written[0]["value"] == round(timing.rate(100), 3)
    assert (written[1]["baseline"], written[1]["ratio"]) == (None, None)
    assert written[2]["ratio"] is None
    write_json(None, figures)  # no --json: nothing written, no error


def test_the_benchmarks_are_found() -> None:
    assert BENCHES == ["audit", "cycle", "documents", "event_log", "evidence", "exports",
                       "lifecycle", "monitoring", "notifications", "public", "roster", "web"]


@pytest.mark.parametrize("bench", BENCHES)
def test_every_benchmark_answers_help(bench: str, tmp_path: Path) -> None:
    # From elsewhere than the project's directory: the installed package, no sys.path edit.
    done = subprocess.run([sys.executable, "-m", f"bench.{bench}", "--help"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "--json" in done.stdout


async def test_the_lean_client_and_the_form_clients_against_a_real_server() -> None:
    """Content-Length and chunked answers on one keep-alive connection; the form clients
    send each person's address as X-Forwarded-For, which uvicorn takes as the client's."""
    import socket

    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, RedirectResponse, StreamingResponse
    from starlette.routing import Route

    from bench.harness.form_clients import fill_forms
    from bench.harness.lean_http import Connection
    from bench.harness.servers import free_port, serve_asgi

    posted: list[tuple[str, str, str]] = []

    async def form(request: Request) -> HTMLResponse | RedirectResponse:
        if request.method == "GET":
            return HTMLResponse('<input name="token" value="t-1">')
        fields = await request.form()
        posted.append((request.client.host if request.client else "",
                       str(fields["token"]), str(fields["answer"])))
        return RedirectResponse("/thanks", 303)

    async def chunks(request: Request) -> StreamingResponse:
        async def parts():  # type: ignore[no-untyped-def]
            for part in (b"one,", b"two,", b"three"):
                yield part
        return StreamingResponse(parts())

    app = Starlette(routes=[Route("/form", form, methods=["GET", "POST"]),
                            Route("/chunks", chunks)])
    port = free_port()
    with socket.create_server(("127.0.0.1", port)) as sock:
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None,
                                access_log=False)
        async with serve_asgi(config, sock):
            connection = await Connection.open("127.0.0.1", port)
            streamed = await connection.get("/chunks")
            plain = await connection.get("/form")
            await connection.close()
            run = await fill_forms("127.0.0.1", port, "/form", {"answer": "x"}, people=3,
                                   per_person=2, concurrency=2, first_person=256)
    assert (streamed.status, streamed.body) == (200, b"one,two,three")
    assert b"chunked" in streamed.headers[b"transfer-encoding"]
    assert plain.body == b'<input name="token" value="t-1">'
    assert run.sent == 6 and run.seconds > 0
    assert sorted({host for host, _, _ in posted}) == ["10.0.1.0", "10.0.1.1", "10.0.1.2"]
    assert {(token, answer) for _, token, answer in posted} == {("t-1", "x")}
