"""The agency roster: who works where, in which position, reporting to whom.

HR imports the whole roster of an agency from a file (CSV or XLSX, read by
``adapters.roster_files``) as :class:`RosterRow` values. :func:`validate_roster`
checks every row and the organisation they form, and returns the accepted
employees with each rejected row's line number, field and reason.
:func:`diff_roster` turns the change from the current roster to the new one into
events of the agency's roster stream (``roster-<agency>``), and
:func:`apply_roster_events` folds them back, so ``apply(a, diff(a, b)) == b``.
A cycle freezes the roster and takes each appraisal's parties from
:func:`reporting_line`.

Employee keys. A NIP is personal data and never appears in a Temporal
workflow id (DESIGN 3.7), so every employee has an opaque key such as
``e-0042``. HR may assign it in the file (column ``kode_pegawai``); otherwise a
NIP seen before keeps its key (``known_keys``, kept by the store for every NIP
ever imported for the agency), and a new NIP gets the next free ``e-NNNN``
number. Keys carry nothing about the person (no hash of the NIP, which a
guess over birth dates could invert) and never change for a NIP.

The file is the whole roster: an employee of the current roster absent from
the new file has left.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any, Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from domain.appraisal import PositionKind
from domain.authorization import Parties
from domain.nip import InvalidNip, parse_nip
from domain.policy import FunctionalLevel

__all__ = [
    "EMPLOYEE_KEY_PATTERN",
    "TEXT_FIELDS",
    "Employee",
    "EmploymentType",
    "FunctionalLevel",
    "PositionKind",
    "RejectedRow",
    "Roster",
    "RosterCheck",
    "RosterEvent",
    "RosterRow",
    "Unit",
    "apply_roster_events",
    "control_character",
    "diff_roster",
    "merge_partial",
    "parties_for",
    "reporting_line",
    "roster_document",
    "validate_roster",
]

EMPLOYEE_KEY_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"
"""An employee key: safe in workflow ids (``appraisal-<cycle>-<key>``)."""

UNIT_CODE_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"
"""A unit code: safe in ids and URLs."""

_KEY = re.compile(EMPLOYEE_KEY_PATTERN)
_UNIT_CODE = re.compile(UNIT_CODE_PATTERN)
_EMAIL = re.compile(r"^[^@\s<>(),;:\"\[\]]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")
_GENERATED_KEY = re.compile(r"^e-(\d+)$")

KEY_PREFIX = "e-"

LEADER_KINDS = (PositionKind.JPT, PositionKind.ADMINISTRATOR, PositionKind.SUPERVISOR)
"""Structural positions that can lead a unit, highest first."""


class EmploymentType(StrEnum):
    PNS = "PNS"
    PPPK = "PPPK"


# --------------------------------------------------------------------------- #
# Rows (as read from a file) and the validated roster


@dataclass(frozen=True)
class RosterRow:
    """One data row of a roster file, as text, with the line it came from.

    Field names are the canonical column names (see ``adapters.roster_files``
    for the accepted headers). Empty cells are empty strings.
    """

    line: int
    nip: str = ""
    name: str = ""
    position: str = ""
    position_kind: str = ""
    level: str = ""
    employment_type: str = ""
    unit_code: str = ""
    unit_name: str = ""
    parent_unit: str = ""
    superior_nip: str = ""
    email: str = ""
    employee_key: str = ""
    cell_problems: tuple[tuple[str, str], ...] = ()
    """``(field, reason)`` for cells a reader already knows are unusable (a NIP stored
    as a number that lost its last digits); the first is the row's reason."""


