"""The ``kinerja`` command."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import asyncpg
import structlog
import typer
import uvicorn
from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from api.app import Services, create_app
from api.auth import TokenVerifier, mint_token
from kinerja.audit import audit_settings
from kinerja.devstack import (
    DevStack,
    bind_port,
    dev_stack,
    wait_for_temporal,
)
from kinerja.observability import configure_observability, serving_metrics
from kinerja.reminders import reminder_options
from kinerja.roster_cli import roster_app
from kinerja.schedules import ensure_next_cycle_schedules
from kinerja.serving import edge_limits, uvicorn_config
from kinerja.settings import Settings, get_settings
from kinerja.shell import Stop as _Stop
from kinerja.shell import database_url as _database_url
from kinerja.shell import run as _run
from kinerja.shell import settings as _settings
from kinerja.worker import COMPLAINT_SWEEP_SECONDS, data_converter, running_worker
from services.bootstrap import bootstrap
from store.database import create_pool
from store.migrations import MigrationError, apply_migrations, migration_names

app = typer.Typer(help="Kinerja: performance appraisal of ASN as durable, audited workflows.",
                  no_args_is_help=True, add_completion=False)
console = Console(stderr=False)
log = structlog.get_logger("kinerja.cli")
app.add_typer(roster_app, name="roster")





def _serving_settings(*, uses_tokens: bool = True) -> Settings:
    """The settings of a serving command (api, worker, sealer): outside development mode,
    refused (exit 1, each problem with its setting) when they hold development secrets."""
    settings = _settings()
    problems = settings.production_problems(uses_tokens=uses_tokens)
    if problems:
        console.print(f"[red]refusing to start in KINERJA_MODE={settings.mode}:[/red]",
                      soft_wrap=True)
        for problem in problems:
            console.print(f"  - {problem}", soft_wrap=True)
        console.print("(KINERJA_MODE=development allows them, on your own machine only)",
                      soft_wrap=True)
        raise typer.Exit(1)
    return settings


@app.command()
def migrate() -> None:
    """Apply the SQL migrations that are new to the database, and name them.

    The database: KINERJA_DATABASE_URL, or else the embedded PostgreSQL in
    KINERJA_DATA_DIR, started for the duration of the command.
    """
    settings = _settings()

    async def run() -> list[str]:
        _Stop()
        async with _database_url(settings) as url:
            return await apply_migrations(url)

    try:
        applied = _run(run)
    except (MigrationError, OSError, asyncpg.PostgresError) as error:
        console.print(f"[red]cannot migrate:[/red] {error}")
        raise typer.Exit(1) from None
    if applied:
        console.print(f"applied {len(applied)} migration(s): " + ", ".join(applied))
    else:
        console.print(f"all {len(migration_names())} migrations are already applied")


@app.command()
def token(
    subject: Annotated[str, typer.Option(help="the employee key (never a NIP)")],
    role: Annotated[list[str] | None, typer.Option(
        help="employee, hr or inspector; repeatable (default: employee)")] = None,
    agency: Annotated[str | None, typer.Option(help="the person's own agency")] = None,
    unit: Annotated[str | None, typer.Option(help="the person's own unit")] = None,
    scope: Annotated[list[str] | None, typer.Option(
        help="agencies an HR manager or inspector works on; * for all; repeatable")] = None,
    days: Annotated[int, typer.Option(help="validity in days")] = 1,
) -> None:
    """Mint a development token (HS256 with KINERJA_JWT_SECRET)."""
    settings = get_settings()
    try:
        minted = mint_token(settings.token_settings(), subject=subject,
                            roles=role or ["employee"], agency=agency, unit=unit,
                            agencies=scope or [], ttl_seconds=days * 86400)
    except ValueError as error:
        console.print(f"[red]cannot mint:[/red] {error}")
        raise typer.Exit(1) from None
    print(minted)


async def _services(settings: Settings, database_url: str, temporal_address: str) -> Services:
    pool = await create_pool(database_url, role=settings.database_role)
    client = await wait_for_temporal(temporal_address, settings.temporal_namespace, 60.0)
    return Services(pool=pool, temporal=client,
                    token_verifier=TokenVerifier(settings.token_settings()),
                    task_queue=settings.task_queue, audit=audit_settings(settings),
                    limits=edge_limits(settings), web=settings.web_settings(),
                    metrics_refresh_seconds=settings.metrics_refresh_seconds,
                    document_zip_dir=settings.document_zip_path,
                    payload_codec=data_converter(settings).payload_codec,
                    codec_origins=frozenset(
                        o.strip() for o in settings.codec_cors_origins.split(",") if o.strip()))


def _temporal_address(settings: Settings) -> str:
    return settings.temporal_address or f"127.0.0.1:{settings.temporal_port}"


@app.command()
def worker() -> None:
    """Run the Temporal worker (workflows and activities) until Ctrl-C."""
    settings = _serving_settings()
    configure_observability("worker", settings)

    async def run() -> None:
        stop = _Stop()
        async with _database_url(settings) as url:
            services = await _services(settings, url, _temporal_address(settings))
            try:
                stopped = asyncio.Event()
                async with running_worker(services.temporal, services.pool,
                                          task_queue=settings.task_queue,
                                          complaint_sweep_seconds=COMPLAINT_SWEEP_SECONDS,
                                          **reminder_options(settings)), serving_metrics(
                        "worker", settings, pool=services.pool, temporal=services.temporal):
                    for made in await ensure_next_cycle_schedules(services.temporal, settings):
                        console.print(f"schedule {made}: next year's cycle on "
                                      f"{settings.next_cycle_on}")
                    stop.when_up(stopped.set)
                    console.print(f"worker on task queue {settings.task_queue}; "
                                  "Ctrl-C stops it")
                    await stopped.wait()
            finally:
                await services.pool.close()

    _run(run)


def _api_socket(settings: Settings) -> socket.socket:
    """The API's socket, bound before anything starts: a taken port is refused at once."""
    return bind_port(settings.api_host, settings.api_port, "KINERJA_API_PORT",
                     host_setting="KINERJA_API_HOST")


