"""Evidence files (bukti dukung): which files are accepted, what they are, what they are
called, and which ones an appraisal's events refer to.

A file is known by what its bytes are, never by its name or the content type a
client declares: :func:`detect` reads the magic bytes (and, for the office formats,
the names and the declared main part inside the ZIP container). The accepted types
are policy data (:data:`domain.policy.EVIDENCE_MEDIA_TYPES`). A file is identified by
the SHA-256 of its bytes: that digest, recorded in a ``ProgressReported`` (or
``ActivityLogged``) event's :class:`domain.skp.Evidence`, is the link from the
hash-chained log to the stored bytes.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from domain.policy import EVIDENCE_MEDIA_TYPES

SHA256_PATTERN = r"^[0-9a-f]{64}$"

FILE_NAME_MAX = 200
"""Characters kept of a file's name (its extension kept)."""

_CONTENT_TYPES_MAX = 256 * 1024
"""The most bytes read of an office file's ``[Content_Types].xml`` (a real one is a few
KiB); a larger one is not an office document we accept."""


@dataclass(frozen=True)
class FileType:
    """One kind of file: its media type and the extension a download gets."""

    media_type: str
    extension: str


PDF = FileType("application/pdf", ".pdf")
JPEG = FileType("image/jpeg", ".jpg")
PNG = FileType("image/png", ".png")
DOCX = FileType("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                ".docx")
XLSX = FileType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx")
PPTX = FileType("application/vnd.openxmlformats-officedocument.presentationml.presentation",
                ".pptx")
ODT = FileType("application/vnd.oasis.opendocument.text", ".odt")
ODS = FileType("application/vnd.oasis.opendocument.spreadsheet", ".ods")

KNOWN: tuple[FileType, ...] = (PDF, JPEG, PNG, DOCX, XLSX, PPTX, ODT, ODS)
BY_MEDIA_TYPE: Mapping[str, FileType] = {t.media_type: t for t in KNOWN}

_OOXML_MAIN = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": DOCX,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": XLSX,
    "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml": PPTX,
}
"""The main part's content type of each Office Open XML document (macro-enabled
documents, ``.docm`` and ``.xlsm``, declare another and are not recognised)."""

_OVERRIDE = re.compile(rb'<Override\b[^>]*?ContentType\s*=\s*"([^"]+)"')


def detect(data: bytes) -> FileType | None:
    """What ``data`` is, by its bytes: PDF, JPEG, PNG, or an office document (DOCX, XLSX,
    PPTX, ODT, ODS); None for anything else (an executable, a macro-enabled document, a
    ZIP that is no such document, a truncated file)."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\xff\xd8\xff") and len(data) > 3:
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"PK\x03\x04"):
        return _office(data)
    return None


def _office(data: bytes) -> FileType | None:
    """An office document in its ZIP container: only the central directory and one small
    part are read, nothing else is unpacked."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:  # OpenDocument: the first entry, stored, says it
                info = archive.getinfo("mimetype")
                if info.file_size > 100:
                    return None
                kind = archive.read("mimetype").decode("ascii", "replace").strip()
                found = BY_MEDIA_TYPE.get(kind)
                return found if found in (ODT, ODS) else None
            if "[Content_Types].xml" not in names:
                return None
            info = archive.getinfo("[Content_Types].xml")
            if info.file_size > _CONTENT_TYPES_MAX:
                return None
            declared = archive.read("[Content_Types].xml")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError,
            NotImplementedError, RuntimeError):
        return None
    kinds = {_OOXML_MAIN.get(m.decode("ascii", "replace")) for m in _OVERRIDE.findall(declared)}
    kinds.discard(None)
    return kinds.pop() if len(kinds) == 1 else None


_PATH_PART = re.compile(r"^.*[/\\]")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff\"<>:|?*]")


def clean_file_name(name: str | None, file_type: FileType) -> str:
    """The name a file is stored and offered under: no path (anything up to the last ``/``
    or ``\\``), no control character (NUL included), quote or character a file system
    refuses, no leading dots, at most :data:`FILE_NAME_MAX` characters, and the extension
    of what the bytes are (``laporan.pdf`` that is a PNG becomes ``laporan.pdf.png``);
    ``bukti`` when nothing is left."""
    text = unicodedata.normalize("NFC", name or "")
    text = _PATH_PART.sub("", _UNSAFE.sub("", text.replace("\\", "/")))
    text = " ".join(text.split()).lstrip(".").strip()
    stem, dot, suffix = text.rpartition(".")
    extension = file_type.extension
    same = bool(dot) and "." + suffix.lower() in (extension,
                                                  ".jpeg" if file_type is JPEG else "")
    if not same:
        stem = text
    keep = FILE_NAME_MAX - len(extension)
    stem = stem[:keep].rstrip(". ") or "bukti"
    return stem + ("." + suffix if same else extension)


def referenced_files(events: Iterable[tuple[str, Mapping[str, Any]]]) -> set[str]:
    """The SHA-256 digests of the file evidence the events (type, data) of one appraisal
    refer to: every progress report and daily activity ever recorded (a report replaced
    for its period still refers to its files)."""
    found: set[str] = set()
    for event_type, data in events:
        if event_type == "ProgressReported":
            evidence = (data.get("report") or {}).get("evidence") or ()
        elif event_type == "ActivityLogged":
            evidence = (data.get("activity") or {}).get("evidence") or ()
        else:
            continue
        for item in evidence:
            if isinstance(item, Mapping) and item.get("kind") == "file" \
                    and isinstance(item.get("sha256"), str):
                found.add(item["sha256"])
    return found


def file_digests(evidence: Iterable[Any]) -> list[tuple[int, str]]:
    """(place, sha256) of each file among ``evidence`` (:class:`domain.skp.Evidence`)."""
    return [(i, e.sha256) for i, e in enumerate(evidence)
            if e.kind == "file" and e.sha256 is not None]


def accepted(data: bytes) -> FileType | None:
    """What ``data`` is if it is a type the policy accepts
    (:data:`domain.policy.EVIDENCE_MEDIA_TYPES`); None otherwise."""
    found = detect(data)
    return found if found is not None and found.media_type in EVIDENCE_MEDIA_TYPES else None
