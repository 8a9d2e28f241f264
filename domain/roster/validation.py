"""Validation of a whole roster file: every row and the organisation they form."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from domain.appraisal import PositionKind
from domain.nip import InvalidNip, parse_nip
from domain.policy import FunctionalLevel
from domain.roster.state import (
    Employee,
    RejectedRow,
    Roster,
    RosterCheck,
    RosterRow,
    UncheckedNip,
    Unit,
)
from domain.roster.vocabulary import (
    _EMAIL,
    _GENERATED_KEY,
    _KEY,
    _UNIT_CODE,
    KEY_PREFIX,
    LEADER_KINDS,
    EmploymentType,
)
from domain.text import first_refused_character, strip_refused

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
    unchecked: tuple[str, ...] = ()


@dataclass
class _Rejections:
    by_line: dict[int, RejectedRow] = field(default_factory=dict)

    def add(self, row: RosterRow, field_name: str, reason: str,
            rule: str = "roster-row") -> None:
        if row.line not in self.by_line:  # the first reason found for a row is reported
            self.by_line[row.line] = RejectedRow(
                line=row.line, nip=strip_refused(_digits(row.nip), line_breaks=False),
                field=field_name, reason=reason, rule=rule)


TEXT_FIELDS = ("nip", "name", "position", "position_kind", "level", "employment_type",
               "unit_code", "unit_name", "parent_unit", "superior_nip", "email",
               "employee_key")
"""Every text field of a :class:`RosterRow`."""

def control_character(text: str) -> str | None:
    """A description of the first control character (other than tab) in ``text``, or None:
    never part of a name, a code or a NIP (``domain.text``, without line breaks)."""
    index = first_refused_character(text, line_breaks=False)
    return None if index is None else f"U+{ord(text[index]):04X} at position {index + 1}"


def _check_row(row: RosterRow, problems: _Rejections, today: date | None
               ) -> _Candidate | None:
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
        parsed = parse_nip(row.nip, pppk=employment is EmploymentType.PPPK, today=today)
    except InvalidNip as error:
        problems.add(row, "nip", error.reason)
        return None
    nip = parsed.value
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
                      parent=parent, key=key, unchecked=parsed.unchecked)


def validate_roster(rows: Iterable[RosterRow],
                    known_keys: Mapping[str, str] | None = None, *,
                    today: date | None = None) -> RosterCheck:
    """Check every row and the organisation they form.

    ``known_keys`` maps every NIP ever imported for the agency to its key;
    ``today``: no NIP may hold a later date (the import passes the day it runs).
    Accepted PPPK numbers are listed in ``unchecked`` (their code is not checked).
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
        candidate = _check_row(row, problems, today)
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
    unchecked = tuple(
        UncheckedNip(line=c.row.line, nip=c.nip, note=note)
        for c in sorted(alive.values(), key=lambda c: c.row.line) for note in c.unchecked)
    return RosterCheck(roster=Roster(employees=employees, units=units), rejected=rejected,
                       rows=len(all_rows), unchecked=unchecked)


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