class Employee(BaseModel):
    """One employee of the roster (current read model and events)."""

    model_config = ConfigDict(frozen=True)

    key: Annotated[str, Field(pattern=EMPLOYEE_KEY_PATTERN)]
    nip: Annotated[str, Field(pattern=r"^\d{18}$")]
    name: Annotated[str, Field(min_length=1, max_length=200)]
    position: Annotated[str, Field(min_length=1, max_length=300)]
    kind: PositionKind
    level: FunctionalLevel | None = None
    employment: EmploymentType
    unit: Annotated[str, Field(pattern=UNIT_CODE_PATTERN)]
    superior: str | None = None
    """The direct superior's key; None for the top of the agency."""
    email: str | None = None


class Unit(BaseModel):
    """An organisational unit (unit kerja) of the agency."""

    model_config = ConfigDict(frozen=True)

    code: Annotated[str, Field(pattern=UNIT_CODE_PATTERN)]
    name: Annotated[str, Field(min_length=1, max_length=300)]
    parent: str | None = None
    leader: str | None = None
    """The key of the unit's leader: its highest structural position that reports
    outside the unit."""


class Roster(BaseModel):
    """A whole agency roster: employees and units by key and code."""

    model_config = ConfigDict(frozen=True)

    employees: dict[str, Employee] = Field(default_factory=dict)
    units: dict[str, Unit] = Field(default_factory=dict)

    def by_nip(self) -> dict[str, Employee]:
        return {e.nip: e for e in self.employees.values()}


def roster_document(roster: Roster) -> dict[str, Any]:
    """The roster as plain, sorted JSON data (for canonical JSON and its digest)."""
    return {
        "employees": [roster.employees[k].model_dump(mode="json")
                      for k in sorted(roster.employees)],
        "units": [roster.units[c].model_dump(mode="json") for c in sorted(roster.units)],
    }


class RejectedRow(BaseModel):
    """A row that cannot be imported: where, which column, and why."""

    model_config = ConfigDict(frozen=True)

    line: int
    nip: str
    field: str
    reason: str
    rule: str = "roster-row"
    """The rule broken, for a machine: ``control-character``, or ``roster-row`` for the
    others (the reason says which)."""


class RosterCheck(BaseModel):
    """The outcome of :func:`validate_roster`."""

    model_config = ConfigDict(frozen=True)

    roster: Roster
    """Every accepted row, with the units they form."""
    rejected: tuple[RejectedRow, ...] = ()
    rows: int = 0
    """How many data rows the file had."""

    @property
    def clean(self) -> bool:
        return not self.rejected


# --------------------------------------------------------------------------- #
# Validation

_KIND_ALIASES: dict[str, PositionKind] = {
    "jpt": PositionKind.JPT,
    "jabatan pimpinan tinggi": PositionKind.JPT,
    "pimpinan tinggi": PositionKind.JPT,
    "administrator": PositionKind.ADMINISTRATOR,
    "pengawas": PositionKind.SUPERVISOR,
    "supervisor": PositionKind.SUPERVISOR,
    "pelaksana": PositionKind.STAFF,
    "staff": PositionKind.STAFF,
    "staf": PositionKind.STAFF,
    "fungsional": PositionKind.FUNCTIONAL,
    "functional": PositionKind.FUNCTIONAL,
    "jf": PositionKind.FUNCTIONAL,
}

_LEVEL_ALIASES: dict[str, FunctionalLevel] = {
    level.value: level for level in FunctionalLevel
} | {
    "pertama": FunctionalLevel.AHLI_PERTAMA,
    "muda": FunctionalLevel.AHLI_MUDA,
    "madya": FunctionalLevel.AHLI_MADYA,
    "utama": FunctionalLevel.AHLI_UTAMA,
}


def _norm(text: str) -> str:
    return " ".join(text.replace("_", " ").replace("-", " ").lower().split())


def parse_kind(text: str) -> PositionKind | None:
    """A position kind from its English or Indonesian name, or None."""
    return _KIND_ALIASES.get(_norm(text))


def parse_level(text: str) -> FunctionalLevel | None:
    """A functional level (jenjang) from e.g. ``Ahli Pertama`` or ``ahli_pertama``, or None."""
    normal = _norm(text)
    return _LEVEL_ALIASES.get(normal.replace(" ", "_")) or _LEVEL_ALIASES.get(normal)


