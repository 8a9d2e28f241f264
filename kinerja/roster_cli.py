"""``kinerja roster import FILE`` and ``kinerja roster show``."""

from __future__ import annotations

import asyncio
import getpass
import hashlib
import re
from pathlib import Path
from typing import Annotated

import asyncpg
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from temporalio.client import Client

from adapters.roster_files import RosterFile, RosterFileError, read_roster_file
from domain.authorization import Actor, Role
from domain.roster import RejectedRow
from domain.text import AGENCY_PATTERN
from kinerja import shell
from kinerja.settings import Settings
from kinerja.worker import connect_temporal
from services.bootstrap import roster_service
from services.errors import Conflict, Invalid
from services.roster import RosterChanges, RosterImportReport, RowsRejected
from store.database import create_pool
from store.migrations import apply_migrations

roster_app = typer.Typer(help="The agency roster: import it from CSV or XLSX, show it.",
                         no_args_is_help=True)
console = Console()

PROGRESS_FROM_BYTES = 256 * 1024
"""Files at least this large show a progress bar while they are read."""

SUMMARY = (
    ("hired", "hired"),
    ("left", "left"),
    ("transferred", "transferred"),
    ("superior_changed", "superior changed"),
    ("position_changed", "position changed"),
    ("details_changed", "details changed"),
    ("units_defined", "units added or changed"),
    ("units_removed", "units removed"),
)
TEMPORAL_WAIT_SECONDS = 3.0


AGENCY = re.compile(AGENCY_PATTERN)


def _agency(value: str) -> str:
    if not AGENCY.match(value):
        raise typer.BadParameter("an agency id has 1-63 lower-case letters, digits or '-', "
                                 "and starts with a letter or digit")
    return value


def mask_nip(nip: str) -> str:
    """A NIP shown partly: the birth year and the last three digits."""
    if len(nip) < 8:
        return "*" * len(nip)
    return nip[:4] + "*" * (len(nip) - 7) + nip[-3:]


def _read(path: Path) -> RosterFile:
    if path.stat().st_size < PROGRESS_FROM_BYTES:
        return read_roster_file(path)
    with Progress(TextColumn("reading {task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=True) as progress:
        task = progress.add_task(path.name, total=None)

        def update(done: int, expected: int) -> None:
            progress.update(task, completed=done, total=max(expected, done))

        return read_roster_file(path, update)


def rejected_table(rejected: list[RejectedRow], total: int, limit: int = 200) -> Table:
    table = Table(title=f"{total} rejected row(s)", title_justify="left")
    table.add_column("line", justify="right")
    table.add_column("NIP")
    table.add_column("field")
    table.add_column("reason", overflow="fold")
    for row in rejected[:limit]:
        table.add_row(str(row.line), mask_nip(row.nip), row.field, row.reason)
    if total > limit:
        table.add_row("...", "", "", f"{total - limit} more")
    return table


def summary_line(changes: RosterChanges) -> str:
    counts = changes.model_dump()
    parts = [f"{counts[field]} {label}" for field, label in SUMMARY
             if counts[field] or field in ("hired", "left", "transferred")]
    return ", ".join(parts)


async def _open_pool(database_url: str, role: str, embedded: bool) -> asyncpg.Pool:
    if embedded:  # our own database: bring it up to date as ``kinerja dev`` does
        await apply_migrations(database_url)
    return await create_pool(database_url, role=role, min_size=1, max_size=2)


async def _temporal_if_up(settings: Settings) -> Client | None:
    """A Temporal client if the configured server answers within a few seconds: an
    import then asks the agency's running cycles to follow it."""
    address = settings.temporal_address or f"127.0.0.1:{settings.temporal_port}"
    try:
        return await asyncio.wait_for(
            connect_temporal(address, settings.temporal_namespace), TEMPORAL_WAIT_SECONDS)
    except (TimeoutError, RuntimeError, OSError):
        return None


@roster_app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True,
                                         help="the roster, .csv or .xlsx")],
    agency: Annotated[str, typer.Option(help="the agency whose whole roster the file is",
                                        callback=_agency)],
    apply_valid: Annotated[bool, typer.Option(
        "--apply-valid", help="apply the valid rows even when some are rejected")] = False,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="check the file and show what would change; apply nothing")] = False,
    actor: Annotated[str | None, typer.Option(
        help="who imports (recorded with the events); default: the login name")] = None,
) -> None:
    """Check a roster file and make it the agency's roster.

    Every row is checked; rejected rows are listed with their line, field and
    reason, and then nothing is applied (exit code 1) unless --apply-valid.
    Employees absent from the file have left. Importing the same file again
    changes nothing.
    """
    settings = shell.settings()
    try:
        read = _read(file)
    except RosterFileError as error:
        console.print(f"[red]cannot read {file.name}:[/red] {error}")
        raise typer.Exit(2) from None
    digest = hashlib.sha256(file.read_bytes()).hexdigest()
    who = actor or f"cli:{getpass.getuser()}"
    operator = Actor(subject=who, roles=frozenset({Role.HR}), agencies=frozenset({agency}))

    async def run() -> tuple[RosterImportReport, bool]:
        shell.Stop()
        async with shell.database_url(settings) as url:
            pool = await _open_pool(url, settings.database_role, settings.database_url is None)
            temporal = await _temporal_if_up(settings)
            service = roster_service(pool, temporal, settings.task_queue)
            try:
                with console.status(f"checking {len(read.rows)} rows"):
                    report = await service.import_read(
                        operator, agency, read, digest, file.name, apply_valid=apply_valid,
                        dry_run=dry_run)
                return report, temporal is not None
            except RowsRejected as rejected:
                return rejected.report, temporal is not None
            finally:
                await pool.close()

    try:
        report, reached_temporal = shell.run(run)
    except (Conflict, Invalid) as error:
        console.print(f"[red]nothing applied:[/red] {error}")
        raise typer.Exit(1) from None
    except (OSError, asyncpg.PostgresError) as error:
        console.print(f"[red]cannot import:[/red] {error}")
        raise typer.Exit(1) from None
    if report.rejected:
        console.print(rejected_table(report.rejected, report.rejected_total))
    console.print(f"{read.format.upper()} {file.name}: {report.rows} rows, {report.accepted} "
                  f"valid, {report.rejected_total} rejected")
    if report.applied:
        changed = summary_line(report.changes) \
            if any(report.changes.model_dump().values()) else ""
        console.print(("applied: " + changed) if changed
                      else "applied: nothing changed (the roster is already this file)")
        if report.cycles_following:
            console.print("running cycles asked to follow: "
                          + ", ".join(report.cycles_following))
        elif not reached_temporal and changed:
            console.print("Temporal is not reachable: running cycles were not asked to "
                          "follow (POST /v1/cycles/{id}/roster asks one later)")
        return
    console.print(("the valid rows would change: " if report.rejected_total else "would change: ")
                  + (summary_line(report.changes) or "nothing"))
    if report.rejected_total and not dry_run:
        console.print("[red]nothing applied[/red]: fix the rows above, or run again with "
                      "--apply-valid to apply the valid rows")
        raise typer.Exit(1)
    console.print("dry run: nothing applied")


