"""A document's data to PDF bytes: the Typst compiler of the ``typst`` wheel (its own
fonts only, no system font, no package), the template ``templates/document.typ``, the
data as JSON and the QR code as SVG (segno). Deterministic: the same data gives the
same bytes (the document's date is the reflected event's time, not the clock)."""

from __future__ import annotations

import io
import json
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import segno
import typst

from domain.documents import DocumentCode, Reflected, ReportKind, local_date

TEMPLATES = Path(__file__).parent / "templates"
TEMPLATE = TEMPLATES / "document.typ"
REPORT_TEMPLATE = TEMPLATES / "report.typ"
"""HR's reports of a cycle (``laporan-unit``, ``ringkasan-siklus``: domain/reports.py)."""

def qr_svg(text: str) -> bytes:
    """The QR code of ``text`` as SVG (error correction M). The mask is fixed: any of the
    eight is valid, and evaluating all of them (segno's default) took most of a
    document's time."""
    out = io.BytesIO()
    segno.make_qr(text, error="m", mask=0).save(out, kind="svg", border=2, xmldecl=False,
                                         svgns=True, omitsize=False, scale=4)
    return out.getvalue()


def template_data(document: Reflected, code: DocumentCode, *, utc_offset_hours: int = 7,
                  place: str | None = None) -> dict[str, Any]:
    """The JSON the template reads: the content, the code, the date (the reflected
    event's time, in the agency's zone) and the place of signing (blank dots when the
    project does not know it)."""
    utc = document.recorded_at.astimezone(UTC)
    seal = code.seal
    return {
        **document.content,
        "code": code.text(),
        "short_code": code.short(),
        "version": document.version,
        "event_time": utc.strftime("%Y-%m-%d %H:%M:%S UTC"),
        "sealed": seal is not None,
        "tree_size": seal.checkpoint.tree_size if seal is not None else 0,
        "date": {"year": utc.year, "month": utc.month, "day": utc.day, "hour": utc.hour,
                 "minute": utc.minute, "second": utc.second},
        "date_text": local_date(document.recorded_at, utc_offset_hours),
        "place": place or "......................",
    }


_LOCAL = threading.local()


def _compiler(template: Path = TEMPLATE) -> typst.Compiler:
    """This thread's compiler of ``template`` (fonts parsed once, Typst's caches kept
    between documents; a compiler is not shared between threads)."""
    compilers: dict[Path, typst.Compiler] | None = getattr(_LOCAL, "compilers", None)
    if compilers is None:
        compilers = _LOCAL.compilers = {}
    compiler = compilers.get(template)
    if compiler is None:
        compiler = typst.Compiler(str(template), root=str(TEMPLATES), ignore_system_fonts=True)
        compilers[template] = compiler
    return compiler


def render_pdf(data: dict[str, Any], qr_text: str, *, template: Path = TEMPLATE) -> bytes:
    """The PDF of ``data`` (see :func:`template_data`) with the QR code of ``qr_text``."""
    moment = datetime(data["date"]["year"], data["date"]["month"], data["date"]["day"],
                      data["date"]["hour"], data["date"]["minute"], data["date"]["second"],
                      tzinfo=UTC)
    pdf = _compiler(template).compile(
        format="pdf", sys_inputs={"data": json.dumps(data, ensure_ascii=False, sort_keys=True),
                    "qr": qr_svg(qr_text).decode("ascii")},
        timestamp=int(moment.timestamp()))
    assert isinstance(pdf, bytes)
    return pdf


def render(document: Reflected, code: DocumentCode, *, utc_offset_hours: int = 7,
           place: str | None = None) -> bytes:
    """The PDF of ``document`` carrying ``code`` (footer, metadata and QR code); HR's
    reports with their own template."""
    template = REPORT_TEMPLATE if isinstance(document.kind, ReportKind) else TEMPLATE
    return render_pdf(template_data(document, code, utc_offset_hours=utc_offset_hours,
                                    place=place), code.text(), template=template)


def code_in_pdf(pdf: bytes) -> str | None:
    """The verification code a document carries in its metadata (its keywords), read
    without decoding the QR image; None when there is none."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(pdf))
        metadata = reader.metadata
    except Exception:
        return None
    keywords = metadata.get("/Keywords") if metadata is not None else None
    if not isinstance(keywords, str):
        return None
    for word in keywords.replace(",", " ").split():
        if word.startswith("KINERJA-DOK1~"):
            return word
    return None