def parse_employment(text: str) -> EmploymentType | None:
    normal = _norm(text).upper()
    return EmploymentType(normal) if normal in ("PNS", "PPPK") else None


def _digits(nip: str) -> str:
    return "".join(nip.split())


@dataclass
class _Candidate:
    row: RosterRow
    nip: str
    kind: PositionKind
    level: FunctionalLevel | None
    employment: EmploymentType
    superior_nip: str | None
    email: str | None
    unit: str
    parent: str
    key: str = ""


@dataclass
class _Rejections:
    by_line: dict[int, RejectedRow] = field(default_factory=dict)

    def add(self, row: RosterRow, field_name: str, reason: str,
            rule: str = "roster-row") -> None:
        if row.line not in self.by_line:  # the first reason found for a row is reported
            self.by_line[row.line] = RejectedRow(
                line=row.line, nip=_CONTROL.sub("", _digits(row.nip)), field=field_name,
                reason=reason, rule=rule)


TEXT_FIELDS = ("nip", "name", "position", "position_kind", "level", "employment_type",
               "unit_code", "unit_name", "parent_unit", "superior_nip", "email",
               "employee_key")
"""Every text field of a :class:`RosterRow`."""

_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
"""C0 control characters but tab, and DEL: never part of a name, a code or a NIP (a NUL
cannot even be stored in PostgreSQL text)."""


def control_character(text: str) -> str | None:
    """A description of the first control character (other than tab) in ``text``, or None."""
    found = _CONTROL.search(text)
    return None if found is None else f"U+{ord(found.group()):04X} at position {found.start() + 1}"


def _check_row(row: RosterRow, problems: _Rejections) -> _Candidate | None:
    """Rules of one row on its own; None (and a rejection) when one is broken."""
    for name in TEXT_FIELDS:
        where = control_character(getattr(row, name))
        if where is not None:
            problems.add(row, name, f"{name} contains a control character ({where}); "
                         "remove it from the cell", rule="control-character")
            return None
    for name, value in (("nip", row.nip), ("name", row.name), ("position", row.position),
                        ("position_kind", row.position_kind),
                        ("employment_type", row.employment_type),
                        ("unit_code", row.unit_code), ("unit_name", row.unit_name)):
        if not value.strip():
            problems.add(row, name, f"{name} is required")
            return None
    employment = parse_employment(row.employment_type)
    if employment is None:
        problems.add(row, "employment_type",
                     f"employment type must be PNS or PPPK, not {row.employment_type!r}")
        return None
    for field_name, reason in row.cell_problems:
        problems.add(row, field_name, reason)
        return None
    try:
        nip = parse_nip(row.nip, pppk=employment is EmploymentType.PPPK).value
    except InvalidNip as error:
        problems.add(row, "nip", error.reason)
        return None
    kind = parse_kind(row.position_kind)
    if kind is None:
        problems.add(row, "position_kind",
                     f"position kind must be JPT, administrator, pengawas (supervisor), "
                     f"pelaksana (staff) or fungsional, not {row.position_kind!r}")
        return None
    level: FunctionalLevel | None = None
    if kind is PositionKind.FUNCTIONAL:
        if not row.level.strip():
            problems.add(row, "level", "a functional position needs its level (jenjang)")
            return None
        level = parse_level(row.level)
        if level is None:
            problems.add(row, "level", f"unknown functional level {row.level!r}; one of "
                         + ", ".join(level.value for level in FunctionalLevel))
            return None
    elif row.level.strip():
        problems.add(row, "level", "only a functional position has a level (jenjang)")
        return None
    if len(row.name.strip()) > 200 or len(row.position.strip()) > 300 \
            or len(row.unit_name.strip()) > 300:
        problems.add(row, "name", "name, position or unit name is too long")
        return None
    if not _UNIT_CODE.match(row.unit_code.strip()):
        problems.add(row, "unit_code",
                     "a unit code has 1-64 letters, digits, '.', '_' or '-'")
        return None
    parent = row.parent_unit.strip()
    if parent and not _UNIT_CODE.match(parent):
        problems.add(row, "parent_unit",
                     "a unit code has 1-64 letters, digits, '.', '_' or '-'")
        return None
    email = row.email.strip() or None
    if email is not None and (len(email) > 254 or not _EMAIL.match(email)):
        problems.add(row, "email", f"not an e-mail address: {email!r}")
        return None
    key = row.employee_key.strip()
    if key and (not _KEY.match(key)):
        problems.add(row, "employee_key",
                     "an employee key has 1-64 letters, digits, '.', '_' or '-'")
        return None
    superior = _digits(row.superior_nip) or None
    return _Candidate(row=row, nip=nip, kind=kind, level=level, employment=employment,
                      superior_nip=superior, email=email, unit=row.unit_code.strip(),
                      parent=parent, key=key)


