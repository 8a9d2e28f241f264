"""``kinerja roster import FILE`` and ``kinerja roster show``."""

from __future__ import annotations

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

from domain.roster import RejectedRow, RosterCheck, RosterEvent
from kinerja.roster_files import RosterFile, RosterFileError, read_roster_file
from store.database import create_pool
from store.migrations import apply_migrations
from store.roster import PartialApplyRefused, RosterConflict, RosterStore

roster_app = typer.Typer(help="The agency roster: import it from CSV or XLSX, show it.",
                         no_args_is_help=True)
console = Console()

PROGRESS_FROM_BYTES = 256 * 1024
"""Files at least this large show a progress bar while they are read."""

SUMMARY = (
    ("employee_hired", "hired"),
    ("employee_left", "left"),
    ("employee_transferred", "transferred"),
    ("superior_changed", "superior changed"),
    ("position_changed", "position changed"),
    ("details_changed", "details changed"),
    ("unit_defined", "units added or changed"),
    ("unit_removed", "units removed"),
)


AGENCY_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def _agency(value: str) -> str:
    if not AGENCY_PATTERN.match(value):
        raise typer.BadParameter("an agency id has 1-64 letters, digits, '.', '_' or '-'")
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


def rejected_table(rejected: tuple[RejectedRow, ...], limit: int = 200) -> Table:
    table = Table(title=f"{len(rejected)} rejected row(s)", title_justify="left")
    table.add_column("line", justify="right")
    table.add_column("NIP")
    table.add_column("field")
    table.add_column("reason", overflow="fold")
    for row in rejected[:limit]:
        table.add_row(str(row.line), mask_nip(row.nip), row.field, row.reason)
    if len(rejected) > limit:
        table.add_row("...", "", "", f"{len(rejected) - limit} more")
    return table


def summary_line(events: list[RosterEvent]) -> str:
    counts: dict[str, int] = {}
    for event in events:
        counts[event.type] = counts.get(event.type, 0) + 1
    parts = [f"{counts.get(kind, 0)} {label}" for kind, label in SUMMARY
             if counts.get(kind, 0) or kind in ("employee_hired", "employee_left",
                                                "employee_transferred")]
    return ", ".join(parts)


async def _open_store(database_url: str, role: str, embedded: bool
                      ) -> tuple[asyncpg.Pool, RosterStore]:
    if embedded:  # our own database: bring it up to date as ``kinerja dev`` does
        await apply_migrations(database_url)
    pool = await create_pool(database_url, role=role, min_size=1, max_size=2)
    return pool, RosterStore(pool)


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
    from kinerja import cli as shell

    settings = shell._settings()
    try:
        read = _read(file)
    except RosterFileError as error:
        console.print(f"[red]cannot read {file.name}:[/red] {error}")
        raise typer.Exit(2) from None
    digest = hashlib.sha256(file.read_bytes()).hexdigest()
    who = actor or f"cli:{getpass.getuser()}"

    async def run() -> tuple[RosterCheck, list[RosterEvent], bool]:
        shell._Stop()
        async with shell._database_url(settings) as url:
            pool, store = await _open_store(url, settings.database_role,
                                            settings.database_url is None)
            try:
                with console.status(f"checking {len(read.rows)} rows"):
                    check = await store.check(agency, read.rows)
                partial = apply_valid and not check.clean
                if dry_run or (check.rejected and not apply_valid):
                    # With rejected rows, what applying the valid ones would change (their
                    # employees are kept, not counted as gone).
                    return check, await store.preview(agency, check,
                                                      partial=not check.clean), False
                with console.status("applying"):
                    applied = await store.apply(
                        agency, check, who, partial=partial,
                        metadata={"source": file.name, "file_sha256": digest})
                return check, applied.events, True
            finally:
                await pool.close()

    try:
        check, events, applied = shell._run(run)
    except (RosterConflict, PartialApplyRefused) as error:
        console.print(f"[red]nothing applied:[/red] {error}")
        raise typer.Exit(1) from None
    except (OSError, asyncpg.PostgresError) as error:
        console.print(f"[red]cannot import:[/red] {error}")
        raise typer.Exit(1) from None
    if check.rejected:
        console.print(rejected_table(check.rejected))
    accepted = len(check.roster.employees)
    console.print(f"{read.format.upper()} {file.name}: {check.rows} rows, {accepted} valid, "
                  f"{len(check.rejected)} rejected")
    if applied:
        console.print(("applied: " + summary_line(events)) if events
                      else "applied: nothing changed (the roster is already this file)")
        return
    console.print(("the valid rows would change: " if check.rejected else "would change: ")
                  + (summary_line(events) or "nothing"))
    if check.rejected and not dry_run:
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
    from kinerja import cli as shell

    settings = shell._settings()

    async def run() -> object:
        shell._Stop()
        async with shell._database_url(settings) as url:
            pool, store = await _open_store(url, settings.database_role,
                                            settings.database_url is None)
            try:
                return await store.snapshot(agency)
            finally:
                await pool.close()

    try:
        snapshot = shell._run(run)
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
