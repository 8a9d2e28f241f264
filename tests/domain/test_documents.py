"""domain/documents.py without a database: which document exists when, the event each
reflects, the code's text form, and the verdicts over a hash-chained trail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench.harness.builders import (
    APPRAISER,
    EMPLOYEE,
    HR,
    PARTIES,
    SUPERIOR,
    SYSTEM,
    Run,
    open_command,
    ratings,
    sample_skp,
)
from domain.appraisal import (
    AcceptResult,
    ApproveTargets,
    DecideObjection,
    DraftTargets,
    FileObjection,
    GiveExplanation,
    ReleaseResult,
    ReportProgress,
    RequestExplanations,
    SubmitReview,
    SubmitSelfAssessment,
    SubmitTargets,
)
from domain.checkpoint import Checkpoint, generate_private_key, public_key_bytes, sign_checkpoint
from domain.documents import (
    BadCode,
    DocumentCode,
    DocumentKind,
    Identity,
    Seal,
    TrailEvent,
    Unavailable,
    parse_code,
    reflected,
    verdict,
)
from domain.integrity import GENESIS_HASH, canonical_event, chain_hash, event_id
from domain.merkle import inclusion_proof, leaf_hash, root
from domain.skp import ProgressReport, SelfAssessment

STREAM = "appraisal-2026-k1"
PEOPLE = {PARTIES.employee: Identity("Sítì Ñurhalizā", "199205202019032003", "Pranata Komputer",
                                     "Diskominfo"),
          PARTIES.appraiser: Identity("Budi Santoso", "198003152005011002", "Kabid", "Diskominfo"),
          PARTIES.superior: Identity("Rina Wulandari", "197001011995032001", "Kadis",
                                     "Diskominfo")}


def trail_of(run: Run) -> list[TrailEvent]:
    """The run's events as a stored, hash-chained trail."""
    trail, previous = [], GENESIS_HASH
    at = datetime(2026, 1, 5, tzinfo=UTC)
    for version, event in enumerate(run.events, start=1):
        data = event.model_dump(mode="json")
        recorded = at + timedelta(hours=version)
        canonical = canonical_event(event_id=event_id(STREAM, version), stream_id=STREAM,
                                    version=version, type=event.type, schema_version=1,
                                    data=data, metadata={}, recorded_at=recorded)
        hash_ = chain_hash(previous, canonical)
        trail.append(TrailEvent(version, event.type, data, recorded, hash_, previous, canonical))
        previous = hash_
    return trail


def released() -> Run:
    run = Run()
    run.do(open_command(), HR)
    run.do(DraftTargets(skp=sample_skp()), EMPLOYEE)
    run.do(SubmitTargets(), EMPLOYEE)
    run.do(ApproveTargets(), APPRAISER)
    run.do(ReportProgress(report=ProgressReport.model_validate({
        "period": "2026-02", "realisations": [{"indicator_id": "ind-1", "value": "40"}]})),
        EMPLOYEE)
    run.do(SubmitSelfAssessment(assessment=SelfAssessment.model_validate({
        "ratings": [{"rhk_id": f"rhk-{i}", "proposed": "meets"} for i in (1, 2, 3)],
        "narrative": "Tercapai."})), EMPLOYEE, at=run.now + timedelta(days=300))
    run.do(SubmitReview(ratings=ratings()), APPRAISER)
    run.do(ReleaseResult(exception_reason="Di luar siklus.", unit_calibrated=False), HR)
    return run


