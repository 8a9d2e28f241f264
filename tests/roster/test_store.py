"""store.roster on a real PostgreSQL: apply, idempotence, events, read model, snapshot."""

from __future__ import annotations

from dataclasses import replace

import asyncpg
import pytest

from domain.authorization import Actor, Role
from domain.roster import validate_roster
from store.event_log import EventLog
from store.roster import (
    RosterConflict,
    RosterNotClean,
    RosterStore,
    roster_digest,
    roster_stream,
)

from .builders import nip, row, small_org

HR = Actor(subject="e-hr01", roles=frozenset({Role.HR}), agencies=frozenset({"pemkot"}))


@pytest.fixture
def store(app_pool: asyncpg.Pool, event_log: EventLog) -> RosterStore:
    return RosterStore(app_pool, event_log)


async def test_first_import_hires_everyone_and_a_second_appends_nothing(
        store: RosterStore, event_log: EventLog) -> None:
    check = await store.check("pemkot", small_org())
    applied = await store.apply("pemkot", check, HR)
    assert applied.counts() == {"unit_defined": 2, "employee_hired": 4}
    assert applied.version == 6
    stored = await event_log.read_stream(roster_stream("pemkot"))
    assert [e.type for e in stored][:2] == ["unit_defined", "unit_defined"]
    assert stored[0].metadata == {"actor": "e-hr01", "actor_agency": None, "roles": ["hr"]}
    current = await store.current("pemkot")
    assert current == check.roster
    again = await store.apply("pemkot", await store.check("pemkot", small_org()), HR)
    assert again.events == [] and again.version == 6
    assert await event_log.stream_version(roster_stream("pemkot")) == 6
    snapshot = await store.snapshot("pemkot")
    assert snapshot.digest == roster_digest(check.roster) == applied.digest
    assert [e.key for e in snapshot.employees] == ["e-0001", "e-0002", "e-0003", "e-0004"]
    assert await store.replay("pemkot") == current
    assert (await event_log.verify_stream(roster_stream("pemkot"))).ok


async def test_a_second_import_records_transfer_superior_change_and_leaving(
        store: RosterStore) -> None:
    await store.apply("pemkot", await store.check("pemkot", small_org()), HR)
    rows = small_org()[:3]  # the staff member (e-0004) leaves
    rows[2] = replace(rows[2], unit_code="u1", unit_name="Dinas", parent_unit="",
                      superior_nip=nip(1))
    rows.append(row(9, 80, unit_code="u2", unit_name="Bidang", parent_unit="u1",
                    superior_nip=nip(2)))
    frozen = await store.snapshot("pemkot")
    applied = await store.apply("pemkot", await store.check("pemkot", rows), HR)
    since = await store.changes_since("pemkot", frozen.version)
    assert [(v, e) for v, e in since] == list(enumerate(applied.events, frozen.version + 1))
    assert [(e.type, getattr(e, "key", None)) for e in applied.events] == [
        ("employee_transferred", "e-0003"), ("superior_changed", "e-0003"),
        ("employee_hired", None), ("employee_left", "e-0004")]
    hired = applied.events[2]
    assert hired.employee.key == "e-0005"  # type: ignore[union-attr]
    current = await store.current("pemkot")
    assert sorted(current.employees) == ["e-0001", "e-0002", "e-0003", "e-0005"]
    assert current.employees["e-0003"].unit == "u1"
    assert await store.replay("pemkot") == current
    # The one who left comes back: same NIP, same key.
    back = [*small_org(), rows[-1]]
    again = await store.apply("pemkot", await store.check("pemkot", back), HR)
    assert ("employee_hired", "e-0004") in [
        (e.type, e.employee.key) for e in again.events if e.type == "employee_hired"]


async def test_rejected_rows_apply_nothing_unless_asked(store: RosterStore,
                                                        event_log: EventLog) -> None:
    rows = [*small_org(), row(6, 90, email="nope", unit_code="u2", unit_name="Bidang",
                              parent_unit="u1", superior_nip=nip(2))]
    check = await store.check("pemkot", rows)
    with pytest.raises(RosterNotClean):
        await store.apply("pemkot", check, HR)
    assert await event_log.stream_version(roster_stream("pemkot")) == 0
    applied = await store.apply("pemkot", check, HR, partial=True)
    assert applied.counts()["employee_hired"] == 4
    # Later the same file, still with its bad row: the valid rows change nothing.
    assert (await store.apply("pemkot", await store.check("pemkot", rows), HR,
                              partial=True)).events == []


async def test_a_check_made_before_another_import_gave_out_keys_is_refused(
        store: RosterStore) -> None:
    stale = await store.check("pemkot", [small_org()[0]])
    other = [row(2, 200, name="Other head", position_kind="JPT", unit_code="u1",
                 unit_name="Dinas")]
    await store.apply("pemkot", await store.check("pemkot", other), HR)
    with pytest.raises(RosterConflict):
        await store.apply("pemkot", stale, HR)


async def test_agencies_are_apart(store: RosterStore) -> None:
    await store.apply("a", await store.check("a", small_org()), HR)
    assert (await store.current("b")).employees == {}
    check_b = await store.check("b", small_org()[:1])
    assert list(check_b.roster.employees) == ["e-0001"]
    assert validate_roster(small_org()).roster == await store.current("a")


async def test_two_imports_of_the_same_file_at_once_append_it_once(
        store: RosterStore, event_log: EventLog) -> None:
    import asyncio

    check = await store.check("pemkot", small_org())
    first, second = await asyncio.gather(store.apply("pemkot", check, HR),
                                         store.apply("pemkot", check, HR))
    assert sorted([len(first.events), len(second.events)]) == [0, 6]
    assert await event_log.stream_version(roster_stream("pemkot")) == 6
    assert await store.replay("pemkot") == await store.current("pemkot")