def validate_roster(rows: Iterable[RosterRow],
                    known_keys: Mapping[str, str] | None = None) -> RosterCheck:
    """Check every row and the organisation they form.

    ``known_keys`` maps every NIP ever imported for the agency to its key.
    Rules, each reported on the row that breaks it (first reason per row):

    - no control character (C0 but tab, and DEL) in any text field (rule
      ``control-character``); required fields; employment type PNS or PPPK; the NIP (PNS or PPPK
      rules, :func:`domain.nip.parse_nip`); the position kind; a functional
      position needs a known level and only it has one; unit codes; e-mail;
    - a NIP or an employee key appears once (later rows are rejected); an
      assigned key may not belong to another NIP already;
    - a unit has one name and one parent across its rows; a parent unit is
      a unit of the file; units form no cycle;
    - the superior's NIP is an employee of the file (and not a rejected
      row); no cycle in the reporting line (every row of a cycle is named);
    - every unit has a leader: a JPT, administrator or supervisor of the unit
      whose superior is outside the unit (or who has none). Every row of a
      unit without one is rejected.

    Rejections cascade: a row whose superior's row is rejected is rejected, so
    applying only the valid rows never leaves a dangling superior.
    """
    known = dict(known_keys or {})
    problems = _Rejections()
    all_rows = list(rows)
    candidates: dict[str, _Candidate] = {}
    first_line: dict[str, int] = {}
    for row in all_rows:
        candidate = _check_row(row, problems)
        if candidate is None:
            continue
        if candidate.nip in first_line:
            problems.add(row, "nip", f"duplicate NIP: already on line {first_line[candidate.nip]}")
            continue
        first_line[candidate.nip] = row.line
        candidates[candidate.nip] = candidate
    # NIPs of rows rejected on their own: a subordinate names them as "rejected".
    rejected_nip_lines: dict[str, int] = {}
    for early in problems.by_line.values():
        if early.nip and early.nip not in first_line:
            rejected_nip_lines.setdefault(early.nip, early.line)

    _assign_keys(candidates, known, problems)
    alive = {nip: c for nip, c in candidates.items() if c.row.line not in problems.by_line}

    # Units: one name and one parent per code.
    unit_name: dict[str, tuple[str, int]] = {}
    unit_parent: dict[str, tuple[str, int]] = {}
    for cand in sorted(alive.values(), key=lambda c: c.row.line):
        row = cand.row
        code, name, parent = cand.unit, row.unit_name.strip(), cand.parent
        if code in unit_name and unit_name[code][0] != name:
            problems.add(row, "unit_name", f"unit {code} is named {unit_name[code][0]!r} on "
                         f"line {unit_name[code][1]}")
            continue
        if code in unit_parent and unit_parent[code][0] != parent:
            problems.add(row, "parent_unit",
                         f"unit {code} has parent {unit_parent[code][0] or '(none)'!r} on "
                         f"line {unit_parent[code][1]}")
            continue
        if parent == code:
            problems.add(row, "parent_unit", f"unit {code} cannot be its own parent")
            continue
        unit_name.setdefault(code, (name, row.line))
        unit_parent.setdefault(code, (parent, row.line))

    # Fixpoint: drop rows whose unit, parent unit or superior is gone, until stable.
    while True:
        alive = {nip: c for nip, c in alive.items() if c.row.line not in problems.by_line}
        units_alive = {c.unit for c in alive.values()}
        changed = False
        for cand in sorted(alive.values(), key=lambda c: c.row.line):
            row = cand.row
            parent = cand.parent
            if parent and parent not in units_alive:
                problems.add(row, "parent_unit",
                             f"unknown parent unit {parent}: no valid row has it as unit_code")
                changed = True
                continue
            sup = cand.superior_nip
            if sup is None:
                continue
            if sup == cand.nip:
                problems.add(row, "superior_nip",
                             f"cycle in the reporting line: line {row.line} is its own superior")
                changed = True
            elif sup not in alive:
                if sup in candidates or sup in rejected_nip_lines:
                    line = (candidates[sup].row.line if sup in candidates
                            else rejected_nip_lines[sup])
                    problems.add(row, "superior_nip",
                                 f"the superior's row (line {line}) is rejected")
                else:
                    problems.add(row, "superior_nip",
                                 "unknown superior: no row has this NIP")
                changed = True
        if changed:
            continue
        if _reject_cycles(alive, problems) or _reject_unit_cycles(alive, problems):
            continue
        if _reject_leaderless(alive, problems):
            continue
        break

    alive = {nip: c for nip, c in alive.items() if c.row.line not in problems.by_line}
    employees: dict[str, Employee] = {}
    for cand in alive.values():
        row = cand.row
        employees[cand.key] = Employee(
            key=cand.key, nip=cand.nip, name=" ".join(row.name.split()),
            position=" ".join(row.position.split()), kind=cand.kind, level=cand.level,
            employment=cand.employment, unit=cand.unit,
            superior=alive[cand.superior_nip].key if cand.superior_nip else None,
            email=cand.email)
    leaders = _leader_candidates(alive)
    units = {
        code: Unit(code=code, name=unit_name[code][0], parent=unit_parent[code][0] or None,
                   leader=min(leaders[code],
                              key=lambda c: (LEADER_KINDS.index(c.kind), c.row.line)).key)
        for code in {c.unit for c in alive.values()}
    }
    rejected = tuple(sorted(problems.by_line.values(), key=lambda r: r.line))
    return RosterCheck(roster=Roster(employees=employees, units=units), rejected=rejected,
                       rows=len(all_rows))


