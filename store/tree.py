"""Reads of the sealed Merkle tree: roots, proofs, seals and checkpoints.

The tree is stored as its leaves (``seals.leaf_hash``) and every complete
perfect subtree of level >= 1 (``merkle_nodes``); see
``store/migrations/0020_seal.sql``. A root or a proof element is the hash of
a leaf range that splits into at most O(log n) such subtrees
(:func:`domain.merkle.perfect_subtrees`), so every proof is one query for
O(log² n) stored hashes at worst, folded in Python.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import asyncpg

from domain.checkpoint import Checkpoint
from domain.merkle import (
    EMPTY_ROOT,
    consistency_proof_ranges,
    fold_perfect_subtrees,
    inclusion_proof_ranges,
    perfect_subtrees,
)

_NODES = """
SELECT 0::smallint AS level, s.seq AS idx, s.leaf_hash AS hash
FROM seals s WHERE s.seq = ANY($1::bigint[])
UNION ALL
SELECT n.level, n.idx, n.hash
FROM merkle_nodes n
JOIN unnest($2::smallint[], $3::bigint[]) AS w(level, idx) ON (n.level, n.idx) = (w.level, w.idx)
"""

_CHECKPOINT_COLUMNS = "tree_size, root, signed_at, key_id, signature"


class TreeError(LookupError):
    """A proof or root was asked for outside the sealed tree."""


@dataclass(frozen=True)
class Seal:
    """Where one event sits in the global sequence."""

    seq: int
    stream_id: str
    version: int
    leaf_hash: bytes


def checkpoint_from_row(row: asyncpg.Record) -> Checkpoint:
    return Checkpoint(tree_size=row["tree_size"], root=row["root"], signed_at=row["signed_at"],
                      key_id=row["key_id"], signature=row["signature"])


async def fetch_nodes(connection: asyncpg.Connection, wanted: Iterable[tuple[int, int]]
                      ) -> dict[tuple[int, int], bytes]:
    """The stored hashes of the perfect subtrees ``(level, index)`` (level 0: leaves)."""
    leaves: list[int] = []
    levels: list[int] = []
    indexes: list[int] = []
    for level, index in set(wanted):
        if level == 0:
            leaves.append(index)
        else:
            levels.append(level)
            indexes.append(index)
    if not leaves and not levels:
        return {}
    rows = await connection.fetch(_NODES, leaves, levels, indexes)
    return {(row["level"], row["idx"]): row["hash"] for row in rows}


def fold_ranges(ranges: Sequence[tuple[int, int]], nodes: dict[tuple[int, int], bytes]
                ) -> list[bytes]:
    """The hash of each leaf range from already fetched perfect subtree nodes."""
    hashes = []
    for begin, end in ranges:
        try:
            hashes.append(fold_perfect_subtrees([nodes[n] for n in perfect_subtrees(begin, end)]))
        except KeyError as missing:
            raise TreeError(f"the tree has no node {missing.args[0]} (not sealed yet?)") from None
    return hashes


async def range_hashes(connection: asyncpg.Connection, ranges: Sequence[tuple[int, int]]
                       ) -> list[bytes]:
    """The Merkle Tree Hash of each leaf range (each aligned as proof ranges are)."""
    nodes = await fetch_nodes(connection, (n for b, e in ranges for n in perfect_subtrees(b, e)))
    return fold_ranges(ranges, nodes)


async def sealed_size(connection: asyncpg.Connection) -> int:
    """The number of sealed events (the largest tree the stored nodes cover)."""
    return int(await connection.fetchval("SELECT coalesce(max(seq) + 1, 0) FROM seals"))


async def tree_root(connection: asyncpg.Connection, size: int) -> bytes:
    """The root of the tree of the first ``size`` sealed events, from stored nodes."""
    if size == 0:
        return EMPTY_ROOT
    return (await range_hashes(connection, [(0, size)]))[0]


async def inclusion_proof(connection: asyncpg.Connection, seq: int, tree_size: int
                          ) -> list[bytes]:
    """RFC 9162 inclusion proof of leaf ``seq`` in the tree of ``tree_size`` leaves."""
    try:
        ranges = inclusion_proof_ranges(seq, tree_size)
    except ValueError as error:
        raise TreeError(str(error)) from None
    return await range_hashes(connection, ranges)


async def inclusion_proofs(connection: asyncpg.Connection, seqs: Sequence[int], tree_size: int,
                           *, lengths: Sequence[int] | None = None) -> list[list[bytes]]:
    """Inclusion proofs of many leaves in one tree, with one query for all their nodes.

    ``lengths``: for each leaf, how many elements of its proof, from the
    bottom, to give (the trimmed proofs of a bundle, domain.bundle.ProofTrimmer).
    """
    per_leaf = [inclusion_proof_ranges(seq, tree_size) for seq in seqs]
    if lengths is not None:
        per_leaf = [ranges[:length] for ranges, length in zip(per_leaf, lengths, strict=True)]
    nodes = await fetch_nodes(connection, (
        n for ranges in per_leaf for b, e in ranges for n in perfect_subtrees(b, e)))
    return [fold_ranges(ranges, nodes) for ranges in per_leaf]


async def consistency_proof(connection: asyncpg.Connection, old_size: int, new_size: int
                            ) -> list[bytes]:
    """RFC 9162 consistency proof of the tree of ``old_size`` in that of ``new_size``."""
    try:
        ranges = consistency_proof_ranges(old_size, new_size)
    except ValueError as error:
        raise TreeError(str(error)) from None
    return await range_hashes(connection, ranges)


async def seal_of(connection: asyncpg.Connection, stream_id: str, version: int
                  ) -> Seal | None:
    """The seal of the event at ``version`` of ``stream_id``, None if not sealed yet."""
    row = await connection.fetchrow(
        "SELECT seq, stream_id, version, leaf_hash FROM seals"
        " WHERE stream_id = $1 AND version = $2", stream_id, version)
    return Seal(row["seq"], row["stream_id"], row["version"], row["leaf_hash"]) if row else None


async def latest_checkpoint(connection: asyncpg.Connection) -> Checkpoint | None:
    """The checkpoint of the largest tree, None before the first."""
    row = await connection.fetchrow(
        f"SELECT {_CHECKPOINT_COLUMNS} FROM checkpoints ORDER BY tree_size DESC LIMIT 1")
    return checkpoint_from_row(row) if row else None


async def checkpoint_at(connection: asyncpg.Connection, tree_size: int) -> Checkpoint | None:
    """The checkpoint of exactly ``tree_size`` leaves, if one was signed."""
    row = await connection.fetchrow(
        f"SELECT {_CHECKPOINT_COLUMNS} FROM checkpoints WHERE tree_size = $1", tree_size)
    return checkpoint_from_row(row) if row else None


async def first_checkpoint_covering(connection: asyncpg.Connection, seq: int
                                    ) -> Checkpoint | None:
    """The earliest checkpoint whose tree contains leaf ``seq``."""
    row = await connection.fetchrow(
        f"SELECT {_CHECKPOINT_COLUMNS} FROM checkpoints WHERE tree_size > $1"
        " ORDER BY tree_size LIMIT 1", seq)
    return checkpoint_from_row(row) if row else None