def test_each_document_exists_from_its_event_and_reflects_the_last_that_changed_it() -> None:
    run = released()
    trail = trail_of(run)
    skp = reflected(DocumentKind.SKP, trail, PEOPLE)
    assert (skp.version, skp.event_type) == (4, "TargetsApproved")  # progress changes nothing
    assert skp.content["employee"]["name"] == "Sítì Ñurhalizā"
    assert skp.content["rhk"][0]["indicators"][0]["realisation"] == ""
    with pytest.raises(Unavailable):
        reflected(DocumentKind.SKP, trail, PEOPLE, up_to=3)
    evaluation = reflected(DocumentKind.EVALUASI, trail, PEOPLE)
    assert evaluation.event_type == "ResultReleased" and evaluation.content["provisional"]
    assert evaluation.content["rhk"][0]["indicators"][0]["realisation"] == "40"
    assert evaluation.content["predikat"] == "Baik"
    with pytest.raises(Unavailable, match="no objection"):
        reflected(DocumentKind.KEBERATAN, trail, PEOPLE)
    run.do(AcceptResult(), EMPLOYEE)
    final = reflected(DocumentKind.EVALUASI, trail_of(run), PEOPLE)
    assert final.version > evaluation.version and not final.content["provisional"]


def test_verdicts_match_superseded_and_tampered() -> None:
    run = released()
    trail = trail_of(run)
    key = generate_private_key()
    public = public_key_bytes(key)
    printed = reflected(DocumentKind.EVALUASI, trail, PEOPLE)
    leaves = [leaf_hash(e.hash) for e in trail]
    checkpoint = sign_checkpoint(key, len(leaves), root(leaves), datetime(2026, 12, 1,
                                                                           tzinfo=UTC))
    seq = printed.version - 1
    proof = inclusion_proof(leaves, seq)
    code = DocumentCode(STREAM, DocumentKind.EVALUASI, printed.version, printed.hash.hex(),
                        Seal(seq, checkpoint))
    assert verdict(code, trail, PEOPLE, public_key=public, log_seq=seq, proof=proof
                   ).status == "match"

    forged = Checkpoint(checkpoint.tree_size, bytes(32), checkpoint.signed_at,
                        checkpoint.key_id, checkpoint.signature)
    assert verdict(DocumentCode(STREAM, code.kind, code.version, code.hash_hex,
                                Seal(seq, forged)), trail, PEOPLE, public_key=public
                   ).reasons == ("the checkpoint's signature does not verify with the public key",)
    assert verdict(code, trail, PEOPLE, public_key=public, log_seq=seq + 1).status == "tampered"
    assert verdict(code, trail, PEOPLE, public_key=public, log_seq=seq,
                   proof=proof[1:]).reasons == (
        "the event is not in the checkpoint's tree (inclusion proof fails)",)

    run.do(FileObjection(reasons="Realisasi melampaui target."), EMPLOYEE)
    run.do(RequestExplanations(parties=("appraiser", "employee"), questions="Mohon."), SUPERIOR)
    run.do(GiveExplanation(text="Sesuai."), APPRAISER)
    run.do(GiveExplanation(text="Lebih."), EMPLOYEE)
    run.do(DecideObjection(outcome="change", reason="Bukti kuat.", work_result="above",
                           behaviour="above"), SUPERIOR)
    later = trail_of(run)
    superseded = verdict(code, later, PEOPLE, public_key=public)
    assert superseded.status == "superseded" and "ObjectionDecided" in (superseded.later or "")
    altered = list(later)
    altered[1] = TrailEvent(2, later[1].type, later[1].data, later[1].recorded_at,
                            later[1].hash, later[1].prev_hash, later[1].canonical + b" ")
    assert verdict(code, altered, PEOPLE, public_key=public).reasons == (
        "event 2's stored content does not give its hash (the log was altered)",)


@given(appraisal=st.from_regex(r"[A-Za-z0-9._-]{1,60}", fullmatch=True),
       kind=st.sampled_from(DocumentKind), version=st.integers(1, 10**9),
       digest=st.binary(min_size=32, max_size=32), sealed=st.booleans(),
       seq=st.integers(0, 10**12))