def _serve(services: Services, settings: Settings) -> uvicorn.Server:
    server = uvicorn.Server(uvicorn_config(create_app(services), settings))
    # Ctrl-C and SIGTERM end the whole command through _Stop, so that every ``finally``
    # runs and what was started is stopped; uvicorn must not re-raise them.
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
    return server


@app.command()
def api() -> None:
    """Serve the HTTP API until Ctrl-C."""
    settings = _serving_settings()
    configure_observability("api", settings)

    async def run() -> None:
        stop = _Stop()
        with _api_socket(settings) as sock:
            async with _database_url(settings) as url:
                services = await _services(settings, url, _temporal_address(settings))
                try:
                    server = _serve(services, settings)
                    stop.when_up(lambda: setattr(server, "should_exit", True))
                    log.info("API listening",
                             url=f"http://{settings.api_host}:{settings.api_port}")
                    await server.serve(sockets=[sock])
                finally:
                    await services.pool.close()

    _run(run)


@app.command()
def dev() -> None:
    """Start everything on this machine and keep it running until Ctrl-C.

    PostgreSQL (embedded, data in KINERJA_DATA_DIR) unless KINERJA_DATABASE_URL
    is set; the Temporal development server unless KINERJA_TEMPORAL_ADDRESS is
    set; migrations; the worker; the API; a small demo organisation with one
    open appraisal. Prints where everything is. Ctrl-C (or SIGTERM) stops what
    it started and nothing else. Runs in development mode (KINERJA_MODE=development):
    the development token secret and checkpoint key are accepted.
    """
    os.environ["KINERJA_MODE"] = "development"  # for everything reading get_settings()
    get_settings.cache_clear()
    settings = _settings()
    configure_observability("dev", settings)

    async def run() -> None:
        from kinerja.demo import demo_tokens, seed_demo

        stop = _Stop()
        with _api_socket(settings) as sock:
            async with dev_stack(settings) as stack:
                services = await _services(settings, stack.database_url,
                                           stack.temporal_address)
                try:
                    async with running_worker(services.temporal, services.pool,
                                              task_queue=settings.task_queue,
                                              complaint_sweep_seconds=COMPLAINT_SWEEP_SECONDS,
                                              **reminder_options(settings)):
                        await ensure_next_cycle_schedules(services.temporal, settings)
                        server = _serve(services, settings)
                        serving = asyncio.create_task(server.serve(sockets=[sock]))
                        while not server.started and not serving.done():  # noqa: ASYNC110
                            await asyncio.sleep(0.05)  # uvicorn offers no event for "started"
                        if serving.done():
                            await serving  # raises why it could not start
                            return
                        stop.when_up(lambda: setattr(server, "should_exit", True))
                        appraisal = await seed_demo(
                            bootstrap(services.pool, services.temporal,
                                      settings.task_queue).appraisals,
                            services.pool)
                        _print_where(settings, stack, appraisal,
                                     demo_tokens(settings.token_settings()))
                        await serving
                finally:
                    await services.pool.close()

    _run(run)
    console.print("stopped: what kinerja dev started is shut down")


