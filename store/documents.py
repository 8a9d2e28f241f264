"""What documents need of the database: the seal of one event and the first signed
checkpoint that covers it, an inclusion proof in a given checkpoint, and the roster's
identity of the people they name (domain/documents.py)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import asyncpg

from domain.checkpoint import Checkpoint
from domain.documents import Identity, TrailEvent
from store import tree
from store.event_log import RecordedEvent


async def covering_seal(pool: asyncpg.Pool, stream_id: str, version: int
                        ) -> tuple[int, Checkpoint] | None:
    """The event's position in the tree and the earliest checkpoint covering it; None
    while it is not sealed or no checkpoint covers it yet. Once there, it never changes
    (the log only grows), so a reprint carries the same checkpoint."""
    async with pool.acquire() as connection, connection.transaction(
            isolation="repeatable_read", readonly=True):
        seal = await tree.seal_of(connection, stream_id, version)
        if seal is None:
            return None
        checkpoint = await tree.first_checkpoint_covering(connection, seal.seq)
    return (seal.seq, checkpoint) if checkpoint is not None else None


async def seal_and_proof(pool: asyncpg.Pool, stream_id: str, version: int, tree_size: int
                         ) -> tuple[int | None, list[bytes] | None]:
    """The event's position in the log's tree (None: not sealed) and its inclusion proof
    in the tree of ``tree_size`` leaves (None when the log's tree is not that large or
    the event is outside it)."""
    async with pool.acquire() as connection, connection.transaction(
            isolation="repeatable_read", readonly=True):
        seal = await tree.seal_of(connection, stream_id, version)
        if seal is None:
            return None, None
        if seal.seq >= tree_size or await tree.sealed_size(connection) < tree_size:
            return seal.seq, None
        return seal.seq, await tree.inclusion_proof(connection, seal.seq, tree_size)


_PEOPLE = """
SELECT e.employee_key, e.nip, e.name, e.position, coalesce(u.name, e.unit) AS unit_name
FROM roster_employees e
LEFT JOIN roster_units u ON (u.agency, u.code) = (e.agency, e.unit)
WHERE e.agency = $1 AND e.employee_key = ANY($2::text[])
"""


async def people(pool: asyncpg.Pool, agency: str, keys: Iterable[str]
                 ) -> dict[str, Identity]:
    """The roster's current identity of each of ``keys`` in ``agency`` (those it has)."""
    rows = await pool.fetch(_PEOPLE, agency, sorted(set(keys)))
    return {r["employee_key"]: Identity(name=r["name"], nip=r["nip"], position=r["position"],
                                        unit=r["unit_name"]) for r in rows}


async def unit_names(pool: asyncpg.Pool, agency: str) -> dict[str, str]:
    """The roster's current name of each unit of ``agency`` (code to name)."""
    rows = await pool.fetch("SELECT code, name FROM roster_units WHERE agency = $1", agency)
    return {r["code"]: r["name"] for r in rows}


def trail_of(events: Sequence[RecordedEvent]) -> list[TrailEvent]:
    """A stream's stored events as the documents' rules read them."""
    return [TrailEvent(version=e.version, type=e.type, data=e.data, recorded_at=e.recorded_at,
                       hash=e.hash, prev_hash=e.prev_hash, canonical=e.canonical)
            for e in events]


def party_keys(events: Iterable[RecordedEvent]) -> set[str]:
    """Everyone an appraisal's events name as a party (at the opening or a reassignment):
    whose identities its documents print."""
    keys: set[str] = set()
    for event in events:
        for holder in (event.data.get("parties") or {}, event.data):
            if isinstance(holder, dict):
                keys.update(str(holder[k]) for k in ("employee", "appraiser", "superior")
                            if isinstance(holder.get(k), str))
    return keys
