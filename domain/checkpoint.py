"""Signed checkpoints of the Merkle tree over the global event sequence.

A checkpoint says "the tree of the first ``tree_size`` sealed events has root
``root``, as of ``signed_at``", signed with Ed25519. The signed message is
exactly these ASCII bytes (four lines, each ending in ``\\n``)::

    kinerja-checkpoint/v1
    <tree_size in decimal, no sign, no leading zeros>
    <root: 64 lower-case hex digits>
    <signed_at: UTC, YYYY-MM-DDTHH:MM:SS.ffffffZ>

A checkpoint names its key by ``key_id``: the first 16 hex digits of
SHA-256 over the 32 raw bytes of the Ed25519 public key. The key id is not
part of the signed message (a signature already binds the key).

This module also holds the Merkle tree extension the sealer uses
(:func:`extend_tree`), since it is pure too. No I/O: keys come in as bytes.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from domain.integrity import format_timestamp
from domain.merkle import HASH_SIZE, node_hash

CHECKPOINT_FORMAT = "kinerja-checkpoint/v1"
"""First line of every signed checkpoint message."""


@dataclass(frozen=True)
class Checkpoint:
    """One signed checkpoint."""

    tree_size: int
    root: bytes
    signed_at: datetime
    key_id: str
    signature: bytes

    def message(self) -> bytes:
        """The bytes the signature covers (see the module's documentation)."""
        return checkpoint_message(self.tree_size, self.root, self.signed_at)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready form: hex root, RFC 3339 time, base64 signature."""
        return {
            "tree_size": self.tree_size,
            "root": self.root.hex(),
            "signed_at": format_timestamp(self.signed_at),
            "key_id": self.key_id,
            "signature": base64.b64encode(self.signature).decode("ascii"),
        }

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> Checkpoint:
        """The checkpoint of :meth:`to_json`; :class:`ValueError` if malformed."""
        try:
            tree_size = document["tree_size"]
            if not isinstance(tree_size, int) or isinstance(tree_size, bool) or tree_size < 0:
                raise ValueError("tree_size must be a non-negative integer")
            root = bytes.fromhex(document["root"])
            if len(root) != HASH_SIZE:
                raise ValueError("root must be 32 bytes")
            signed_at = datetime.fromisoformat(str(document["signed_at"]))
            if signed_at.tzinfo is None:
                raise ValueError("signed_at must carry a time zone")
            signature = base64.b64decode(document["signature"], validate=True)
            return cls(tree_size=tree_size, root=root, signed_at=signed_at,
                       key_id=str(document["key_id"]), signature=signature)
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"malformed checkpoint: {error}") from error


def checkpoint_message(tree_size: int, root: bytes, signed_at: datetime) -> bytes:
    """The canonical signed bytes of a checkpoint."""
    if tree_size < 0:
        raise ValueError("tree_size must be non-negative")
    if len(root) != HASH_SIZE:
        raise ValueError("root must be 32 bytes")
    text = f"{CHECKPOINT_FORMAT}\n{tree_size}\n{root.hex()}\n{format_timestamp(signed_at)}\n"
    return text.encode("ascii")


def public_key_bytes(key: Ed25519PublicKey | Ed25519PrivateKey) -> bytes:
    """The 32 raw bytes of a public key (of a private key's public half)."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public_key: bytes) -> str:
    """The id of a raw public key: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(public_key).hexdigest()[:16]


def load_private_key(pem: bytes) -> Ed25519PrivateKey:
    """An Ed25519 private key from PEM (PKCS#8); :class:`ValueError` for any other key."""
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the checkpoint signing key must be an Ed25519 private key")
    return key


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM (or the public half of a private key's PEM)."""
    if b"PRIVATE KEY" in pem:
        return load_private_key(pem).public_key()
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("the checkpoint key must be an Ed25519 key")
    return key


def public_key_pem(key: Ed25519PublicKey | Ed25519PrivateKey) -> bytes:
    """PEM (SubjectPublicKeyInfo) of a public key."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.PEM,
                               serialization.PublicFormat.SubjectPublicKeyInfo)


def private_key_pem(key: Ed25519PrivateKey) -> bytes:
    """PEM (PKCS#8, unencrypted) of a private key."""
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def generate_private_key() -> Ed25519PrivateKey:
    """A new Ed25519 key (development: ``kinerja dev`` writes one if missing)."""
    return Ed25519PrivateKey.generate()


def sign_checkpoint(key: Ed25519PrivateKey, tree_size: int, root: bytes,
                    signed_at: datetime) -> Checkpoint:
    """The checkpoint of ``(tree_size, root, signed_at)`` signed with ``key``."""
    message = checkpoint_message(tree_size, root, signed_at)
    return Checkpoint(tree_size=tree_size, root=root, signed_at=signed_at,
                      key_id=key_id(public_key_bytes(key)), signature=key.sign(message))


def verify_checkpoint(public_key: bytes, checkpoint: Checkpoint) -> bool:
    """Whether ``checkpoint`` carries a valid signature by the raw ``public_key``."""
    if checkpoint.key_id != key_id(public_key):
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(
            checkpoint.signature, checkpoint.message())
    except (InvalidSignature, ValueError):
        return False
    return True


def extend_tree(size: int, frontier: Sequence[bytes], leaf_hashes: Iterable[bytes]
                ) -> tuple[int, list[bytes], list[tuple[int, int, bytes]]]:
    """Append leaves to a tree given by its frontier; what a sealer stores per batch.

    ``frontier``: the perfect subtree roots of a tree of ``size`` leaves,
    largest first (as :class:`domain.merkle.MerkleFrontier` keeps them).
    Returns the new size, the new frontier, and every perfect subtree
    ``(level, index, hash)`` of level >= 1 that the new leaves complete, in
    the order they complete.
    """
    stack = list(frontier)
    completed: list[tuple[int, int, bytes]] = []
    for leaf in leaf_hashes:
        current, n, level = leaf, size, 0
        while n & 1:
            current = node_hash(stack.pop(), current)
            level += 1
            n >>= 1
            completed.append((level, size >> level, current))
        stack.append(current)
        size += 1
    return size, stack, completed