def _assign_keys(candidates: dict[str, _Candidate], known: Mapping[str, str],
                 problems: _Rejections) -> None:
    """Give every candidate its key: assigned in the file, known for its NIP, or the next."""
    taken: dict[str, str] = {key: nip for nip, key in known.items()}  # key -> NIP
    used_in_file: dict[str, int] = {}
    for cand in sorted(candidates.values(), key=lambda c: c.row.line):
        key = cand.key
        if not key:
            continue
        owner = taken.get(key)
        if key in used_in_file:
            problems.add(cand.row, "employee_key",
                         f"duplicate employee key: already on line {used_in_file[key]}")
        elif owner is not None and owner != cand.nip:
            problems.add(cand.row, "employee_key",
                         "this employee key already belongs to another NIP")
        elif cand.nip in known and known[cand.nip] != key:
            problems.add(cand.row, "employee_key",
                         f"this NIP already has the key {known[cand.nip]}; keys never change")
        else:
            used_in_file[key] = cand.row.line
            continue
        cand.key = ""
    numbers = [int(m.group(1)) for k in [*taken, *used_in_file] if (m := _GENERATED_KEY.match(k))]
    next_number = max(numbers, default=0) + 1
    reserved = set(taken) | set(used_in_file)
    for cand in sorted(candidates.values(), key=lambda c: c.row.line):
        if cand.key or cand.row.line in problems.by_line:
            continue
        if cand.nip in known and known[cand.nip] not in used_in_file:
            cand.key = known[cand.nip]
            continue
        while f"{KEY_PREFIX}{next_number:04d}" in reserved:
            next_number += 1
        cand.key = f"{KEY_PREFIX}{next_number:04d}"
        reserved.add(cand.key)
        next_number += 1


