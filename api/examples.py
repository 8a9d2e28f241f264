"""Example bodies shown in the OpenAPI document (and used by its "Try it out")."""

from __future__ import annotations

from typing import Any

SKP: dict[str, Any] = {
    "approach": "kuantitatif",
    "rhk": [
        {"id": "rhk-1", "kind": "utama",
         "description": "Terlaksananya layanan informasi publik",
         "indicators": [{"id": "ind-1", "description": "Permohonan informasi terlayani",
                         "aspect": "kuantitas",
                         "target": {"value": "120", "unit": "permohonan"}}]},
        {"id": "rhk-2", "kind": "utama", "description": "Situs web dinas mutakhir",
         "indicators": [{"id": "ind-2", "description": "Konten dimutakhirkan tiap minggu",
                         "aspect": "waktu", "target": {"value": "52", "unit": "minggu"}}]},
        {"id": "rhk-3", "kind": "tambahan", "description": "Pelatihan internal",
         "indicators": [{"id": "ind-3", "description": "Sesi pelatihan",
                         "aspect": "kuantitas", "target": {"value": "4", "unit": "sesi"}}]},
    ],
    "behaviour": [
        {"value": "berorientasi_pelayanan",
         "leader_expectation": "Menjawab permohonan dalam 3 hari kerja"},
        {"value": "akuntabel"}, {"value": "kompeten"}, {"value": "harmonis"},
        {"value": "loyal"}, {"value": "adaptif"}, {"value": "kolaboratif"},
    ],
    "annex": {"resource_support": ["Akses server CMS"], "accountability_scheme": [],
              "consequences": []},
}
PROGRESS = {
    "period": "2026-03",
    "realisations": [{"indicator_id": "ind-1", "value": "31"},
                     {"indicator_id": "ind-2", "value": "13"}],
    "evidence": [{"kind": "link", "description": "Rekap permohonan Maret",
                  "url": "https://arsip.example.go.id/ppid/2026-03"},
                 {"kind": "file", "description": "Laporan triwulan (PDF)",
                  "sha256": "9f2b5c0e1d7a4e3c8b6f0a1d2c3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e"}],
    "notes": "Lonjakan permohonan pada minggu ketiga.",
}
ACTIVITY = {"day": "2026-03-12", "rhk_id": "rhk-1", "minutes": 240,
            "description": "Melayani 6 permohonan informasi di loket PPID"}
FEEDBACK = {"text": "Waktu tanggap sudah baik; dokumentasikan SOP-nya.", "rhk_id": "rhk-1"}
SELF_ASSESSMENT = {
    "ratings": [{"rhk_id": "rhk-1", "proposed": "above", "narrative": "148 dari 120"},
                {"rhk_id": "rhk-2", "proposed": "meets"},
                {"rhk_id": "rhk-3", "proposed": "meets"}],
    "narrative": "Target utama terlampaui; pelatihan sesuai rencana.",
}
REVIEW = {
    "rhk": [{"rhk_id": "rhk-1", "rating": "above"}, {"rhk_id": "rhk-2", "rating": "meets"},
            {"rhk_id": "rhk-3", "rating": "meets"}],
    "values": [{"value": v, "rating": "meets"} for v in (
        "berorientasi_pelayanan", "akuntabel", "kompeten", "harmonis", "loyal", "adaptif",
        "kolaboratif")],
    "work_result": "above",
    "work_result_reason": "RHK utama 1 jauh di atas target dan berdampak pada IKM dinas.",
}
PERIOD_REVIEW = {
    "period": 1,
    "ratings": {key: REVIEW[key] for key in ("rhk", "values")},
    "feedback": "Triwulan I baik; lengkapi bukti dukung pelatihan sebelum akhir April.",
}
SET_TARGETS = {"skp": SKP, "reason": "SKP belum disetujui sampai batas 31 Januari."}
EXTEND = {"deadline": "skp", "until": "2026-02-14T23:59:59+07:00",
          "reason": "Gangguan aplikasi pada minggu terakhir Januari."}
EXTEND_PERIOD = {"due": "2026-04-30T23:59:59+07:00",
                 "reason": "Penilai cuti besar sampai 24 April; data triwulan I terlambat."}
CANCEL = {"reason_kind": "transfer", "reason": "Mutasi ke Dinas Kesehatan per 1 Juli."}


def example(value: Any, summary: str = "example") -> dict[str, Any]:
    """One named example for ``Body(openapi_examples=...)``."""
    return {summary: {"value": value}}
