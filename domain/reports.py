"""HR's documents of a cycle, as data (docs/documents.md, *HR's reports*):

- ``laporan-unit``: a unit's calibration report: its predikat distribution against the
  curve of its organisation rating, and the release decision (passed, or released with
  an exception and its reason). It exists from the unit's release and reflects the
  ``UnitReleased`` event of the cycle's stream: the counts are those the release
  recorded, so a reprint is the same document.
- ``ringkasan-siklus``: the cycle's summary: per unit its organisation rating, release and
  predikat counts (as recorded at its release; once the cycle is closed, the final
  distribution the closing recorded), with totals. It exists from the cycle's start,
  marked provisional (SEMENTARA) until the cycle is closed, and reflects the last event
  of the cycle's stream that changed it.

Both are folded from the cycle's events only (not from the appraisals' read model), so
the document, its code and its verification depend on the log alone, like an
appraisal's documents (:mod:`domain.documents`). Pure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from domain.calibration import CurveRule, OrganisationRating
from domain.cycle.events import (
    CycleClosed,
    CycleCreated,
    CycleStarted,
    OrganisationRatingSet,
    UnitReleased,
    event_from_data,
)
from domain.documents import Reflected, ReportKind, TrailEvent, Unavailable, local_date
from domain.policy import POLICIES
from domain.ratings import Predikat

REPORT_TITLES: Mapping[ReportKind, str] = {
    ReportKind.UNIT: "Laporan Kalibrasi Predikat Kinerja Unit Kerja",
    ReportKind.SUMMARY: "Ringkasan Siklus Penilaian Kinerja Pegawai",
}

ORGANISATION_LABELS: Mapping[OrganisationRating, str] = {
    OrganisationRating.ISTIMEWA: "Istimewa", OrganisationRating.BAIK: "Baik",
    OrganisationRating.BUTUH_PERBAIKAN: "Butuh Perbaikan",
    OrganisationRating.KURANG: "Kurang", OrganisationRating.SANGAT_KURANG: "Sangat Kurang",
}

_SHOWN = (Predikat.SANGAT_BAIK, Predikat.BAIK, Predikat.BUTUH_PERBAIKAN, Predikat.KURANG,
          Predikat.SANGAT_KURANG)
"""The predikat every report lists (``Cukup``, of PP 30/2019 only, when counted)."""


def cycle_stream(cycle_id: str) -> str:
    """The cycle's stream in the log (``cycle-<agency>-<year>``): what a report's code names."""
    return f"cycle-{cycle_id}"


def describe_rule(rule: CurveRule) -> str:
    """A curve rule in Indonesian, as the report prints it."""
    group = " atau ".join(p.label for p in rule.predikat)
    if rule.kind == "largest":
        return f"{group} kelompok terbesar"
    if rule.kind == "at_least_count":
        return f"paling sedikit {rule.count} orang {group}"
    percent = f"{(rule.share or Decimal(0)) * 100:.0f}%"
    word = {"at_least_share": "paling sedikit", "at_most_share": "paling banyak",
            "more_than_share": "lebih dari"}[rule.kind]
    return f"{group} {word} {percent}"


@dataclass
class _Unit:
    rating: OrganisationRating | None = None
    released: UnitReleased | None = None
    final: dict[Predikat, int] | None = None


@dataclass
class _Cycle:
    created: CycleCreated | None = None
    started: bool = False
    closed: bool = False
    units: dict[str, _Unit] = field(default_factory=dict)


def _evolve(cycle: _Cycle, event: Any) -> None:
    if isinstance(event, CycleCreated):
        cycle.created = event
    elif isinstance(event, CycleStarted):
        cycle.started = True
        for unit in event.units:
            cycle.units.setdefault(unit, _Unit())
    elif isinstance(event, OrganisationRatingSet):
        cycle.units.setdefault(event.unit, _Unit()).rating = event.rating
    elif isinstance(event, UnitReleased):
        cycle.units.setdefault(event.unit, _Unit()).released = event
    elif isinstance(event, CycleClosed):
        cycle.closed = True
        for unit, counts in event.distribution.items():
            cycle.units.setdefault(unit, _Unit()).final = dict(counts)


def _shown(counts: Mapping[Predikat, int]) -> list[Predikat]:
    return [p for p in Predikat if p in _SHOWN or counts.get(p)]


def _distribution(counts: Mapping[Predikat, int]) -> tuple[int, list[dict[str, Any]]]:
    total = sum(counts.values())
    return total, [{"predikat": p.label, "count": counts.get(p, 0),
                    "percent": round(100 * counts.get(p, 0) / total) if total else 0}
                   for p in _shown(counts)]


def _header(cycle: _Cycle, kind: ReportKind) -> dict[str, Any]:
    created = cycle.created
    assert created is not None
    return {"kind": kind.value, "title": REPORT_TITLES[kind], "cycle_id": created.cycle_id,
            "stream": cycle_stream(created.cycle_id), "agency": created.agency,
            "year": str(created.year),
            "period": f"1 Januari {created.year} - 31 Desember {created.year}",
            "policy": created.policy}


def _unit_content(cycle: _Cycle, unit: str, names: Mapping[str, str]) -> dict[str, Any]:
    facts = cycle.units.get(unit)
    if cycle.created is None or facts is None or facts.released is None:
        raise Unavailable("the unit has not been released")
    released = facts.released
    counts = {Predikat(p): n for p, n in released.counts.items()}
    total, rows = _distribution(counts)
    policy = POLICIES.get(cycle.created.policy)
    curve = policy.curve if policy is not None else None
    rating = facts.rating
    rules: list[dict[str, Any]] = []
    if curve is not None and rating is not None:
        for rule in curve[rating]:
            count = sum(counts.get(p, 0) for p in rule.predikat)
            rules.append({
                "description": describe_rule(rule), "count": count,
                "percent": round(100 * count / total) if total else 0,
                "limit": round(100 * rule.share) if rule.share is not None else None,
                "kept": rule.describe() not in released.broken})
    return {
        **_header(cycle, ReportKind.UNIT),
        "unit": unit, "unit_name": names.get(unit, unit),
        "organisation_rating": ORGANISATION_LABELS[rating] if rating is not None else "-",
        "curve_applies": curve is not None,
        "total": total, "distribution": rows, "rules": rules,
        "release": {"at": local_date(released.at, cycle.created.calendar.utc_offset_hours),
                    "passed": released.passed,
                    "broken": list(released.broken),
                    "exception_reason": released.exception_reason or ""},
        "provisional": False,
    }


def _summary_content(cycle: _Cycle, names: Mapping[str, str]) -> dict[str, Any]:
    if cycle.created is None or not cycle.started:
        raise Unavailable("the cycle has not been started")
    rows: list[tuple[dict[str, Any], dict[Predikat, int]]] = []
    totals: dict[Predikat, int] = {}
    for unit in sorted(cycle.units):
        facts = cycle.units[unit]
        counts: dict[Predikat, int]
        if facts.final is not None:
            counts = facts.final
        elif facts.released is not None:
            counts = {Predikat(p): n for p, n in facts.released.counts.items()}
        else:
            counts = {}
        for predikat, n in counts.items():
            totals[predikat] = totals.get(predikat, 0) + n
        released = facts.released
        status = ("belum dirilis" if released is None
                  else "dirilis, sesuai kurva" if released.passed
                  else "dirilis dengan pengecualian")
        rows.append(({"unit": unit, "unit_name": names.get(unit, unit),
                      "organisation_rating": ORGANISATION_LABELS[facts.rating]
                      if facts.rating is not None else "-", "status": status}, counts))
    shown = _shown(totals)
    total, distribution = _distribution(totals)
    return {
        **_header(cycle, ReportKind.SUMMARY),
        "predikat": [p.label for p in shown],
        "units": [{**row, "counts": [counts.get(p, 0) for p in shown],
                   "total": sum(counts.values())} for row, counts in rows],
        "totals": [totals.get(p, 0) for p in shown], "total": total,
        "distribution": distribution,
        "released_units": sum(1 for u in cycle.units.values() if u.released is not None),
        "closed": cycle.closed,
        "provisional": not cycle.closed,
    }


def report_changes(kind: ReportKind, trail: Sequence[TrailEvent], names: Mapping[str, str],
                   *, unit: str | None = None, up_to: int | None = None
                   ) -> list[Reflected | None]:
    """Each version of the report of ``kind`` (of ``unit`` for a unit report) over the
    cycle's ``trail``, as :func:`domain.documents.changes` gives an appraisal's; ``names``:
    unit codes to names (they name, they do not make a version)."""
    cycle = _Cycle()
    found: list[Reflected | None] = []
    for event in trail:
        if up_to is not None and event.version > up_to:
            break
        _evolve(cycle, event_from_data(event.type, dict(event.data)))
        last = found[-1] if found else None
        try:
            now = (_unit_content(cycle, unit or "", names) if kind is ReportKind.UNIT
                   else _summary_content(cycle, names))
        except Unavailable:
            if last is not None:
                found.append(None)
            continue
        if last is None or last.content != now:
            found.append(Reflected(kind, now, event.version, event.hash, event.recorded_at,
                                   event.type))
    return found


def report(kind: ReportKind, trail: Sequence[TrailEvent], names: Mapping[str, str], *,
           unit: str | None = None) -> Reflected:
    """The current report of ``kind``; :class:`Unavailable` when it does not exist."""
    found = report_changes(kind, trail, names, unit=unit)
    if not found or found[-1] is None:
        raise Unavailable("the unit has not been released" if kind is ReportKind.UNIT
                          else "the cycle has not been started")
    return found[-1]


def unit_of_code(trail: Sequence[TrailEvent], version: int) -> str | None:
    """The unit a unit report's code names: the unit released by event ``version``
    (None when that event is no release)."""
    event = next((e for e in trail if e.version == version), None)
    if event is None or event.type != "UnitReleased":
        return None
    unit = event.data.get("unit")
    return unit if isinstance(unit, str) else None


def reported_units(trail: Sequence[TrailEvent]) -> list[str]:
    """The units released in the trail, in order: those with a unit report."""
    return [str(e.data["unit"]) for e in trail if e.type == "UnitReleased"]