def _reject_cycles(alive: Mapping[str, _Candidate], problems: _Rejections) -> bool:
    """Reject every row on a cycle of the reporting line; True when one was found."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    found = False
    for start in sorted(alive, key=lambda n: alive[n].row.line):
        path: list[str] = []
        nip: str | None = start
        while nip is not None and nip in alive and state.get(nip) is None:
            state[nip] = 1
            path.append(nip)
            nip = alive[nip].superior_nip
        if nip is not None and state.get(nip) == 1:
            cycle = path[path.index(nip):]
            lines = sorted(alive[n].row.line for n in cycle)
            for member in cycle:
                problems.add(alive[member].row, "superior_nip",
                             "cycle in the reporting line: lines "
                             + ", ".join(str(line) for line in lines))
            found = True
        for member in path:
            state[member] = 2
    return found


def _reject_unit_cycles(alive: Mapping[str, _Candidate], problems: _Rejections) -> bool:
    parent_of: dict[str, str] = {}
    for cand in alive.values():
        if cand.parent:
            parent_of[cand.unit] = cand.parent
    in_cycle: set[str] = set()
    done: set[str] = set()
    for start in sorted(parent_of):
        seen: list[str] = []
        code: str | None = start
        while code is not None and code not in seen and code not in done:
            seen.append(code)
            code = parent_of.get(code)
        if code is not None and code in seen:
            in_cycle.update(seen[seen.index(code):])
        done.update(seen)
    if not in_cycle:
        return False
    names = ", ".join(sorted(in_cycle))
    for cand in alive.values():
        if cand.unit in in_cycle:
            problems.add(cand.row, "parent_unit", f"cycle in the unit tree: {names}")
    return True


def _leader_candidates(alive: Mapping[str, _Candidate]) -> dict[str, list[_Candidate]]:
    """By unit: its JPT, administrators and supervisors whose superior is outside it."""
    found: dict[str, list[_Candidate]] = {}
    for cand in alive.values():
        if cand.kind in LEADER_KINDS and (cand.superior_nip is None
                                          or alive[cand.superior_nip].unit != cand.unit):
            found.setdefault(cand.unit, []).append(cand)
    return found


def _reject_leaderless(alive: Mapping[str, _Candidate], problems: _Rejections) -> bool:
    leaders = _leader_candidates(alive)
    found = False
    for cand in sorted(alive.values(), key=lambda c: c.row.line):
        if cand.unit not in leaders:
            found = True
            problems.add(cand.row, "unit_code",
                         f"unit {cand.unit} has no leader: no JPT, administrator or supervisor "
                         "of the unit reports outside it")
    return found


# --------------------------------------------------------------------------- #
# Reporting line


@dataclass(frozen=True)
class ReportingLine:
    """Whom an employee's appraisal goes to: the appraiser (the direct superior) and
    the appraiser's superior; None at the top of the agency."""

    appraiser: str | None
    superior: str | None


def reporting_line(roster: Roster, employee: str) -> ReportingLine:
    """The appraiser and the appraiser's superior of ``employee`` (a key) in ``roster``.

    Raises KeyError for a key not in the roster.
    """
    appraiser = roster.employees[employee].superior
    superior = roster.employees[appraiser].superior if appraiser is not None else None
    return ReportingLine(appraiser=appraiser, superior=superior)


