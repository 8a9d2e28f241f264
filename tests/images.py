"""Small, valid images built byte by byte (no image library), for tests of photos."""

from __future__ import annotations

import struct
import zlib


def segment(marker: int, body: bytes) -> bytes:
    """A JPEG segment: 0xFF, the marker, the length (itself included), the body."""
    return bytes([0xFF, marker]) + struct.pack(">H", len(body) + 2) + body


def jpeg(*, after_app0: bytes = b"", trailer: bytes = b"") -> bytes:
    """An 8x8 mid-grey baseline JPEG that browsers decode: JFIF, one quantisation table,
    one component, one Huffman code per table (a DC difference of 0, then end of block).
    ``after_app0`` is put after the JFIF segment (metadata segments), ``trailer`` after
    the end of the image."""
    jfif = segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    quantisation = segment(0xDB, b"\x00" + b"\x01" * 64)
    frame = segment(0xC0, b"\x08\x00\x08\x00\x08\x01\x01\x11\x00")
    one_code = b"\x01" + b"\x00" * 15 + b"\x00"  # one code of length 1, for symbol 0
    tables = segment(0xC4, b"\x00" + one_code) + segment(0xC4, b"\x10" + one_code)
    scan = segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
    data = b"\x3f"  # DC 0 ("0"), end of block ("0"), padded with ones
    return (b"\xff\xd8" + jfif + after_app0 + quantisation + frame + tables + scan + data
            + b"\xff\xd9" + trailer)


def exif(orientation: int | None, *, gps: bytes = b"GPS -6.2088 106.8456",
         little_endian: bool = True) -> bytes:
    """An APP1 Exif segment: IFD0 with the orientation (when given) and an ASCII tag
    holding ``gps`` (where a phone puts the place; the real GPS IFD is a sub-IFD)."""
    order = "<" if little_endian else ">"
    entries = []
    text_at = 8 + 2 + 12 * 2 + 4
    if orientation is not None:
        entries.append(struct.pack(order + "HHIHH", 0x0112, 3, 1, orientation, 0))
    entries.append(struct.pack(order + "HHII", 0x010E, 2, len(gps), text_at))
    tiff = ((b"II*\x00" if little_endian else b"MM\x00*") + struct.pack(order + "I", 8)
            + struct.pack(order + "H", len(entries)) + b"".join(entries)
            + b"\x00" * 12 * (2 - len(entries)) + struct.pack(order + "I", 0) + gps)
    return segment(0xE1, b"Exif\x00\x00" + tiff)


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data)))


def png(width: int = 4, height: int = 4, *, before_data: bytes = b"",
        trailer: bytes = b"") -> bytes:
    """A grey PNG; ``before_data`` (chunks) between IHDR and IDAT, ``trailer`` after IEND."""
    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n"
            + png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + before_data + png_chunk(b"IDAT", zlib.compress(rows))
            + png_chunk(b"IEND", b"") + trailer)