def test_the_code_reads_back_as_written(appraisal: str, kind: DocumentKind, version: int,
                                        digest: bytes, sealed: bool, seq: int) -> None:
    seal = None
    if sealed:
        checkpoint = sign_checkpoint(KEY, seq + 1, digest, datetime(2026, 3, 1, 1, 2, 3, 456789,
                                                                    tzinfo=UTC))
        seal = Seal(seq, checkpoint)
    code = DocumentCode(appraisal, kind, version, digest.hex(), seal)
    assert parse_code(code.text()) == code
    assert parse_code(code.short()).hash_hex == digest.hex()[:16]


KEY = generate_private_key()


@pytest.mark.parametrize("text", ["", "KINERJA-DOK1~a~rapor~1~" + "0" * 64,
                                  "KINERJA-DOK1~a~skp~0~" + "0" * 64, "x" * 2000,
                                  "KINERJA-DOK1~a\x00~skp~1~" + "0" * 64,
                                  "KINERJA-DOK1~a~skp~1~" + "0" * 15])
def test_what_is_not_a_code_is_refused_naming_the_rule(text: str) -> None:
    with pytest.raises(BadCode):
        parse_code(text)


def test_the_evaluation_lists_the_periodic_reviews_it_drew_on() -> None:
    import io

    from pypdf import PdfReader

    from documents.render import render
    from domain.appraisal import PassPeriodDeadline, ReviewPeriod
    from domain.policy import POLICY_6_2022, period_end, period_review_due
    from domain.ratings import Rating

    run = Run()
    run.do(open_command(), HR)
    run.do(DraftTargets(skp=sample_skp()), EMPLOYEE)
    run.do(SubmitTargets(), EMPLOYEE)
    run.do(ApproveTargets(), APPRAISER)
    year, policy = run.state.calendar.year, POLICY_6_2022  # type: ignore[union-attr]
    run.do(PassPeriodDeadline(period=1), SYSTEM, at=period_review_due(year, 1, policy, 7))
    feedback = "Pertahankan; lengkapi bukti dukung."
    run.do(ReviewPeriod(period=2, ratings=ratings(rhk=Rating.ABOVE, values=Rating.ABOVE),
                        feedback=feedback), APPRAISER,
           at=period_end(year, 2, policy, 7) + timedelta(days=3))
    run.do(SubmitSelfAssessment(assessment=SelfAssessment.model_validate({
        "ratings": [{"rhk_id": f"rhk-{i}", "proposed": "meets"} for i in (1, 2, 3)],
        "narrative": "Tercapai."})), EMPLOYEE, at=run.now + timedelta(days=300))
    run.do(SubmitReview(ratings=ratings()), APPRAISER)
    run.do(ReleaseResult(exception_reason="Di luar siklus.", unit_calibrated=False), HR)

    evaluation = reflected(DocumentKind.EVALUASI, trail_of(run), PEOPLE)
    assert evaluation.content["periods"] == [
        {"label": f"Triwulan I {year}", "work_result": "", "behaviour": "", "predikat": "",
         "reviewed_on": "", "late": True},
        {"label": f"Triwulan II {year}", "work_result": "Di Atas Ekspektasi",
         "behaviour": "Di Atas Ekspektasi", "predikat": "Sangat Baik",
         "reviewed_on": f"3 Juli {year}", "late": False}]
    code = DocumentCode(evaluation.content["appraisal_id"], DocumentKind.EVALUASI,
                        evaluation.version, evaluation.hash.hex())
    pdf = render(evaluation, code)
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
    assert "PENILAIAN KINERJA PERIODIK" in text
    assert f"Triwulan I {year} tidak dinilai" in text
    assert f"Triwulan II {year}" in text and "Sangat Baik" in text
    # Without periods (a policy without them, or none reviewed or missed): no table.
    plain = reflected(DocumentKind.EVALUASI, trail_of(released()), PEOPLE)
    assert plain.content["periods"] == []
    plain_pdf = render(plain, DocumentCode(plain.content["appraisal_id"],
                                           DocumentKind.EVALUASI, plain.version,
                                           plain.hash.hex()))
    assert "PERIODIK" not in " ".join(p.extract_text()
                                      for p in PdfReader(io.BytesIO(plain_pdf)).pages)
