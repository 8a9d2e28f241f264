"""The documents people sign and file, as data: what each one says, which event of the
log it reflects, and the verification code printed on it (docs/documents.md).

Three kinds exist for an appraisal:

- ``skp``: the Sasaran Kinerja Pegawai, once the targets are approved (or set by HR);
- ``evaluasi``: the Dokumen Evaluasi Kinerja Pegawai, once the result is released
  (provisional, marked so, until the appraisal is final) and when final;
- ``keberatan``: the decision on an objection (keputusan atas keberatan), once decided.

A document reflects the *last event that changed what it says*: later events that do
not change it (a progress report after the SKP was approved) leave it as it was, so a
reprint gives the same data, the same date (that event's time) and so the same bytes.
The verification code names the appraisal, the kind, that event's version and hash, and
the signed checkpoint of the log that covers it (when the event was sealed at printing).

Pure: the caller brings the trail, the people's identities and the checkpoint.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from enum import StrEnum
from typing import Any, Literal

from domain.appraisal import AppraisalState, Phase, TargetStatus, evolve
from domain.appraisal.events import event_from_data
from domain.checkpoint import Checkpoint, key_id, verify_checkpoint
from domain.indicators import document_text
from domain.integrity import GENESIS_HASH, chain_hash, format_timestamp
from domain.merkle import leaf_hash, verify_inclusion
from domain.skp import CoreValue, Target


class DocumentKind(StrEnum):
    SKP = "skp"
    EVALUASI = "evaluasi"
    KEBERATAN = "keberatan"


class ReportKind(StrEnum):
    """HR's documents of a cycle (:mod:`domain.reports`): they reflect events of the
    cycle's stream, not of an appraisal's."""

    UNIT = "laporan-unit"
    SUMMARY = "ringkasan-siklus"


AnyKind = DocumentKind | ReportKind


def kind_of(text: str) -> AnyKind:
    """The kind named ``text`` (ValueError when none)."""
    if text in DocumentKind.__members__.values():
        return DocumentKind(text)
    return ReportKind(text)


TITLES: Mapping[DocumentKind, str] = {
    DocumentKind.SKP: "Sasaran Kinerja Pegawai",
    DocumentKind.EVALUASI: "Dokumen Evaluasi Kinerja Pegawai",
    DocumentKind.KEBERATAN: "Keputusan atas Keberatan Hasil Evaluasi Kinerja Pegawai",
}

_VALUE_LABELS: Mapping[CoreValue, str] = {
    CoreValue.BERORIENTASI_PELAYANAN: "Berorientasi Pelayanan",
    CoreValue.AKUNTABEL: "Akuntabel",
    CoreValue.KOMPETEN: "Kompeten",
    CoreValue.HARMONIS: "Harmonis",
    CoreValue.LOYAL: "Loyal",
    CoreValue.ADAPTIF: "Adaptif",
    CoreValue.KOLABORATIF: "Kolaboratif",
}

_ORGANISATION_LABELS = {
    "istimewa": "Istimewa", "baik": "Baik", "butuh_perbaikan": "Butuh Perbaikan",
    "kurang": "Kurang", "sangat_kurang": "Sangat Kurang",
}


@dataclass(frozen=True)
class Identity:
    """One person as the document names them (from the agency's roster)."""

    name: str
    nip: str
    position: str
    unit: str
    rank: str | None = None
    """Pangkat/golongan: the roster does not hold it yet (the document prints a dash)."""


class Unavailable(Exception):
    """The document does not exist (yet) for this appraisal; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class TrailEvent:
    """What documents need of one stored event: its content, time and hashes."""

    version: int
    type: str
    data: Mapping[str, Any]
    recorded_at: datetime
    hash: bytes
    prev_hash: bytes = GENESIS_HASH
    canonical: bytes = b""


# ---------------------------------------------------------------------- content


def _target(target: Target) -> str:
    if target.text is not None:
        return target.text
    return f"{target.value} {target.unit}"


def _person(identity: Identity | None, key: str | None) -> dict[str, Any]:
    if identity is None:
        return {"name": key or "-", "nip": "-", "position": "-", "unit": "-", "rank": "-"}
    return {"name": identity.name, "nip": identity.nip, "position": identity.position,
            "unit": identity.unit, "rank": identity.rank or "-"}


def available(kind: DocumentKind, state: AppraisalState) -> str | None:
    """None when ``kind`` exists for ``state``; else why not (a sentence)."""
    if kind is DocumentKind.SKP:
        if state.skp is None or state.targets_status not in (TargetStatus.APPROVED,
                                                               TargetStatus.SET_BY_HR):
            return "the SKP has not been approved"
        return None
    if kind is DocumentKind.EVALUASI:
        if state.review is None or state.predikat is None or state.phase not in (
                Phase.OBJECTION_WINDOW, Phase.OBJECTION_REVIEW, Phase.FINAL):
            return "the result has not been released"
        return None
    if state.objection is None or state.objection.decision is None:
        return "no objection has been decided"
    return None


def content(kind: DocumentKind, state: AppraisalState,
            people: Mapping[str, Identity]) -> dict[str, Any]:
    """What the document of ``kind`` says for ``state`` (JSON-ready: strings, lists,
    dicts, booleans), without its date and code; :class:`Unavailable` when it does
    not exist for ``state``. ``people`` maps employee keys to their identities."""
    why_not = available(kind, state)
    if why_not is not None:
        raise Unavailable(why_not)
    assert (state.parties is not None and state.skp is not None) or kind is not DocumentKind.SKP
    parties = state.parties
    assert parties is not None
    year = state.calendar.year if state.calendar is not None else None
    data: dict[str, Any] = {
        "kind": kind.value,
        "title": TITLES[kind],
        "appraisal_id": state.appraisal_id,
        "period": f"1 Januari {year} - 31 Desember {year}" if year else "-",
        "year": str(year) if year else "-",
        "agency": parties.agency,
        "employee": _person(people.get(parties.employee), parties.employee),
        "appraiser": _person(people.get(parties.appraiser or ""), parties.appraiser),
        "superior": _person(people.get(parties.superior or ""), parties.superior),
        "provisional": False,
    }
    skp = state.skp
    ratings = {r.rhk_id: r for r in state.review.ratings.rhk} if state.review else {}
    realised: dict[str, str] = {}
    for period in sorted(state.progress):
        for realisation in state.progress[period].realisations:
            realised[realisation.indicator_id] = (
                realisation.text if realisation.text is not None else str(realisation.value))
    for measured in state.measured.values():  # filled from data, with its source
        realised[measured.indicator_id] = document_text(measured)
    if skp is not None:
        data["approach"] = skp.approach.value
        data["rhk"] = [{
            "kind": rhk.kind.value,
            "description": rhk.description,
            "supports": rhk.supports_rhk or "",
            "perspective": rhk.perspective or "",
            "indicators": [{
                "description": indicator.description,
                "aspect": indicator.aspect.value,
                "target": _target(indicator.target),
                "realisation": realised.get(indicator.id, "-"),
            } for indicator in rhk.indicators],
            "rating": ratings[rhk.id].rating.label if rhk.id in ratings else "",
            "note": (ratings[rhk.id].note or "") if rhk.id in ratings else "",
        } for rhk in skp.rhk]
        values = ({v.value: v for v in state.review.ratings.values}
                  if state.review is not None else {})
        data["behaviour"] = [{
            "value": _VALUE_LABELS[expectation.value],
            "expectation": expectation.leader_expectation or "",
            "rating": values[expectation.value].rating.label
            if expectation.value in values else "",
        } for expectation in skp.behaviour]
        data["annex"] = {
            "resource_support": list(skp.annex.resource_support),
            "accountability_scheme": list(skp.annex.accountability_scheme),
            "consequences": list(skp.annex.consequences),
        }
    if kind is DocumentKind.SKP:
        for item in data["rhk"]:  # the SKP is the agreement, not the result
            item["rating"] = item["note"] = ""
            for indicator in item["indicators"]:
                indicator["realisation"] = ""
        for item in data["behaviour"]:
            item["rating"] = ""
        return data
    review = state.review
    assert review is not None and state.predikat is not None
    data["work_result"] = review.work_result.label
    data["behaviour_rating"] = review.behaviour.label
    data["organisation_rating"] = (_ORGANISATION_LABELS[state.organisation_rating.value]
                                   if state.organisation_rating is not None else "")
    data["predikat"] = state.predikat.label
    data["predikat_before_objection"] = review.predikat.label
    data["periods"] = _periods(state)
    data["provisional"] = state.phase is not Phase.FINAL
    if kind is DocumentKind.KEBERATAN:
        objection = state.objection
        assert objection is not None and objection.decision is not None
        decision = objection.decision
        data["objection"] = {
            "reasons": objection.reasons,
            "filed_at": format_timestamp(objection.filed_at)[:10],
            "outcome": decision.outcome.value,
            "decision_reason": decision.reason,
            "work_result": decision.work_result.label if decision.work_result else "",
            "behaviour": decision.behaviour.label if decision.behaviour else "",
            "predikat": decision.predikat.label,
        }
        data["provisional"] = False
    return data


MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
          "September", "Oktober", "November", "Desember")
"""The months as the documents name them (Indonesian, whatever the page's language)."""
_QUARTERS = ("I", "II", "III", "IV")


def period_label(review_periods: str | None, period: int, year: int) -> str:
    """A review period as people name it: ``Triwulan III 2026`` (quarterly) or
    ``Maret 2026`` (monthly)."""
    if review_periods == "monthly" and 1 <= period <= 12:
        return f"{MONTHS[period - 1]} {year}"
    if review_periods == "quarterly" and 1 <= period <= 4:
        return f"Triwulan {_QUARTERS[period - 1]} {year}"
    return f"Periode {period} {year}"


def local_date(moment: datetime, utc_offset_hours: int) -> str:
    """``moment``'s date in the agency's zone as a document writes it: ``5 Januari 2027``."""
    local = moment.astimezone(timezone(timedelta(hours=utc_offset_hours)))
    return f"{local.day} {MONTHS[local.month - 1]} {local.year}"


def _periods(state: AppraisalState) -> list[dict[str, Any]]:
    """The periodic reviews the annual evaluation drew on (penilaian kinerja periodik,
    PermenPAN-RB 6/2022): a row per period reviewed or whose deadline passed unreviewed,
    in order; none under a policy without periods."""
    policy = state.policy
    if policy is None or policy.review_periods is None or state.calendar is None:
        return []
    year = state.calendar.year
    rows = []
    for n in sorted(set(state.period_reviews) | set(state.missed_periods)):
        label = period_label(policy.review_periods, n, year)
        review = state.period_reviews.get(n)
        rows.append({
            "label": label,
            "work_result": review.work_result.label if review else "",
            "behaviour": review.behaviour.label if review else "",
            "predikat": review.predikat.label if review else "",
            "reviewed_on": (local_date(review.at, state.calendar.utc_offset_hours)
                            if review else ""),
            "late": bool(review.late) if review else True,
        })
    return rows


@dataclass(frozen=True)
class Reflected:
    """A document's content and the event it reflects (the last that changed it)."""

    kind: AnyKind
    content: dict[str, Any]
    version: int
    hash: bytes
    recorded_at: datetime
    event_type: str


def changes(kind: DocumentKind, trail: Sequence[TrailEvent], people: Mapping[str, Identity],
            *, up_to: int | None = None) -> list[Reflected | None]:
    """Each version of the document of ``kind`` in order, as of version ``up_to`` (the
    whole trail without): an entry for every event that changed it (None: an event after
    which it no longer exists)."""
    state = AppraisalState()
    found: list[Reflected | None] = []
    for event in trail:
        if up_to is not None and event.version > up_to:
            break
        state = evolve(state, event_from_data(event.type, dict(event.data)))
        last = found[-1] if found else None
        if available(kind, state) is not None:
            if last is not None:
                found.append(None)
            continue
        now = content(kind, state, people)
        if last is None or last.content != now:
            found.append(Reflected(kind, now, event.version, event.hash, event.recorded_at,
                                   event.type))
    return found


def reflected(kind: DocumentKind, trail: Sequence[TrailEvent],
              people: Mapping[str, Identity], *, up_to: int | None = None) -> Reflected:
    """The document of ``kind`` as of version ``up_to`` (the whole trail without): its
    content and the last event that changed it; :class:`Unavailable` when it does not
    exist at that point."""
    found = changes(kind, trail, people, up_to=up_to)
    if not found or found[-1] is None:
        state = AppraisalState()
        for event in trail:
            if up_to is not None and event.version > up_to:
                break
            state = evolve(state, event_from_data(event.type, dict(event.data)))
        raise Unavailable(available(kind, state) or "the appraisal has no events")
    return found[-1]


# ---------------------------------------------------------------------- the code

CODE_PREFIX = "KINERJA-DOK1"
_CODE = re.compile(
    r"^KINERJA-DOK1~(?P<appraisal>[A-Za-z0-9._-]{1,200})~(?P<kind>skp|evaluasi|keberatan|laporan-unit|ringkasan-siklus)"
    r"~(?P<version>[1-9][0-9]{0,9})~(?P<hash>[0-9a-f]{16,64})"
    r"(?:~(?P<seq>0|[1-9][0-9]{0,15})~(?P<size>[1-9][0-9]{0,15})~(?P<root>[0-9a-f]{64})"
    r"~(?P<at>[0-9]{8}T[0-9]{12}Z)~(?P<key>[0-9a-f]{16})~(?P<sig>[A-Za-z0-9_-]{86}))?$")


@dataclass(frozen=True)
class Seal:
    """Where the reflected event sits in the log's Merkle tree, and the signed
    checkpoint (the first that covers it)."""

    seq: int
    checkpoint: Checkpoint


@dataclass(frozen=True)
class DocumentCode:
    """What the printed code says."""

    appraisal_id: str
    """The stream: an appraisal's id, or ``cycle-<cycle id>`` for HR's reports."""
    kind: AnyKind
    version: int
    hash_hex: str
    """The event's hash, or (typed by hand) its first 16 or more hex digits."""
    seal: Seal | None = None

    def text(self) -> str:
        parts = [CODE_PREFIX, self.appraisal_id, self.kind.value, str(self.version),
                 self.hash_hex]
        if self.seal is not None:
            checkpoint = self.seal.checkpoint
            parts += [str(self.seal.seq), str(checkpoint.tree_size), checkpoint.root.hex(),
                      checkpoint.signed_at.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ"),
                      checkpoint.key_id,
                      base64.urlsafe_b64encode(checkpoint.signature).decode().rstrip("=")]
        return "~".join(parts)

    def short(self) -> str:
        """What a person types: the first four parts and 16 hex digits of the hash."""
        return "~".join([CODE_PREFIX, self.appraisal_id, self.kind.value, str(self.version),
                         self.hash_hex[:16]])


class BadCode(ValueError):
    """Not a document code; the message says which part is wrong."""


def parse_code(text: str) -> DocumentCode:
    """The code of :meth:`DocumentCode.text` (or its short form); :class:`BadCode`."""
    text = text.strip()
    if len(text) > 1000:
        raise BadCode("the code is too long")
    match = _CODE.match(text)
    if match is None:
        if not text.startswith(CODE_PREFIX + "~"):
            raise BadCode(f"a document code starts with {CODE_PREFIX}~")
        raise BadCode("the code's parts are not appraisal~kind~version~hash"
                      "[~seq~tree size~root~time~key~signature]")
    seal = None
    if match["seq"] is not None:
        at = datetime.strptime(match["at"], "%Y%m%dT%H%M%S%fZ").replace(tzinfo=UTC)
        try:
            signature = base64.urlsafe_b64decode(match["sig"] + "==")
        except (binascii.Error, ValueError) as error:  # pragma: no cover - the regex
            raise BadCode("the signature is not base64") from error
        seal = Seal(int(match["seq"]), Checkpoint(
            tree_size=int(match["size"]), root=bytes.fromhex(match["root"]), signed_at=at,
            key_id=match["key"], signature=signature))
    return DocumentCode(match["appraisal"], kind_of(match["kind"]), int(match["version"]),
                        match["hash"], seal)


# ---------------------------------------------------------------------- verdicts

Status = Literal["match", "superseded", "tampered"]


class Reason(str):
    """One reason of a verdict: the English sentence itself (what the command prints),
    with its ``template`` and ``params`` so that a page says it in its reader's language
    (``web/`` translates the template, one of :data:`REASON_TEMPLATES`)."""

    template: str
    params: Mapping[str, str]

    def __new__(cls, template: str, **params: object) -> Reason:
        values = {name: str(value) for name, value in params.items()}
        reason = super().__new__(cls, template.format(**values))
        reason.template = template
        reason.params = values
        return reason


NO_SUCH_EVENT = "the log has no event {version} of this appraisal with this hash"
_LACKS = "the log lacks version {version} of the appraisal"
_NOT_FOLLOWING = "event {version} does not follow event {previous} in the chain"
_ALTERED = "event {version}'s stored content does not give its hash (the log was altered)"
_IN_LOG = "event {version} ({type}) is in the log with this hash"
_OTHER_KEY = "the checkpoint names another signing key"
_BAD_SIGNATURE = "the checkpoint's signature does not verify with the public key"
_SIGNATURE_OK = "the checkpoint's signature verifies"
_OTHER_SEAL = "the log sealed event {version} at position {seq}, not {printed}"
_NO_INCLUSION = "the event is not in the checkpoint's tree (inclusion proof fails)"
_IN_TREE = "the event is in the signed tree of {size} events"
_NOT_REFLECTING = "no {kind} document reflects event {version}"
_REFLECTS_OTHER = ("no {kind} document reflects event {version} (at that point it reflects "
                   "event {other})")
_GONE = "the document no longer exists"
_CHANGED = "{later} changed this document; the current document reflects event {current}"
_CHANGED_GONE = "{later} changed this document; the document no longer exists"

REASON_TEMPLATES: tuple[str, ...] = (
    NO_SUCH_EVENT, _LACKS, _NOT_FOLLOWING, _ALTERED, _IN_LOG, _OTHER_KEY, _BAD_SIGNATURE,
    _SIGNATURE_OK, _OTHER_SEAL, _NO_INCLUSION, _IN_TREE, _NOT_REFLECTING, _REFLECTS_OTHER,
    _GONE, _CHANGED, _CHANGED_GONE)
"""Every reason a verdict gives, as a template (what a page translates)."""


@dataclass(frozen=True)
class Verdict:
    """What the log says of a document: ``match`` (it is the current document),
    ``superseded`` (it matched the log, but a later event changed what it says) or
    ``tampered``; ``reasons`` says why, ``later`` names the superseding event."""

    status: Status
    reasons: tuple[Reason, ...]
    current_version: int | None = None
    later: str | None = None


def _chain_break(trail: Sequence[TrailEvent]) -> Reason | None:
    previous = GENESIS_HASH
    for expected, event in enumerate(trail, start=1):
        if event.version != expected:
            return Reason(_LACKS, version=expected)
        if event.prev_hash != previous:
            return Reason(_NOT_FOLLOWING, version=event.version, previous=expected - 1)
        if event.canonical and chain_hash(previous, event.canonical) != event.hash:
            return Reason(_ALTERED, version=event.version)
        previous = event.hash
    return None


def verdict(code: DocumentCode, trail: Sequence[TrailEvent], people: Mapping[str, Identity],
            *, public_key: bytes | None, log_seq: int | None = None,
            proof: Sequence[bytes] | None = None,
            versions: Sequence[Reflected | None] | None = None) -> Verdict:
    """Check ``code`` against the appraisal's ``trail`` (with canonical bytes, so the
    chain is recomputed), the seal the log holds for its event (``log_seq``) and the
    inclusion ``proof`` of that event in the code's checkpoint; ``public_key``: the
    key checkpoints must be signed with (None: the signature is not checked);
    ``versions``: the document's versions over the trail when it is not an appraisal's
    (HR's reports, :func:`domain.reports.report_changes`)."""
    broken = _chain_break(trail)
    if broken is not None:
        return Verdict("tampered", (broken,))
    event = next((e for e in trail if e.version == code.version), None)
    if event is None or not event.hash.hex().startswith(code.hash_hex):
        # the same words either way: a guess learns nothing
        return Verdict("tampered", (Reason(NO_SUCH_EVENT, version=code.version),))
    reasons: list[Reason] = [Reason(_IN_LOG, version=code.version, type=event.type)]
    if code.seal is not None:
        checkpoint = code.seal.checkpoint
        if public_key is not None:
            if checkpoint.key_id != key_id(public_key):
                return Verdict("tampered", (Reason(_OTHER_KEY),))
            if not verify_checkpoint(public_key, checkpoint):
                return Verdict("tampered", (Reason(_BAD_SIGNATURE),))
            reasons.append(Reason(_SIGNATURE_OK))
        if log_seq is not None and log_seq != code.seal.seq:
            return Verdict("tampered", (Reason(_OTHER_SEAL, version=code.version, seq=log_seq,
                                               printed=code.seal.seq),))
        if proof is not None:
            if not verify_inclusion(leaf_hash(event.hash), code.seal.seq, checkpoint.tree_size,
                                    proof, checkpoint.root):
                return Verdict("tampered", (Reason(_NO_INCLUSION),))
            reasons.append(Reason(_IN_TREE, size=checkpoint.tree_size))
    if versions is None:
        versions = changes(code.kind, trail, people) if isinstance(code.kind, DocumentKind) \
            else []
    printed = [r for r in versions if r is not None and r.version <= code.version]
    if not printed or printed[-1].version != code.version:
        return Verdict("tampered", (
            Reason(_REFLECTS_OTHER, kind=code.kind.value, version=code.version,
                   other=printed[-1].version) if printed
            else Reason(_NOT_REFLECTING, kind=code.kind.value, version=code.version),))
    at = versions.index(printed[-1])
    if at == len(versions) - 1:
        return Verdict("match", tuple(reasons), current_version=code.version)
    nxt = versions[at + 1]
    current = versions[-1]
    if nxt is None:
        return Verdict("superseded", (*reasons, Reason(_GONE)))
    later = f"event {nxt.version} ({nxt.event_type}, {format_timestamp(nxt.recorded_at)})"
    last = (Reason(_CHANGED, later=later, current=current.version) if current is not None
            else Reason(_CHANGED_GONE, later=later))
    return Verdict("superseded", (*reasons, last),
                   current_version=current.version if current is not None else None,
                   later=later)