def _print_where(settings: Settings, stack: DevStack, appraisal: str,
                 tokens: dict[str, str]) -> None:
    api_url = f"http://{settings.api_host}:{settings.api_port}"
    where = Table.grid(padding=(0, 2))
    where.add_column(no_wrap=True)
    where.add_column(overflow="fold")  # a DSN or path must stay whole to be copied
    where.add_row("Web", f"{api_url}/")
    where.add_row("Demo sign-in", f"{api_url}/masuk/dev")
    where.add_row("Public survey", f"{api_url}/publik/survei/pemkot-demo/diskominfo "
                                   "(results: /survei/pemkot-demo/diskominfo/hasil)")
    where.add_row("API docs", f"{api_url}/docs")
    where.add_row("OpenAPI", f"{api_url}/openapi.json")
    where.add_row("Temporal UI", stack.temporal_ui_url or "(your Temporal's own UI)")
    where.add_row("Temporal", stack.temporal_address)
    where.add_row("PostgreSQL", stack.database_url)
    where.add_row("Data", str(stack.data_dir))
    where.add_row("Demo appraisal", appraisal)
    where.add_row("Demo agency", "pemkot-demo: roster of deploy/demo-roster.csv imported; "
                                 "create and start its cycle as the README shows")
    console.print(Panel(where, title="Kinerja is running", subtitle="Ctrl-C stops it"))
    console.print("Demo tokens (valid 30 days; paste into Authorize on the API docs page):")
    for role, value in tokens.items():
        console.print(f"  [bold]{role:<9}[/bold] {value}", soft_wrap=True)
    console.print(
        f"\nTry: curl -H 'Authorization: Bearer <employee token>' {api_url}/v1/me/appraisals\n"
        "The README walks the demo employee from targets to a final predikat.")


@app.command()
def sealer() -> None:
    """Run the sealer alone until Ctrl-C: global sequence, Merkle tree, signed checkpoints.

    One runs at a time (a second waits); safe to stop and restart at any point.
    """
    from kinerja.audit import make_sealer, signing_key

    settings = _serving_settings(uses_tokens=False)
    configure_observability("sealer", settings)

    async def run() -> None:
        _Stop()
        key = signing_key(settings)
        if key is None:
            console.print(f"[red]cannot seal:[/red] no signing key at "
                          f"{settings.signing_key_path}; set KINERJA_SIGNING_KEY_FILE")
            raise typer.Exit(1)
        async with _database_url(settings) as url, serving_metrics("sealer", settings,
                                                                    database_url=url):
            console.print("sealer running; Ctrl-C stops it")
            await make_sealer(settings, url, key).run()

    _run(run)


LISTED_APPRAISALS = 20
"""``kinerja verify`` lists replayed appraisals one per line up to this many; beyond, it
counts them by phase and predikat (unless ``--list``)."""


