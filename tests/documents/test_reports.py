"""HR's reports of a cycle (domain/reports.py, documents/templates/report.typ): folded
from the cycle's events alone, their text read back from the PDF (pypdf), the code in
the metadata; the summary is provisional until the closing and each release or the
closing is a new version of it; a unit report exists from its unit's release."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pypdf import PdfReader

from documents.render import code_in_pdf, render
from domain.cycle.events import (
    CycleClosed,
    CycleCreated,
    CycleEvent,
    CycleStarted,
    OrganisationRatingSet,
    UnitReleased,
    event_data,
)
from domain.documents import (
    DocumentCode,
    ReportKind,
    TrailEvent,
    Unavailable,
    parse_code,
    verdict,
)
from domain.integrity import GENESIS_HASH
from domain.policy import CycleCalendar
from domain.ratings import Predikat
from domain.reports import report, report_changes, unit_of_code

AT = datetime(2027, 1, 20, 2, 0, tzinfo=UTC)
NAMES = {"diskominfo": "Dinas Komunikasi dan Informatika", "bappeda": "Badan Perencanaan"}
EXCEPTION = "Unit kecil; pimpinan menilai sebaran wajar."


def cycle_events(*, closed: bool = True) -> list[CycleEvent]:
    calendar = CycleCalendar(year=2026, utc_offset_hours=7, skp_deadline=AT, review_deadline=AT,
                             self_assessment_deadline=AT)
    events: list[CycleEvent] = [
        CycleCreated(at=AT, cycle_id="pemkot-demo-2026", agency="pemkot-demo", year=2026,
                     policy="permenpan-rb-6-2022", calendar=calendar),
        CycleStarted(at=AT, roster_digest="d" * 64, members=14,
                     units=("bappeda", "diskominfo")),
        OrganisationRatingSet(at=AT, unit="diskominfo", rating="baik"),
        UnitReleased(at=AT, unit="diskominfo", passed=True,
                     counts={Predikat.SANGAT_BAIK: 2, Predikat.BAIK: 6,
                             Predikat.BUTUH_PERBAIKAN: 1},
                     broken=(), exception_reason=None),
        OrganisationRatingSet(at=AT, unit="bappeda", rating="istimewa"),
        UnitReleased(at=AT, unit="bappeda", passed=False,
                     counts={Predikat.SANGAT_BAIK: 1, Predikat.BAIK: 4},
                     broken=("Sangat Baik more than 50%",), exception_reason=EXCEPTION),
    ]
    if closed:
        events.append(CycleClosed(at=AT, distribution={
            "diskominfo": {Predikat.SANGAT_BAIK: 2, Predikat.BAIK: 5,
                           Predikat.BUTUH_PERBAIKAN: 2},
            "bappeda": {Predikat.SANGAT_BAIK: 1, Predikat.BAIK: 4}}))
    return events


def trail_of(events: list[CycleEvent]) -> list[TrailEvent]:
    trail = []
    previous = GENESIS_HASH
    for version, event in enumerate(events, start=1):
        digest = bytes([version]) * 32
        trail.append(TrailEvent(version=version, type=event.type, data=event_data(event),
                                recorded_at=AT + timedelta(minutes=version), hash=digest,
                                prev_hash=previous))
        previous = digest
    return trail


def text_of(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in
                             PdfReader(io.BytesIO(pdf)).pages).split())


def printed(kind: ReportKind, trail: list[TrailEvent], unit: str | None = None
            ) -> tuple[str, str, Any]:
    document = report(kind, trail, NAMES, unit=unit)
    code = DocumentCode("cycle-pemkot-demo-2026", kind, document.version, document.hash.hex())
    pdf = render(document, code)
    assert pdf.startswith(b"%PDF-") and render(document, code) == pdf
    assert code_in_pdf(pdf) == code.text()
    return text_of(pdf), code.text(), document


def test_the_unit_report_shows_the_distribution_the_curve_and_the_release() -> None:
    trail = trail_of(cycle_events())
    text, code, document = printed(ReportKind.UNIT, trail, "bappeda")
    assert document.version == 6 and document.event_type == "UnitReleased"
    assert "LAPORAN KALIBRASI PREDIKAT KINERJA UNIT KERJA" in text
    assert "Badan Perencanaan (bappeda)" in text
    assert "Istimewa" in text
    assert "Sangat Baik 1 20%" in text and "Baik 4 80%" in text
    assert "Sangat Baik lebih dari 50%" in text and "tidak memenuhi" in text
    assert "dirilis dengan pengecualian" in text
    assert EXCEPTION in text
    assert parse_code(code).kind is ReportKind.UNIT

    passed, _, _ = printed(ReportKind.UNIT, trail, "diskominfo")
    assert "tanpa pengecualian" in passed and "Alasan pengecualian" not in passed
    assert "Sangat Baik 2 22%" in passed and "Baik 6 67%" in passed


def test_no_unit_report_before_the_release() -> None:
    trail = trail_of(cycle_events()[:5])
    with pytest.raises(Unavailable, match="not been released"):
        report(ReportKind.UNIT, trail, NAMES, unit="bappeda")
    with pytest.raises(Unavailable, match="not been released"):
        report(ReportKind.UNIT, trail, NAMES, unit="nowhere")


def test_the_cycle_summary_is_provisional_until_closed_then_final() -> None:
    open_text, _, open_doc = printed(ReportKind.SUMMARY, trail_of(cycle_events(closed=False)))
    assert open_doc.version == 6 and "SEMENTARA" in open_text
    assert "RINGKASAN SIKLUS PENILAIAN KINERJA PEGAWAI" in open_text
    assert "Unit dirilis: 2 dari 2" in open_text
    assert "Jumlah 3 10 1 0 0 14" in open_text  # totals as released

    closed_text, _, closed_doc = printed(ReportKind.SUMMARY, trail_of(cycle_events()))
    assert closed_doc.version == 7 and closed_doc.event_type == "CycleClosed"
    assert "SEMENTARA" not in closed_text and "sebaran final" in closed_text
    assert "Jumlah 3 9 2 0 0 14" in closed_text
    assert "Dinas Komunikasi dan Informatika (diskominfo) Baik dirilis, sesuai kurva" \
        in closed_text
    assert "Badan Perencanaan (bappeda) Istimewa dirilis dengan pengecualian" in closed_text


def test_a_summary_printed_before_the_closing_is_superseded_and_a_unit_report_matches() -> None:
    trail = trail_of(cycle_events())
    versions = report_changes(ReportKind.SUMMARY, trail, {})
    assert [v.version for v in versions if v is not None] == [2, 3, 4, 5, 6, 7]
    early = DocumentCode("cycle-pemkot-demo-2026", ReportKind.SUMMARY, 4, trail[3].hash.hex())
    answer = verdict(early, trail, {}, public_key=None, versions=versions)
    assert answer.status == "superseded" and answer.current_version == 7
    assert "event 5 (OrganisationRatingSet" in " ".join(answer.reasons)

    unit = unit_of_code(trail, 6)
    assert unit == "bappeda"
    code = DocumentCode("cycle-pemkot-demo-2026", ReportKind.UNIT, 6, trail[5].hash.hex())
    ok = verdict(code, trail, {}, public_key=None,
                 versions=report_changes(ReportKind.UNIT, trail, {}, unit=unit))
    assert ok.status == "match"
    wrong = DocumentCode("cycle-pemkot-demo-2026", ReportKind.UNIT, 5, trail[4].hash.hex())
    assert unit_of_code(trail, 5) is None
    bad = verdict(wrong, trail, {}, public_key=None, versions=[])
    assert bad.status == "tampered" and "no laporan-unit document reflects event 5" \
        in bad.reasons[0]