def parties_for(roster: Roster, agency: str, employee: str) -> Parties:
    """The parties of ``employee``'s appraisal as the roster has them now."""
    line = reporting_line(roster, employee)
    return Parties(agency=agency, unit=roster.employees[employee].unit, employee=employee,
                   appraiser=line.appraiser, superior=line.superior)


# --------------------------------------------------------------------------- #
# Events of the roster stream


class EmployeeHired(BaseModel):
    model_config = ConfigDict(frozen=True)
    type: Literal["employee_hired"] = "employee_hired"
    employee: Employee


class EmployeeLeft(BaseModel):
    model_config = ConfigDict(frozen=True)
    type: Literal["employee_left"] = "employee_left"
    key: str
    unit: str


class EmployeeTransferred(BaseModel):
    """A change of unit: the cycle cancels the appraisal and opens one in the new unit."""

    model_config = ConfigDict(frozen=True)
    type: Literal["employee_transferred"] = "employee_transferred"
    key: str
    from_unit: str
    to_unit: str


class SuperiorChanged(BaseModel):
    """A new direct superior: a recorded reassignment in the affected appraisals."""

    model_config = ConfigDict(frozen=True)
    type: Literal["superior_changed"] = "superior_changed"
    key: str
    from_superior: str | None
    to_superior: str | None


class PositionChanged(BaseModel):
    model_config = ConfigDict(frozen=True)
    type: Literal["position_changed"] = "position_changed"
    key: str
    position: str
    kind: PositionKind
    level: FunctionalLevel | None = None


class DetailsChanged(BaseModel):
    """Name, NIP (a corrected typo under an assigned key), employment type or e-mail."""

    model_config = ConfigDict(frozen=True)
    type: Literal["details_changed"] = "details_changed"
    key: str
    nip: str
    name: str
    employment: EmploymentType
    email: str | None = None


class UnitDefined(BaseModel):
    """A new unit, or a unit's new name, parent or leader."""

    model_config = ConfigDict(frozen=True)
    type: Literal["unit_defined"] = "unit_defined"
    unit: Unit


class UnitRemoved(BaseModel):
    model_config = ConfigDict(frozen=True)
    type: Literal["unit_removed"] = "unit_removed"
    code: str


RosterEvent: TypeAlias = Annotated[
    EmployeeHired | EmployeeLeft | EmployeeTransferred | SuperiorChanged | PositionChanged
    | DetailsChanged | UnitDefined | UnitRemoved,
    Field(discriminator="type"),
]
ROSTER_EVENT: TypeAdapter[RosterEvent] = TypeAdapter(RosterEvent)
ROSTER_EVENT_SCHEMA_VERSION = 1


def event_data(event: RosterEvent) -> dict[str, Any]:
    """The event's data as stored (everything but its type)."""
    return event.model_dump(mode="json", exclude={"type"})


def event_from_stored(type_: str, data: Mapping[str, Any]) -> RosterEvent:
    return ROSTER_EVENT.validate_python({**data, "type": type_})


def diff_roster(old: Roster, new: Roster) -> list[RosterEvent]:
    """The events that turn ``old`` into ``new``, in a stable order.

    Units defined first (so hires and transfers name a known unit), then per
    employee by key: hired; transferred, superior changed, position changed,
    details changed; then left; units removed last. ``diff(a, a) == []``.
    """
    events: list[RosterEvent] = []
    for code in sorted(new.units):
        if old.units.get(code) != new.units[code]:
            events.append(UnitDefined(unit=new.units[code]))
    for key in sorted(new.employees):
        after = new.employees[key]
        before = old.employees.get(key)
        if before is None:
            events.append(EmployeeHired(employee=after))
            continue
        if before.unit != after.unit:
            events.append(EmployeeTransferred(key=key, from_unit=before.unit,
                                              to_unit=after.unit))
        if before.superior != after.superior:
            events.append(SuperiorChanged(key=key, from_superior=before.superior,
                                          to_superior=after.superior))
        if (before.position, before.kind, before.level) != (after.position, after.kind,
                                                            after.level):
            events.append(PositionChanged(key=key, position=after.position, kind=after.kind,
                                          level=after.level))
        if (before.nip, before.name, before.employment, before.email) != (
                after.nip, after.name, after.employment, after.email):
            events.append(DetailsChanged(key=key, nip=after.nip, name=after.name,
                                         employment=after.employment, email=after.email))
    for key in sorted(old.employees):
        if key not in new.employees:
            events.append(EmployeeLeft(key=key, unit=old.employees[key].unit))
    for code in sorted(old.units):
        if code not in new.units:
            events.append(UnitRemoved(code=code))
    return events