@app.command()
def verify(
    bundle: Annotated[Path, typer.Argument(help="an export bundle (JSON lines)",
                                           exists=True, dir_okay=False)],
    against: Annotated[Path | None, typer.Option(
        help="an earlier bundle of the same scope: show what changed since",
        exists=True, dir_okay=False)] = None,
    public_key: Annotated[Path | None, typer.Option(
        help="PEM public key the checkpoints must be signed with (else the bundle's own)",
        exists=True, dir_okay=False)] = None,
    replay: Annotated[bool, typer.Option(help="replay every appraisal to its state")] = True,
    list_appraisals: Annotated[bool, typer.Option(
        "--list", help=f"one line per replayed appraisal even beyond {LISTED_APPRAISALS}")
    ] = False,
) -> None:
    """Verify an export bundle offline: no database, no network. Exits 1 naming the
    first failure (stream, version, sequence)."""
    from kinerja.audit import verify_bundle_file

    try:
        report, failure = verify_bundle_file(bundle, against=against,
                                             public_key_file=public_key, replay=replay)
    except (OSError, ValueError) as error:
        console.print(f"[red]cannot verify:[/red] {error}")
        raise typer.Exit(2) from None
    anchor = report.anchor
    console.print(f"{report.events} events in {report.streams} streams, {report.sealed} sealed;"
                  f" {len(report.checkpoints)} checkpoints (key {report.key_id}"
                  + (", pinned" if public_key else ", the bundle's own") + ")"
                  + (f"; anchor: size {anchor.tree_size}, root {anchor.root.hex()}"
                     if anchor else ""), soft_wrap=True)
    states = report.final_states
    if list_appraisals or len(states) <= LISTED_APPRAISALS:
        for stream_id, state in states.items():
            console.print(f"  {stream_id}: version {state.version}, phase {state.phase}"
                          + (f", predikat {state.predikat}" if state.predikat else ""),
                          soft_wrap=True)
    else:
        phases = Counter(state.phase for state in states.values())
        predikats = Counter(state.predikat for state in states.values() if state.predikat)
        console.print(f"  {len(states):,} appraisals replayed; by phase: "
                      + ", ".join(f"{phase} {n:,}" for phase, n in sorted(phases.items()))
                      + ("; by predikat: " + ", ".join(
                          f"{predikat} {n:,}" for predikat, n in sorted(predikats.items()))
                         if predikats else "")
                      + " (--list: one line each)", soft_wrap=True)
    if failure is not None:
        console.print(f"[red]FAILED:[/red] {failure}", soft_wrap=True)
        raise typer.Exit(1)
    console.print("[green]OK[/green]: chains, leaves, proofs, signatures, consistency"
                  + (" and replays" if replay else "") + " verified"
                  + (f"; nothing of {against.name} has changed" if against else ""))


if __name__ == "__main__":  # pragma: no cover
    app()


cycle_app = typer.Typer(help="An agency's yearly cycle.", no_args_is_help=True)
app.add_typer(cycle_app, name="cycle")


