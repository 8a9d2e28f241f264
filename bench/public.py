"""Benchmark of the public survey: submissions accepted per second with the rate limiter
on, and the index (IKM) of a unit over 1,000,000 responses.

    .venv/bin/python -m bench.public [--submissions N] [--concurrency C] [--responses R]
                                     [--json FILE]

- ``public submissions``: the whole application (pages, edge, signed form token, rate
  limiter, validation, the event and its row) served by uvicorn in this process as
  ``kinerja api`` serves it, the people sending from another process
  (``bench.harness.form_clients``: a browser's cost is not the server's): each submission
  is the form's GET (its signed token) and the POST that stores it, ``--concurrency``
  people at a time, each with an address of their own (``X-Forwarded-For``, as from the
  proxy in front of the API) sending 5 (the limit per unit and 10 minutes: a service
  counter's queue of different people); baseline: ``PublicStore.add_response`` alone
  (the event and its row) at the same concurrency, in this process. Target: at least
  200/s.
- ``CPU of the serving process per public submission``: this process (the server: event
  loop, uvicorn, the application; PostgreSQL and the clients not counted), in
  milliseconds: on a machine other work loads, what a submission costs when the rate
  above cannot say; baseline: the same for the store's write alone.
- ``IKM over R responses (PostgreSQL)``: ``PublicStore.tally`` (one aggregate over the
  unit's period) and ``domain.survey.compute``; baseline: ``SELECT count(*)`` of the same
  rows. Target: under 2 s for 1,000,000.
- ``tally() over R responses (Python)``: the pure function over R responses generated on
  the fly; baseline: a loop summing the same answers without the function.

Starts an embedded PostgreSQL with default durability in a temporary directory unless
KINERJA_DATABASE_URL names a server (a superuser's DSN).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from fastapi import FastAPI

from api.app import Services, create_app
from api.auth import TokenSettings, TokenVerifier
from bench.harness import (
    Figure,
    atimed,
    describe_postgres,
    free_port,
    log_to_file,
    machine,
    print_figures,
    scratch_database,
    server_settings,
    timed,
    write_json,
)
from bench.harness.form_clients import FormRun, fill_forms
from bench.harness.servers import serve_asgi
from domain.authorization import Actor, Role
from domain.survey import (
    ELEMENTS,
    SKM_14_2017,
    PublicService,
    SurveyResponse,
    compute,
    tally,
)
from kinerja.devstack import bind_port
from kinerja.serving import uvicorn_config
from kinerja.settings import Settings
from services.public import PublicVoiceService
from store.database import create_pool
from store.public import PublicStore
from web import WebSettings

AGENCY, UNIT = "pemkot-bench", "disdukcapil"
HR = Actor(subject="e-hr", roles=frozenset({Role.HR}), agencies=frozenset({AGENCY}))
def _app(pool: asyncpg.Pool) -> FastAPI:
    return create_app(Services(
        pool=pool, temporal=None,  # type: ignore[arg-type]  # the pages reach no workflow
        token_verifier=TokenVerifier(TokenSettings(secret="bench-" + "x" * 32)),
        task_queue="unused",
        web=WebSettings(session_secret="bench-session-" + "y" * 32, secure_cookies=False)))


async def _submissions(app: FastAPI, count: int, concurrency: int, first_person: int = 0
                       ) -> FormRun:
    """``count`` submissions, each the form's GET and its POST, from another process
    (``bench.harness.form_clients``) to ``app`` served by uvicorn in this process as
    ``kinerja api`` serves it; 5 per person, each person a client address of their own
    (people numbered from ``first_person``: each stays within the limit across calls)."""
    settings = Settings(api_host="127.0.0.1", api_port=free_port())
    fields = {"service": "ktp-el", "age_group": "30_39", "sex": "perempuan",
              "education": "sma", "occupation": "swasta", "comment": "Pelayanan cepat."}
    per_person = SKM_14_2017.submissions_per_client
    people = -(-count // per_person)
    with bind_port(settings.api_host, settings.api_port, "KINERJA_API_PORT") as sock:
        async with serve_asgi(uvicorn_config(app, settings), sock):
            run = await fill_forms(
                settings.api_host, settings.api_port, f"/publik/survei/{AGENCY}/{UNIT}",
                fields, people=people, per_person=per_person, concurrency=concurrency,
                first_person=first_person,
                random_fields=tuple(f"answers.{e.value}" for e in ELEMENTS))
    assert run.sent == people * per_person, run
    return run


async def _inserts(store: PublicStore, count: int, concurrency: int) -> tuple[float, float]:
    gate = asyncio.Semaphore(concurrency)
    response = SurveyResponse(service="ktp-el", answers=dict.fromkeys(ELEMENTS, 3),
                              age_group="30_39", sex="perempuan", education="sma",
                              occupation="swasta", comment="Pelayanan cepat.")
    now = datetime.now(UTC)

    async def one() -> None:
        async with gate:
            await store.add_response(uuid.uuid4(), AGENCY, UNIT, "2000-S1", response, now)

    async def all_inserts() -> None:
        await asyncio.gather(*(one() for _ in range(count)))

    cpu = time.process_time()
    _, seconds = await atimed(all_inserts)
    cpu = time.process_time() - cpu
    return count / seconds, cpu * 1000 / count


_FILL = """
INSERT INTO survey_responses (response_id, agency, unit, period, service, submitted_at,
    u1, u2, u3, u4, u5, u6, u7, u8, u9, age_group, sex, education, occupation)