def apply_roster_events(roster: Roster, events: Iterable[RosterEvent]) -> Roster:
    """Fold roster events onto ``roster``: ``apply(a, diff_roster(a, b)) == b``."""
    employees = dict(roster.employees)
    units = dict(roster.units)
    for event in events:
        if isinstance(event, EmployeeHired):
            employees[event.employee.key] = event.employee
        elif isinstance(event, EmployeeLeft):
            employees.pop(event.key, None)
        elif isinstance(event, EmployeeTransferred):
            employees[event.key] = employees[event.key].model_copy(update={"unit": event.to_unit})
        elif isinstance(event, SuperiorChanged):
            employees[event.key] = employees[event.key].model_copy(
                update={"superior": event.to_superior})
        elif isinstance(event, PositionChanged):
            employees[event.key] = employees[event.key].model_copy(update={
                "position": event.position, "kind": event.kind, "level": event.level})
        elif isinstance(event, DetailsChanged):
            employees[event.key] = employees[event.key].model_copy(update={
                "nip": event.nip, "name": event.name, "employment": event.employment,
                "email": event.email})
        elif isinstance(event, UnitDefined):
            units[event.unit.code] = event.unit
        else:
            units.pop(event.code, None)
    return Roster(employees=employees, units=units)


class PartialApplyRefused(ValueError):
    """Applying only the valid rows would leave the roster inconsistent."""


def merge_partial(current: Roster, check: RosterCheck) -> Roster:
    """The roster that applying only ``check``'s valid rows gives.

    An employee of ``current`` whose row is rejected did not leave: the file
    only failed to say what changed. Such employees are kept as they are
    (with their unit); it is refused when their superior would be gone.
    """
    rejected_nips = {r.nip for r in check.rejected}
    kept = {e.key: e for e in current.employees.values()
            if e.nip in rejected_nips and e.key not in check.roster.employees}
    employees = {**check.roster.employees, **kept}
    nips = {e.nip for e in check.roster.employees.values()}
    clash = [e for e in kept.values() if e.nip in nips]
    if clash:
        raise PartialApplyRefused("a rejected row's NIP is also on a valid row")
    units = dict(check.roster.units)
    for employee in kept.values():
        if employee.superior is not None and employee.superior not in employees:
            raise PartialApplyRefused(
                f"employee {employee.key}'s row is rejected and their superior "
                f"{employee.superior} is no longer on the roster; fix the file")
        if employee.unit not in units:
            units[employee.unit] = current.units[employee.unit]
    # A kept unit's parent must remain; bring it back from ``current`` when needed.
    pending = [u for u in units.values() if u.parent and u.parent not in units]
    while pending:
        unit = pending.pop()
        if unit.parent and unit.parent not in units and unit.parent in current.units:
            units[unit.parent] = current.units[unit.parent]
            pending.append(units[unit.parent])
    return Roster(employees=employees, units=units)


def changed_keys(events: Sequence[RosterEvent]) -> dict[str, int]:
    """How many events of each type: the summary an import prints."""
    counts: dict[str, int] = {}
    for event in events:
        counts[event.type] = counts.get(event.type, 0) + 1
    return counts
