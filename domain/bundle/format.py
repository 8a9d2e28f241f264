"""The bundle's format: its lines, how an event line is written and read, failures."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic_core import from_json

from domain.integrity import EVENT_ID_NAMESPACE
from domain.merkle import (
    HASH_SIZE,
    inclusion_proof_ranges,
)

BUNDLE_FORMAT = "kinerja-bundle/2"
_FORMAT_1 = "kinerja-bundle/1"
_EVENT_LINE_START = b'{"kind":"event",'
_EVENT_MEMBER = b',"event":'
_LINE_END = frozenset(b" \t\r\n")
APPRAISAL_STREAM_PREFIX = "appraisal-"
"""Streams replayed as appraisals; others (access streams) are checked, not replayed."""


@dataclass(frozen=True)
class BundleFailure:
    """The first thing that is wrong, and where."""

    reason: str
    stream_id: str | None = None
    version: int | None = None
    seq: int | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = []
        if self.stream_id is not None:
            where.append(f"stream {self.stream_id}")
        if self.version is not None:
            where.append(f"version {self.version}")
        if self.seq is not None:
            where.append(f"seq {self.seq}")
        if self.line is not None:
            where.append(f"line {self.line}")
        return (", ".join(where) + ": " if where else "") + self.reason


class _Failed(Exception):
    def __init__(self, failure: BundleFailure) -> None:
        super().__init__(str(failure))
        self.failure = failure


def _fail(reason: str, **where: Any) -> _Failed:
    return _Failed(BundleFailure(reason=reason, **where))


def _hash(value: Any, what: str, line: int) -> bytes:
    try:
        decoded = bytes.fromhex(value) if isinstance(value, str) else b""
    except ValueError:
        decoded = b""
    if len(decoded) != HASH_SIZE:
        raise _fail(f"{what} is not a 32-byte hex hash", line=line)
    return decoded


class ProofTrimmer:
    """Which part of each inclusion proof a bundle must carry (the exporter's side).

    Mirrors :class:`_InclusionChecker`: the verifier walks up from a leaf and
    stops at the first node already proven (the root, or a node on the path
    of an earlier event of the bundle), so only the siblings below that node
    are needed. Call :meth:`needed` for each sealed event in bundle order.
    """

    def __init__(self, tree_size: int) -> None:
        self.tree_size = tree_size
        self._proven: set[tuple[int, int]] = {(0, tree_size)}

    def needed(self, index: int) -> int:
        """How many elements of leaf ``index``'s proof (from the bottom) the verifier
        needs, given the events before it; records the nodes this proof proves."""
        proven = self._proven
        begin, end = index, index + 1
        if (begin, end) in proven:
            return 0
        path: list[tuple[int, int]] = []
        for count, (sibling_begin, sibling_end) in enumerate(
                inclusion_proof_ranges(index, self.tree_size), start=1):
            begin, end = min(begin, sibling_begin), max(end, sibling_end)
            if (begin, end) in proven:
                proven.update(path)
                return count
            path.append((begin, end))
        raise AssertionError("the path always reaches the root")  # pragma: no cover


def event_line(seq: int | None, hash_: bytes, proof: Sequence[bytes] | None,
               canonical: bytes) -> bytes:
    """One event line of a ``kinerja-bundle/2`` bundle, the canonical bytes verbatim last."""
    head = json.dumps({"kind": "event", "seq": seq, "hash": hash_.hex(),
                       "proof": None if proof is None else [p.hex() for p in proof]},
                      separators=(",", ":"))
    return head[:-1].encode("ascii") + _EVENT_MEMBER + canonical + b"}\n"


def _element(proof: Sequence[bytes | str], step: int) -> bytes | None:
    if step >= len(proof):
        return None
    element = proof[step]
    if isinstance(element, str):
        try:
            element = bytes.fromhex(element)
        except ValueError:
            return None
    return element if isinstance(element, bytes) and len(element) == HASH_SIZE else None


_NAMESPACE = EVENT_ID_NAMESPACE.bytes
_decode_json = json.JSONDecoder().decode


def _event_id_text(stream_id: str, version: int) -> str:
    """``str(domain.integrity.event_id(stream_id, version))`` without building a UUID."""
    digest = bytearray(hashlib.sha1(_NAMESPACE + f"{stream_id}\x00{version}".encode(),
                                    usedforsecurity=False).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _lines(source: Iterable[bytes | str]) -> Iterator[tuple[int, bytes]]:
    for number, raw in enumerate(source, start=1):
        line = raw.encode("utf-8") if isinstance(raw, str) else raw
        if line and not line.isspace():  # (not strip(): no copy of every line)
            yield number, line


def _document(line: bytes, number: int) -> dict[str, Any]:
    try:
        document = _decode_json(line.decode("utf-8"))
    except ValueError:
        raise _fail("not a JSON line", line=number) from None
    if not isinstance(document, dict):
        raise _fail("not a JSON object", line=number)
    return document


def _event_parts(line: bytes, number: int) -> tuple[dict[str, Any], bytes]:
    """A ``kinerja-bundle/2`` event line: its members before ``event``, and the
    canonical bytes (the ``event`` value as it stands in the line)."""
    cut = line.find(_EVENT_MEMBER)
    end = len(line)
    while end and line[end - 1] in _LINE_END:
        end -= 1
    if cut < 0 or line[end - 1] != 0x7D:  # "}"
        raise _fail('not an event line ("event" must be the last member)', line=number)
    try:
        # pydantic-core's parser, faster: the same values as json's (a lone surrogate
        # escape, which no exporter writes, is refused as not JSON rather than read)
        members = from_json(line[:cut] + b"}")
    except ValueError:
        raise _fail("not a JSON line", line=number) from None
    return members, line[cut + len(_EVENT_MEMBER):end - 1]