@cycle_app.command("status")
def cycle_status(
    cycle_id: Annotated[str, typer.Argument(help="<agency>-<year>, e.g. pemkot-demo-2026")],
    unit: Annotated[str | None, typer.Option(help="only this unit")] = None,
    as_csv: Annotated[bool, typer.Option("--csv", help="print CSV instead of a table")] = False,
) -> None:
    """A cycle's progress from the read models: per unit, appraisals in each phase,
    overdue ones per deadline, and the predikat so far (the figures of
    ``GET /v1/cycles/{id}/progress``)."""
    from datetime import UTC, datetime

    from store.cycles import CycleStore

    settings = _settings()

    async def run() -> tuple[Any, Any]:
        async with _database_url(settings) as url:
            pool = await create_pool(url, role=settings.database_role)
            try:
                store = CycleStore(pool)
                return (await store.state(cycle_id),
                        await store.progress(cycle_id, datetime.now(UTC), unit=unit,
                                             overdue_limit=0))
            finally:
                await pool.close()

    try:
        state, progress = _run(run)
    except (OSError, asyncpg.PostgresError) as error:
        console.print(f"[red]cannot read the cycle:[/red] {error}")
        raise typer.Exit(1) from None
    if state is None:
        console.print(f"[red]no cycle {cycle_id}[/red]")
        raise typer.Exit(1)
    rows = progress.table()
    if as_csv:
        import csv
        import sys

        from domain.spreadsheet import row as spreadsheet_row

        # Unit codes are text a spreadsheet must not run as a formula (domain.spreadsheet).
        csv.writer(sys.stdout).writerows(spreadsheet_row(r) for r in rows)
        return
    header, body = [str(c) for c in rows[0]], rows[1:]
    shown = [i for i, name in enumerate(header)
             if i < 2 or any(row[i] != 0 for row in body)]  # leave out empty columns
    table = Table(title=f"cycle {cycle_id}: {state.status.value}, {state.members} members, "
                        f"{progress.total} appraisals open or ended")
    for i in shown:
        table.add_column(header[i].replace("_", " "), justify="left" if i == 0 else "right")
    for row in body:
        table.add_row(*(str(row[i]) for i in shown))
    console.print(table)
    if state.pending:
        for item in state.pending:
            console.print(f"under way: {item.work.kind.replace('_', ' ')}, "
                          f"{item.offset} done so far")


@app.command("verify-document")
def verify_document(
    file: Annotated[Path | None, typer.Argument(
        help="the PDF to check (its code is read from its metadata)")] = None,
    code: Annotated[str | None, typer.Option(
        help="the code printed on the paper, instead of a file")] = None,
    public_key: Annotated[Path | None, typer.Option(
        help="PEM public key the checkpoints must be signed with (else the configured "
             "signing key's)")] = None,
) -> None:
    """Check a Kinerja document against the log: match (exit 0), superseded by a later
    event (exit 3), or tampered, naming why (exit 1). Reads the database directly
    (KINERJA_DATABASE_URL or the embedded one): no API, no network."""
    from domain.checkpoint import load_public_key, public_key_bytes
    from kinerja.audit import public_key as configured_public_key
    from services.documents import DocumentService
    from services.errors import Invalid
    from store.appraisals import AppraisalReadModel
    from store.event_log import EventLog

    if (file is None) == (code is None):
        console.print("[red]give a PDF file or --code, one of them[/red]")
        raise typer.Exit(2)
    settings = _settings()
    try:
        key = (public_key_bytes(load_public_key(public_key.read_bytes())) if public_key
               else configured_public_key(settings))
        pdf = file.read_bytes() if file is not None else None
    except (OSError, ValueError) as error:
        console.print(f"[red]cannot read:[/red] {error}")
        raise typer.Exit(1) from None

    async def run() -> Any:
        async with _database_url(settings) as url:
            pool = await create_pool(url, role=settings.database_role)
            try:
                event_log = EventLog(pool)
                service = DocumentService(pool, AppraisalReadModel(pool), event_log,
                                          public_key=key)
                return await (service.check_pdf(pdf) if pdf is not None
                              else service.check_code(code or ""))
            finally:
                await pool.close()

    try:
        check = _run(run)
    except Invalid as invalid:
        console.print(f"[red]not a document:[/red] {invalid.detail}")
        raise typer.Exit(1) from None
    except (OSError, asyncpg.PostgresError) as error:
        console.print(f"[red]cannot read the log:[/red] {error}")
        raise typer.Exit(1) from None
    verdict = check.verdict
    colour = {"match": "green", "superseded": "yellow", "tampered": "red"}[verdict.status]
    console.print(f"[{colour}]{verdict.status}[/{colour}]: {check.code.kind.value} of "
                  f"{check.code.appraisal_id} at event {check.code.version}")
    for reason in verdict.reasons:
        console.print(f"  {reason}")
    if key is None and check.code.seal is not None:
        console.print("  (no public key: the checkpoint's signature was not checked)")
    raise typer.Exit({"match": 0, "superseded": 3, "tampered": 1}[verdict.status])
