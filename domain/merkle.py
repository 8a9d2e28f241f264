"""The Merkle tree over the global event sequence (RFC 9162 §2.1, SHA-256).

These are the rules an auditor re-checks with no database: a leaf is hashed as
``SHA-256(0x00 || data)``, an interior node as ``SHA-256(0x01 || left ||
right)``, and the tree over ``n`` leaves splits at the largest power of two
smaller than ``n`` (RFC 9162 §2.1.1). The module offers:

- hashing: :func:`leaf_hash`, :func:`node_hash`, :data:`EMPTY_ROOT`, :func:`root`;
- proofs from a list of leaf hashes: :func:`inclusion_proof` (``PATH``,
  §2.1.3.1) and :func:`consistency_proof` (``PROOF``/``SUBPROOF``, §2.1.4.1);
- verification exactly as §2.1.3.2 and §2.1.4.2: :func:`verify_inclusion`,
  :func:`verify_consistency`;
- helpers for a store that keeps subtree nodes rather than re-hashing every
  leaf: :func:`inclusion_proof_ranges` and :func:`consistency_proof_ranges`
  (which leaf ranges' hashes make up a proof), :func:`perfect_subtrees` (how
  such a range splits into stored perfect subtrees) and
  :func:`fold_perfect_subtrees`; and :class:`MerkleFrontier`, the O(log n)
  state with which a sealer extends the tree one leaf at a time.

A leaf range ``(begin, end)`` means leaves ``begin`` (included) to ``end``
(excluded). A perfect subtree ``(level, index)`` means the ``2**level`` leaves
from ``index * 2**level``. Pure functions over bytes; no I/O.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

HASH_SIZE = 32
"""Length in bytes of every hash in the tree (SHA-256)."""

LEAF_PREFIX = b"\x00"
"""Domain separation byte of leaf hashes (RFC 9162 §2.1.1)."""

NODE_PREFIX = b"\x01"
"""Domain separation byte of interior node hashes (RFC 9162 §2.1.1)."""

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""The root of the empty tree: ``SHA-256()`` of no bytes."""

_sha256 = hashlib.sha256


