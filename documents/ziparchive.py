"""A ZIP file written one entry at a time on disk, resumable: each entry is appended as
a local header and its bytes (stored: PDFs are compressed already), and the caller keeps,
per entry, what the central directory needs (:class:`Entry`). After a crash the file is
cut back to the end of the last entry recorded and writing goes on; the central
directory is written once at the end from the recorded entries. Nothing is held in
memory but the entry being written. Plain ZIP (no ZIP64): at most 65,535 entries and
4 GiB, which :func:`check_limits` enforces."""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

MAX_ENTRIES = 0xFFFF
MAX_BYTES = 0xFFFFFFFF
_DOS_DATE = (2026 - 1980) << 9 | 1 << 5 | 1  # fixed: the bytes do not depend on the clock


class TooLarge(ValueError):
    """The archive would need ZIP64."""


@dataclass(frozen=True)
class Entry:
    name: str
    crc: int
    size: int
    offset: int

    def as_json(self) -> dict[str, int | str]:
        return {"name": self.name, "crc": self.crc, "size": self.size, "offset": self.offset}

    @classmethod
    def of(cls, data: dict[str, object]) -> Entry:
        return cls(str(data["name"]), int(str(data["crc"])), int(str(data["size"])),
                   int(str(data["offset"])))


def check_limits(entries: int, end: int) -> None:
    if entries > MAX_ENTRIES or end > MAX_BYTES:
        raise TooLarge(f"a ZIP of {entries} entries and {end} bytes needs ZIP64")


def append(out: BinaryIO, name: str, data: bytes) -> Entry:
    """Write ``data`` as the entry ``name`` at the file's current end; its entry."""
    offset = out.tell()
    raw = name.encode("utf-8")
    crc = zlib.crc32(data)
    check_limits(0, offset + 30 + len(raw) + len(data))
    out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0x0800, 0, 0, _DOS_DATE, crc,
                          len(data), len(data), len(raw), 0))
    out.write(raw)
    out.write(data)
    return Entry(name, crc, len(data), offset)


def open_at(path: Path, end: int) -> BinaryIO:
    """The archive at ``path`` opened for appending after ``end`` bytes (what the recorded
    entries cover): a partly written entry after it is cut off."""
    path.parent.mkdir(parents=True, exist_ok=True)
    out = open(path, "r+b" if path.exists() else "w+b")
    out.truncate(end)
    out.seek(end)
    return out


def sync(out: BinaryIO) -> None:
    out.flush()
    os.fsync(out.fileno())


def finish(out: BinaryIO, entries: Iterable[Entry]) -> int:
    """Write the central directory of ``entries`` at the current end; the file's size."""
    start = out.tell()
    count = 0
    for entry in entries:
        raw = entry.name.encode("utf-8")
        out.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0x0800, 0, 0,
                              _DOS_DATE, entry.crc, entry.size, entry.size, len(raw), 0, 0,
                              0, 0, 0, entry.offset))
        out.write(raw)
        count += 1
    size = out.tell() - start
    check_limits(count, out.tell() + 22)
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, size, start, 0))
    sync(out)
    return out.tell()