@roster_app.command("show")
def show(
    agency: Annotated[str, typer.Option(help="the agency", callback=_agency)],
    unit: Annotated[str | None, typer.Option(help="only this unit")] = None,
) -> None:
    """Print the agency's current roster, its version and digest."""
    settings = shell.settings()

    async def run() -> object:
        shell.Stop()
        async with shell.database_url(settings) as url:
            pool = await _open_pool(url, settings.database_role, settings.database_url is None)
            try:
                operator = Actor(subject=f"cli:{getpass.getuser()}",
                                 roles=frozenset({Role.HR}), agencies=frozenset({agency}))
                return await roster_service(pool, None, settings.task_queue).show(operator,
                                                                                  agency)
            finally:
                await pool.close()

    try:
        snapshot = shell.run(run)
    except (OSError, asyncpg.PostgresError) as error:
        console.print(f"[red]cannot read the roster:[/red] {error}")
        raise typer.Exit(1) from None
    from store.roster import RosterSnapshot

    assert isinstance(snapshot, RosterSnapshot)
    roster = snapshot.roster
    table = Table(title=f"roster of {agency}: version {snapshot.version}, "
                        f"{len(roster.employees)} employees, {len(roster.units)} units",
                  title_justify="left")
    for column in ("key", "NIP", "name", "position", "kind", "unit", "superior", "e-mail"):
        table.add_column(column, overflow="fold")
    for employee in snapshot.employees:
        if unit is not None and employee.unit != unit:
            continue
        kind = employee.kind.value + (f" ({employee.level.value})" if employee.level else "")
        table.add_row(employee.key, employee.nip, employee.name, employee.position, kind,
                      employee.unit, employee.superior or "-", employee.email or "")
    console.print(table)
    units = Table(title="units", title_justify="left")
    for column in ("code", "name", "parent", "leader"):
        units.add_column(column)
    for code in sorted(roster.units):
        u = roster.units[code]
        units.add_row(u.code, u.name, u.parent or "-", u.leader or "-")
    console.print(units)
    console.print(f"digest sha256:{snapshot.digest}")