def leaf_hash(data: bytes) -> bytes:
    """``SHA-256(0x00 || data)``: the hash of one leaf of the tree."""
    return _sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 || left || right)``: the hash of an interior node."""
    return _sha256(NODE_PREFIX + left + right).digest()


def parent_hashes(children: bytes) -> bytes:
    """The hashes of the complete parents of one level of the tree, as concatenated
    32-byte hashes: ``node_hash(children[2k], children[2k + 1])`` for each pair, given the
    level's hashes concatenated (an odd last child has no complete parent)."""
    width = 2 * HASH_SIZE
    prefix, sha256 = NODE_PREFIX, _sha256
    parents: list[bytes] = []
    append = parents.append  # a plain loop: twice as fast as a generator here
    for start in range(0, len(children) // width * width, width):
        append(sha256(prefix + children[start:start + width]).digest())
    return b"".join(parents)


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """The Merkle Tree Hash ``MTH`` of the given leaf hashes (RFC 9162 §2.1.1).

    :data:`EMPTY_ROOT` for no leaves, the leaf hash itself for one leaf. Computed
    level by level, pairing neighbours and carrying a lone last node up
    unchanged, which gives the same tree as the recursive split at the largest
    power of two; ``n - 1`` node hashes in all.
    """
    level = list(leaf_hashes)
    if not level:
        return EMPTY_ROOT
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def _largest_power_of_two_below(n: int) -> int:
    # The k of RFC 9162 §2.1.1: the largest power of two smaller than n (n > 1).
    return 1 << ((n - 1).bit_length() - 1)


def inclusion_proof_ranges(index: int, tree_size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose hashes form the inclusion proof of leaf ``index``.

    In proof order (from the leaf's sibling up to the root's child), as
    ``PATH(index, D[tree_size])`` of RFC 9162 §2.1.3.1 lists them. Every range
    starts at a multiple of a power of two at least as large as the range, so
    its hash is :func:`fold_perfect_subtrees` of :func:`perfect_subtrees`.
    Raises :class:`ValueError` unless ``0 <= index < tree_size``.
    """
    if not 0 <= index < tree_size:
        raise ValueError(f"leaf index {index} is outside a tree of size {tree_size}")
    ranges: list[tuple[int, int]] = []
    begin, end = 0, tree_size
    while end - begin > 1:
        k = _largest_power_of_two_below(end - begin)
        split = begin + k
        if index < split:
            ranges.append((split, end))
            end = split
        else:
            ranges.append((begin, split))
            begin = split
    ranges.reverse()
    return ranges


def consistency_proof_ranges(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose hashes form the consistency proof from ``old_size``.

    In proof order, as ``PROOF(old_size, D[new_size])`` (``SUBPROOF`` with
    ``b = true``) of RFC 9162 §2.1.4.1 lists them; empty when the sizes are
    equal. Raises :class:`ValueError` unless ``0 < old_size <= new_size``: a
    proof from the empty tree is meaningless.
    """
    if not 0 < old_size <= new_size:
        raise ValueError(
            f"no consistency proof from size {old_size} to size {new_size}; "
            "it needs 0 < old_size <= new_size"
        )
    ranges: list[tuple[int, int]] = []
    begin, end, m, whole = 0, new_size, old_size, True
    # SUBPROOF(m, D[begin:end], whole), unrolled from the top.
    while m != end - begin:
        k = _largest_power_of_two_below(end - begin)
        if m <= k:
            ranges.append((begin + k, end))
            end = begin + k
        else:
            ranges.append((begin, begin + k))
            begin, m, whole = begin + k, m - k, False
    if not whole:
        ranges.append((begin, end))
    ranges.reverse()
    return ranges


def perfect_subtrees(begin: int, end: int) -> list[tuple[int, int]]:
    """The maximal perfect subtrees ``(level, index)`` covering leaves ``begin`` to ``end``.

    Left to right, largest first. Raises :class:`ValueError` unless the range is
    non-empty and ``begin`` is a multiple of a power of two at least as large as
    the range, as every range of :func:`inclusion_proof_ranges` and
    :func:`consistency_proof_ranges` is; the hash of such a range is then
    :func:`fold_perfect_subtrees` of the nodes listed here.
    """
    size = end - begin
    if begin < 0 or size <= 0:
        raise ValueError(f"leaf range [{begin}, {end}) is empty or negative")
    if begin % (1 << (size - 1).bit_length()):
        raise ValueError(f"leaf range [{begin}, {end}) is not a subtree of the tree")
    nodes: list[tuple[int, int]] = []
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            nodes.append((level, begin >> level))
            begin += 1 << level
    return nodes


def fold_perfect_subtrees(hashes: Sequence[bytes]) -> bytes:
    """The root over perfect subtrees given left to right, largest first.

    Combines them from the right: ``node_hash(h0, node_hash(h1, ... hn))``, which
    is the Merkle Tree Hash of the leaves they cover when their sizes are
    strictly decreasing powers of two. :data:`EMPTY_ROOT` for no subtrees.
    """
    if not hashes:
        return EMPTY_ROOT
    acc = hashes[-1]
    for left in reversed(hashes[:-1]):
        acc = node_hash(left, acc)
    return acc


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """The inclusion proof of leaf ``index`` in the tree over ``leaf_hashes``.

    ``PATH(index, D[n])`` of RFC 9162 §2.1.3.1, lowest sibling first; empty for
    a tree of one leaf. Raises :class:`ValueError` unless ``0 <= index < n``.
    """
    return [
        root(leaf_hashes[begin:end])
        for begin, end in inclusion_proof_ranges(index, len(leaf_hashes))
    ]


def consistency_proof(leaf_hashes: Sequence[bytes], old_size: int) -> list[bytes]:
    """The consistency proof of the tree's first ``old_size`` leaves in the whole tree.

    ``PROOF(old_size, D[n])`` of RFC 9162 §2.1.4.1; empty when ``old_size == n``.
    Raises :class:`ValueError` unless ``0 < old_size <= n``.
    """
    return [
        root(leaf_hashes[begin:end])
        for begin, end in consistency_proof_ranges(old_size, len(leaf_hashes))
    ]


def _is_hash_list(proof: Sequence[bytes]) -> bool:
    return all(isinstance(node, bytes) and len(node) == HASH_SIZE for node in proof)


def verify_inclusion(
    leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Whether ``proof`` shows leaf ``leaf_hash`` at ``index`` in the tree with ``root``.

    The algorithm of RFC 9162 §2.1.3.2, step by step. Also false, before any
    hashing, when ``index`` is not in ``0 <= index < tree_size``, or when the
    leaf hash or a proof element is not a 32-byte hash. A proof with a missing
    or an extra element fails.
    """
    if not (isinstance(index, int) and isinstance(tree_size, int)):
        return False
    # 1. leaf_index must be smaller than tree_size.
    if index < 0 or index >= tree_size:
        return False
    if not (isinstance(leaf_hash, bytes) and len(leaf_hash) == HASH_SIZE):
        return False
    if not _is_hash_list(proof):
        return False
    # 2.-3.
    fn, sn = index, tree_size - 1
    r = leaf_hash
    # 4.
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            # If LSB(fn) is not set, shift until it is or fn is 0.
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    # 5.
    return sn == 0 and r == root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether ``proof`` shows tree ``(old_size, old_root)`` inside ``(new_size, new_root)``.

    For ``0 < old_size < new_size``, the algorithm of RFC 9162 §2.1.4.2, step by
    step (false if a proof element is not a 32-byte hash). Outside that range,
    as the RFC 9162 test vectors of transparency-dev/merkle expect:

    - ``old_size > new_size``, or a negative size: false;
    - ``old_size == 0``: false, whatever the roots and proof, since a proof
      from the empty tree proves nothing (a caller holding an empty checkpoint
      checks that its root is :data:`EMPTY_ROOT` and needs no proof);
    - ``old_size == new_size``: true exactly when the proof is empty and the
      two roots are equal bytes.
    """
    if not (isinstance(old_size, int) and isinstance(new_size, int)):
        return False
    if old_size < 0 or new_size < old_size:
        return False
    if old_size == 0:
        return False
    if old_size == new_size:
        return len(proof) == 0 and old_root == new_root
    # Now 0 < first < second.
    # 1. An empty proof fails.
    if len(proof) == 0:
        return False
    if not _is_hash_list(proof):
        return False
    path = list(proof)
    # 2. A power-of-two first tree is itself a node of the second: prepend its hash.
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    # 3.
    fn, sn = old_size - 1, new_size - 1
    # 4.
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # 5.
    fr = sr = path[0]
    # 6.
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            # If LSB(fn) is not set, shift until it is or fn is 0.
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    # 7.
    return fr == old_root and sr == new_root and sn == 0


class MerkleFrontier:
    """The compact state of a growing tree: one perfect subtree root per set bit of its size.

    A sealer keeps this instead of every leaf: :meth:`append` costs O(log n)
    node hashes (amortised one), :meth:`root` O(log n). The state round-trips
    through :meth:`to_dict` / :meth:`from_dict` (JSON: size and hex hashes) and
    :meth:`to_bytes` / :meth:`from_bytes` (8-byte big-endian size, then the
    hashes), so it can be persisted beside each checkpoint.
    """

    __slots__ = ("_hashes", "_size")

    def __init__(self, size: int = 0, hashes: Iterable[bytes] = ()) -> None:
        """A frontier of ``size`` leaves with its perfect subtree roots, largest first.

        Raises :class:`ValueError` if there is not exactly one 32-byte hash per
        set bit of ``size``.
        """
        stored = list(hashes)
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise ValueError(f"a frontier's size must be a non-negative integer, not {size!r}")
        if len(stored) != size.bit_count():
            raise ValueError(
                f"a frontier of size {size} holds {size.bit_count()} hashes, not {len(stored)}"
            )
        for node in stored:
            if not isinstance(node, bytes) or len(node) != HASH_SIZE:
                raise ValueError("every hash of a frontier must be 32 bytes")
        self._size = size
        self._hashes = stored

    @classmethod
    def from_leaf_hashes(cls, leaf_hashes: Iterable[bytes]) -> MerkleFrontier:
        """The frontier of the tree over ``leaf_hashes``."""
        frontier = cls()
        for leaf in leaf_hashes:
            frontier.append(leaf)
        return frontier

    @property
    def size(self) -> int:
        """The number of leaves in the tree."""
        return self._size

    @property
    def hashes(self) -> tuple[bytes, ...]:
        """The perfect subtree roots, left to right, largest first."""
        return tuple(self._hashes)

    def subtrees(self) -> list[tuple[int, int]]:
        """The ``(level, index)`` of each hash of :attr:`hashes`, in the same order."""
        return perfect_subtrees(0, self._size) if self._size else []

    def append(self, leaf_hash: bytes) -> None:
        """Add one leaf (its hash, see :func:`leaf_hash`) at index :attr:`size`."""
        if not isinstance(leaf_hash, bytes) or len(leaf_hash) != HASH_SIZE:
            raise ValueError("a leaf hash must be 32 bytes")
        hashes = self._hashes
        hashes.append(leaf_hash)
        size = self._size
        # Each trailing one bit of the old size is a subtree that now has a right sibling.
        while size & 1:
            right = hashes.pop()
            hashes[-1] = node_hash(hashes[-1], right)
            size >>= 1
        self._size += 1

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        """Append each of ``leaf_hashes`` in order."""
        for leaf in leaf_hashes:
            self.append(leaf)

    def root(self) -> bytes:
        """The Merkle Tree Hash of the tree so far (:data:`EMPTY_ROOT` when empty)."""
        return fold_perfect_subtrees(self._hashes)

    def copy(self) -> MerkleFrontier:
        """An independent copy of this frontier."""
        return MerkleFrontier(self._size, self._hashes)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready state: ``{"size": n, "hashes": [hex, ...]}``."""
        return {"size": self._size, "hashes": [node.hex() for node in self._hashes]}

    @classmethod
    def from_dict(cls, state: Mapping[str, Any]) -> MerkleFrontier:
        """The frontier saved by :meth:`to_dict`; :class:`ValueError` if it is malformed."""
        size = state.get("size")
        hashes = state.get("hashes")
        if not isinstance(size, int) or isinstance(size, bool) or not isinstance(hashes, list):
            raise ValueError("a frontier's state needs an integer size and a list of hashes")
        try:
            decoded = [bytes.fromhex(node) for node in hashes]
        except (TypeError, ValueError) as error:
            raise ValueError("a frontier's hashes must be hex strings") from error
        return cls(size, decoded)

    def to_bytes(self) -> bytes:
        """Binary state: the size as 8 bytes big-endian, then the hashes."""
        return self._size.to_bytes(8, "big") + b"".join(self._hashes)

    @classmethod
    def from_bytes(cls, state: bytes) -> MerkleFrontier:
        """The frontier saved by :meth:`to_bytes`; :class:`ValueError` if it is malformed."""
        if len(state) < 8 or (len(state) - 8) % HASH_SIZE:
            raise ValueError("a frontier's binary state is 8 bytes then whole 32-byte hashes")
        size = int.from_bytes(state[:8], "big")
        hashes = [state[i : i + HASH_SIZE] for i in range(8, len(state), HASH_SIZE)]
        return cls(size, hashes)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MerkleFrontier):
            return NotImplemented
        return self._size == other._size and self._hashes == other._hashes

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"MerkleFrontier(size={self._size}, root={self.root().hex()})"
