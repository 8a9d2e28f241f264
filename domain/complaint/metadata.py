"""A complaint's photo without what the camera wrote about it.

A photo taken with a phone carries metadata: the place it was taken (GPS), the time,
the phone's make and serial number, a thumbnail of the original picture, the software
that edited it. A complainant sends a photo of a broken counter, not their location;
the unit that reads the complaint must not learn where they live from it. So a photo is
kept without its metadata, rewritten at the byte level (no image library: the pixels
are copied as they are, never decoded):

- JPEG: the segments are walked to the end of the image; APP1 (Exif, XMP), APP3 to
  APP13 (among them Photoshop's IPTC block), APP15 and comments (COM) are dropped. Kept:
  APP0 (JFIF), APP2 (the ICC colour profile), APP14 (Adobe: how to read the colours), the
  tables and frame headers, and the image data untouched; whatever follows the end of
  the image (some phones append their own metadata, or a video) is dropped. The Exif
  *orientation* is the one value kept (a phone photo would otherwise show on its side):
  written back as a minimal Exif block holding that one tag.
- PNG: the chunks ``eXIf``, ``tEXt``, ``zTXt``, ``iTXt`` and ``tIME`` are dropped; every
  other chunk is copied as it is.

Bytes that do not hold together as a JPEG or a PNG (a segment or chunk running past the
end, no image data) are refused (:class:`Malformed`): metadata cannot be said to be gone
from a file that cannot be walked.
"""

from __future__ import annotations

import struct

_JPEG_DROPPED = {0xE1, *range(0xE3, 0xEE), 0xEF, 0xFE}
"""APP1, APP3-APP13, APP15, COM."""
_JPEG_STANDALONE = {0x01, *range(0xD0, 0xD8)}
"""TEM, RST0-RST7: markers without a length."""
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_DROPPED = {b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"tIME"}
_ORIENTATION = 0x0112


class Malformed(ValueError):
    """The bytes are not a JPEG or PNG whose structure can be walked to the image data."""


def without_metadata(data: bytes, media_type: str) -> bytes:
    """``data`` (of ``media_type``, ``image/jpeg`` or ``image/png``) without metadata."""
    if media_type == "image/jpeg":
        return _jpeg(data)
    if media_type == "image/png":
        return _png(data)
    raise ValueError(f"no metadata rule for {media_type}")


def _jpeg(data: bytes) -> bytes:
    if data[:2] != b"\xff\xd8":
        raise Malformed("no start of image")
    kept = [data[:2]]
    orientation: int | None = None
    scanned = False
    at = 2
    while True:
        if at + 2 > len(data) or data[at] != 0xFF:
            raise Malformed(f"no marker at byte {at}")
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte before a marker
            at += 1
            continue
        if marker == 0xD9:  # end of image: what follows (a phone's trailer) is dropped
            if not scanned:
                raise Malformed("end of image before the image data")
            kept.append(b"\xff\xd9")
            if orientation is not None:  # after JFIF's APP0, which must come first
                kept.insert(2 if kept[1][:2] == b"\xff\xe0" else 1,
                            _exif_orientation(orientation))
            return b"".join(kept)
        if marker in _JPEG_STANDALONE:
            kept.append(data[at:at + 2])
            at += 2
            continue
        if at + 4 > len(data):
            raise Malformed(f"segment at byte {at} cut short")
        (length,) = struct.unpack(">H", data[at + 2:at + 4])
        end = at + 2 + length
        if length < 2 or end > len(data):
            raise Malformed(f"segment at byte {at} runs past the end")
        if marker == 0xE1 and orientation is None:
            orientation = _orientation_of(data[at + 4:end])
        if marker not in _JPEG_DROPPED:
            kept.append(data[at:end])
        at = end
        if marker == 0xDA:  # start of scan: the image data, copied up to the next marker
            at = _end_of_scan(data, at)
            kept.append(data[end:at])
            scanned = True


def _end_of_scan(data: bytes, at: int) -> int:
    """Where the entropy-coded data starting at ``at`` ends: the next marker (0xFF not
    followed by a stuffed 0x00 or a restart marker)."""
    while True:
        found = data.find(b"\xff", at)
        if found < 0 or found + 1 >= len(data):
            raise Malformed("image data without an end")
        following = data[found + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7:
            at = found + 2
        elif following == 0xFF:
            at = found + 1
        else:
            return found


def _orientation_of(app1: bytes) -> int | None:
    """The orientation tag (1 to 8) of an Exif APP1 body, if it has a readable one."""
    if not app1.startswith(b"Exif\x00\x00"):
        return None
    tiff = app1[6:]
    order = {b"II": "<", b"MM": ">"}.get(tiff[:2])
    if order is None or len(tiff) < 8:
        return None
    (first,) = struct.unpack(order + "I", tiff[4:8])
    if first + 2 > len(tiff):
        return None
    (count,) = struct.unpack(order + "H", tiff[first:first + 2])
    for entry in range(count):
        at = first + 2 + 12 * entry
        if at + 12 > len(tiff):
            return None
        tag, kind, _, value = struct.unpack(order + "HHIH", tiff[at:at + 10])
        if tag == _ORIENTATION and kind == 3:  # SHORT
            return value if 1 <= value <= 8 else None
    return None


def _exif_orientation(orientation: int) -> bytes:
    """An APP1 segment holding an Exif block with the orientation tag alone."""
    tiff = (b"MM\x00\x2a" + struct.pack(">I", 8)            # header, IFD0 at 8
            + struct.pack(">H", 1)                            # one entry
            + struct.pack(">HHIHH", _ORIENTATION, 3, 1, orientation, 0)
            + struct.pack(">I", 0))                           # no next IFD
    body = b"Exif\x00\x00" + tiff
    return b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body


def _png(data: bytes) -> bytes:
    if not data.startswith(_PNG_SIGNATURE):
        raise Malformed("no PNG signature")
    kept = [_PNG_SIGNATURE]
    at = len(_PNG_SIGNATURE)
    while at < len(data):
        if at + 8 > len(data):
            raise Malformed(f"chunk at byte {at} cut short")
        (length,) = struct.unpack(">I", data[at:at + 4])
        kind = data[at + 4:at + 8]
        end = at + 12 + length
        if end > len(data):
            raise Malformed(f"chunk at byte {at} runs past the end")
        if kind not in _PNG_DROPPED:
            kept.append(data[at:end])
        at = end
        if kind == b"IEND":
            return b"".join(kept)
    raise Malformed("no IEND chunk")
