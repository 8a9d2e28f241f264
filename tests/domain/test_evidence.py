"""Evidence files: their type by their bytes, their names, the files events refer to."""

from __future__ import annotations

import io
import re
import zipfile

import openpyxl
from hypothesis import given
from hypothesis import strategies as st

from domain.evidence import (
    DOCX,
    FILE_NAME_MAX,
    JPEG,
    ODT,
    PDF,
    PNG,
    XLSX,
    accepted,
    clean_file_name,
    detect,
    referenced_files,
)

PDF_BYTES = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64


def ooxml(main: str, extra: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.'
            'openxmlformats.org/package/2006/content-types"><Default Extension="xml" '
            'ContentType="application/xml"/><Override PartName="/word/document.xml" '
            f'ContentType="{main}"/></Types>'))
        archive.writestr("word/document.xml", "<w:document/>")
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


DOCX_BYTES = ooxml(
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml")
DOCM_BYTES = ooxml("application/vnd.ms-word.document.macroEnabled.main+xml",
                   {"word/vbaProject.bin": b"\x00" * 16})


def xlsx_bytes() -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active.append(["Bulan", "Capaian"])  # type: ignore[union-attr]
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def odt_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", "<office:document-content/>")
    return buffer.getvalue()


def test_each_accepted_type_is_told_by_its_bytes() -> None:
    assert detect(PDF_BYTES) is PDF
    assert detect(PNG_BYTES) is PNG
    assert detect(JPEG_BYTES) is JPEG
    assert detect(DOCX_BYTES) is DOCX
    assert detect(xlsx_bytes()) is XLSX  # as a spreadsheet program writes it
    assert detect(odt_bytes()) is ODT
    assert all(accepted(b) is not None for b in (PDF_BYTES, PNG_BYTES, DOCX_BYTES))


def test_anything_else_is_refused_whatever_it_is_called() -> None:
    assert detect(EXE_BYTES) is None  # an executable, named laporan.pdf or not
    assert detect(DOCM_BYTES) is None  # a macro-enabled document
    assert detect(b"PK\x03\x04" + b"\x00" * 40) is None  # a broken ZIP
    plain_zip = io.BytesIO()
    with zipfile.ZipFile(plain_zip, "w") as archive:
        archive.writestr("setup.exe", EXE_BYTES)
    assert detect(plain_zip.getvalue()) is None  # a ZIP that is no document
    assert detect(b"") is None and detect(b"\xff\xd8\xff") is None
    assert detect(b"<html><script>alert(1)</script>") is None
    assert accepted(EXE_BYTES) is None


@given(st.binary(max_size=300))
def test_detection_never_fails_on_any_bytes(data: bytes) -> None:
    found = detect(data)
    assert found is None or data[:1] in (b"%", b"\xff", b"\x89", b"P")


def test_a_zip_part_that_claims_to_be_huge_is_not_read() -> None:
    big = ooxml("application/vnd.openxmlformats-officedocument.wordprocessingml.document"
                ".main+xml")
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b" " * (1024 * 1024))
    assert detect(bomb.getvalue()) is None and detect(big) is DOCX


def test_names_lose_their_path_and_control_characters() -> None:
    assert clean_file_name("laporan\x00.pdf", PDF) == "laporan.pdf"
    assert clean_file_name("../../etc/passwd", PDF) == "passwd.pdf"
    assert clean_file_name("C:\\Users\\siti\\Bukti Maret.PDF", PDF) == "Bukti Maret.PDF"
    assert clean_file_name("foto.jpeg", JPEG) == "foto.jpeg"
    assert clean_file_name("laporan.pdf", PNG) == "laporan.pdf.png"  # what it really is
    assert clean_file_name("", DOCX) == "bukti.docx"
    assert clean_file_name(None, PDF) == "bukti.pdf"
    assert clean_file_name("...", PDF) == "bukti.pdf"
    assert clean_file_name('a"b<c>\r\n.pdf', PDF) == "abc.pdf"


@given(st.text(max_size=400), st.sampled_from([PDF, PNG, JPEG, DOCX, XLSX]))
def test_a_cleaned_name_is_always_safe(name: str, file_type: object) -> None:
    assert file_type in (PDF, PNG, JPEG, DOCX, XLSX)
    cleaned = clean_file_name(name, file_type)  # type: ignore[arg-type]
    assert 0 < len(cleaned) <= FILE_NAME_MAX
    assert not re.search(r"[\x00-\x1f\x7f/\\\"\ud800-\udfff]", cleaned)
    assert not cleaned.startswith(".")
    assert cleaned.lower().endswith(file_type.extension) or (  # type: ignore[attr-defined]
        file_type is JPEG and cleaned.lower().endswith(".jpeg"))


def test_the_files_an_appraisals_events_refer_to() -> None:
    digest = "a" * 64
    other = "b" * 64
    events = [
        ("ProgressReported", {"report": {"evidence": [
            {"kind": "file", "sha256": digest, "description": "x"},
            {"kind": "link", "url": "https://example.org", "description": "y"}]}}),
        ("ActivityLogged", {"activity": {"evidence": [
            {"kind": "file", "sha256": other, "description": "z"}]}}),
        ("FeedbackGiven", {"feedback": {"evidence": [{"kind": "file", "sha256": "c" * 64}]}}),
        ("ProgressReported", {"report": {}}),
    ]
    assert referenced_files(events) == {digest, other}
