"""documents/render.py: the same data gives the same bytes in this process and in a
fresh one (no clock, no machine font, no cache in the output); the code is read back
from the metadata; a file that is not a PDF has no code."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from documents.render import code_in_pdf, render

PROGRAM = """
import hashlib, sys
from tests.documents.test_render import sample
document, code = sample()
from documents.render import render
sys.stdout.write(hashlib.sha256(render(document, code)).hexdigest())
"""


def sample():  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    from domain.documents import DocumentCode, DocumentKind, Reflected

    person = {"name": "Ni Luh Putu Ayu Ṣaraswatī", "nip": "199205202019032003",
              "position": "Pranata Komputer", "unit": "Diskominfo", "rank": "-"}
    content = {"kind": "skp", "title": "Sasaran Kinerja Pegawai", "appraisal_id": "a-1",
               "period": "1 Januari 2026 - 31 Desember 2026", "year": "2026",
               "agency": "pemkot-demo", "employee": person, "appraiser": person,
               "superior": person, "provisional": False, "approach": "kuantitatif",
               "rhk": [{"kind": "utama", "description": "Layanan", "supports": "",
                        "perspective": "", "rating": "", "note": "",
                        "indicators": [{"description": "Permohonan", "aspect": "kuantitas",
                                        "target": "120 permohonan", "realisation": ""}]}],
               "behaviour": [{"value": "Akuntabel", "expectation": "", "rating": ""}],
               "annex": {"resource_support": [], "accountability_scheme": [],
                         "consequences": []}}
    document = Reflected(DocumentKind.SKP, content, 4, bytes(range(32)),
                         datetime(2026, 2, 1, 3, 4, 5, tzinfo=UTC), "TargetsApproved")
    return document, DocumentCode("a-1", DocumentKind.SKP, 4, bytes(range(32)).hex())


def test_same_data_same_bytes_here_and_in_a_fresh_process() -> None:
    document, code = sample()
    first = render(document, code)
    assert render(document, code) == first
    fresh = subprocess.run([sys.executable, "-c", PROGRAM], capture_output=True, text=True,
                           check=True, cwd=Path(__file__).resolve().parents[2], timeout=120)
    assert fresh.stdout == hashlib.sha256(first).hexdigest()
    assert first.startswith(b"%PDF-")
    assert code_in_pdf(first) == code.text()


def test_a_file_that_is_not_a_pdf_has_no_code() -> None:
    assert code_in_pdf(b"") is None
    assert code_in_pdf(b"%PDF-1.7\n\x00\xff garbage") is None
    assert code_in_pdf(b"PK\x03\x04 a zip") is None