SELECT gen_random_uuid(), $1, $2, '1999-S1', 'ktp-el', now(),
    1 + (i * 7) % 4, 1 + (i * 11) % 4, 1 + (i * 13) % 4, 1 + (i * 17) % 4, 1 + (i * 19) % 4,
    1 + (i * 23) % 4, 1 + (i * 29) % 4, 1 + (i * 31) % 4, 1 + (i * 37) % 4,
    '30_39', 'perempuan', 'sma', 'swasta'
FROM generate_series(1, $3) AS i
"""


def _answers(count: int) -> Iterator[dict[object, int]]:
    rng = random.Random(11)
    for _ in range(count):
        yield {e: rng.randint(1, 4) for e in ELEMENTS}


async def run(args: argparse.Namespace) -> list[Figure]:
    import tempfile

    log = Path(tempfile.mkdtemp(prefix="kinerja-bench-public-")) / "kinerja.log"
    log_to_file(log)  # one line per request, as in production, but not on the terminal
    figures: list[Figure] = []
    async with scratch_database("kinerja-bench-public-") as dsn:
        pool = await create_pool(dsn, min_size=2, max_size=max(4, args.concurrency))
        try:
            settings = await server_settings(pool)
            store = PublicStore(pool)  # the baseline: the store's write alone (event and row)
            await PublicVoiceService(store).define_unit(
                HR, AGENCY, UNIT, "Disdukcapil", [PublicService(key="ktp-el", name="KTP-el")],
                population=5000)
            # One application, warmed up as a serving process is (its routes are prepared
            # and its templates compiled at the first requests), then measured.
            app = _app(pool)
            await _submissions(app, min(200, args.submissions), args.concurrency)  # warm-up
            baseline, baseline_cpu = await _inserts(store, args.submissions, args.concurrency)
            run = await _submissions(app, args.submissions, args.concurrency,
                                     first_person=100_000)
            ours, ours_cpu = run.rate, run.cpu_seconds * 1000 / run.sent
            figures.append(Figure("public submissions (form + send)", round(ours, 1), "/s",
                                  baseline=round(baseline, 1),
                                  extra={"baseline is": "the store's write alone",
                                         "target": ">= 200/s"}))
            figures.append(Figure("CPU of the serving process per public submission",
                                  round(ours_cpu, 2), "ms", baseline=round(baseline_cpu, 2),
                                  extra={"baseline is": "the store's write alone",
                                         "target": "<= 5 ms (200/s on one core)"}))

            await pool.execute(_FILL, AGENCY, UNIT, args.responses)
            await pool.execute("ANALYZE survey_responses")

            async def ikm() -> object:
                result = compute(await store.tally(AGENCY, UNIT, "1999-S1"), population=5000)
                assert result.respondents == args.responses and result.ikm is not None
                return result

            await ikm()  # warm the cache
            _, seconds = await atimed(ikm)
            _, count_seconds = await atimed(lambda: pool.fetchval(
                "SELECT count(*) FROM survey_responses WHERE agency = $1 AND unit = $2"
                " AND period = '1999-S1'", AGENCY, UNIT))
            figures.append(Figure(f"IKM over {args.responses:,} responses (PostgreSQL)",
                                  round(seconds, 3), "s", baseline=round(count_seconds, 3),
                                  extra={"baseline is": "SELECT count(*) of the rows",
                                         "target": "< 2 s"}))
        finally:
            await pool.close()

    def plain() -> int:
        return sum(sum(a.values()) for a in _answers(args.responses))

    _, plain_seconds = timed(plain)
    _, tally_seconds = timed(lambda: compute(tally(_answers(args.responses))))  # type: ignore[arg-type]
    figures.append(Figure(f"tally() over {args.responses:,} responses (Python)",
                          round(tally_seconds, 3), "s", baseline=round(plain_seconds, 3),
                          extra={"baseline is": "a loop summing the answers",
                                 "target": "< 2 s (the database path is the one used)"}))
    print(f"{describe_postgres(settings)}; {machine()}; {args.submissions} submissions at "
          f"concurrency {args.concurrency}")
    print_figures(figures, extra=["baseline is", "target"])
    return figures


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print the table; ``--json FILE`` also writes the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=2000,
                        help="public submissions (default 2000)")
    parser.add_argument("--concurrency", type=int, default=16,
                        help="submissions in flight (default 16)")
    parser.add_argument("--responses", type=int, default=1_000_000,
                        help="responses the index is computed over (default 1000000)")
    parser.add_argument("--json", type=Path, help="write the figures as JSON to this file")
    args = parser.parse_args(argv)
    write_json(args.json, asyncio.run(run(args)))


if __name__ == "__main__":
    main()
