"""domain.roster: each validation rule with its line, the reporting line, diff and apply."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.appraisal import PositionKind
from domain.policy import FunctionalLevel
from domain.roster import (
    TEXT_FIELDS,
    Employee,
    EmploymentType,
    Roster,
    RosterCheck,
    Unit,
    diff_roster,
    fold,
    merge_partial,
    parties_for,
    reporting_line,
    validate_roster,
)

from .builders import generated_org, nip, row, small_org


def reasons(check: RosterCheck) -> dict[int, tuple[str, str]]:
    return {r.line: (r.field, r.reason) for r in check.rejected}


def test_a_clean_org_is_accepted_with_keys_units_and_leaders() -> None:
    check = validate_roster(small_org())
    assert check.clean and check.rows == 4
    roster = check.roster
    assert sorted(roster.employees) == ["e-0001", "e-0002", "e-0003", "e-0004"]
    head, boss, pranata, staff = (roster.employees[f"e-000{i}"] for i in range(1, 5))
    assert head.superior is None and boss.superior == head.key
    assert pranata.kind is PositionKind.FUNCTIONAL
    assert pranata.level is FunctionalLevel.AHLI_PERTAMA
    assert staff.kind is PositionKind.STAFF and staff.employment is EmploymentType.PNS
    assert roster.units["u1"] == Unit(code="u1", name="Dinas", parent=None, leader=head.key)
    assert roster.units["u2"].leader == boss.key and roster.units["u2"].parent == "u1"
    assert reporting_line(roster, pranata.key).appraiser == boss.key
    assert reporting_line(roster, pranata.key).superior == head.key
    assert reporting_line(roster, head.key).appraiser is None
    parties = parties_for(roster, "pemkot", staff.key)
    assert (parties.unit, parties.appraiser, parties.superior) == ("u2", boss.key, head.key)


def test_known_nips_keep_their_keys_and_new_ones_get_the_next() -> None:
    known = {nip(2): "e-0007", nip(99): "e-0009"}
    check = validate_roster(small_org(), known)
    by_nip = {e.nip: e.key for e in check.roster.employees.values()}
    assert by_nip[nip(2)] == "e-0007"
    assert sorted(by_nip.values()) == ["e-0007", "e-0010", "e-0011", "e-0012"]


def test_an_assigned_key_is_kept_and_may_not_be_stolen() -> None:
    rows = small_org()
    rows[0] = replace(rows[0], employee_key="e-head")
    rows[1] = replace(rows[1], employee_key="e-head")
    check = validate_roster(rows)
    assert reasons(check)[3] == ("employee_key", "duplicate employee key: already on line 2")
    taken = validate_roster([*small_org()[:1], replace(small_org()[1], employee_key="x1")],
                            {nip(50): "x1"})
    assert reasons(taken)[3][0] == "employee_key"


def test_each_rule_is_reported_on_its_line() -> None:
    ok = small_org()
    bad = [
        row(6, 10, nip="123"),
        row(7, 11, name=""),
        row(8, 12, employment_type="honorer"),
        row(9, 13, position_kind="fungsional", level=""),
        row(10, 14, position_kind="fungsional", level="grandmaster"),
        row(11, 15, level="ahli_muda"),
        row(12, 16, email="not-an-address"),
        row(13, 3),  # duplicate of line 4
        row(14, 17, superior_nip=nip(300)),
        row(15, 18, position_kind="direktur"),
        row(16, 19, unit_code="u2", unit_name="Another name", parent_unit="u1"),
        row(17, 20, nip="198001012021131001"),  # a PPPK number (code 13) is no PNS NIP
        row(18, 22, superior_nip=nip(11)),  # superior's row (line 7) rejected
        row(19, 23, cell_problems=(("nip", "the NIP was stored as a number"),)),
    ]
    check = validate_roster(ok + [replace(r, superior_nip=r.superior_nip or nip(1))
                                  for r in bad])
    found = reasons(check)
    assert found[6] == ("nip", "a NIP has exactly 18 digits")
    assert found[7] == ("name", "name is required")
    assert found[8][0] == "employment_type"
    assert found[9] == ("level", "a functional position needs its level (jenjang)")
    assert found[10][0] == "level" and "grandmaster" in found[10][1]
    assert found[11] == ("level", "only a functional position has a level (jenjang)")
    assert found[12][0] == "email"
    assert found[13] == ("nip", "duplicate NIP: already on line 4")
    assert found[14] == ("superior_nip", "unknown superior: no row has this NIP")
    assert found[15][0] == "position_kind"
    assert found[16] == ("unit_name", "unit u2 is named 'Bidang' on line 3")
    assert found[17][0] == "nip"
    assert found[18] == ("superior_nip", "the superior's row (line 7) is rejected")
    assert found[19] == ("nip", "the NIP was stored as a number")
    assert set(found) == set(range(6, 20))
    assert len(check.roster.employees) == 4


def test_a_cycle_in_the_reporting_line_names_its_rows() -> None:
    rows = [*small_org(),
        
        row(6, 30, unit_code="u3", unit_name="Seksi", position_kind="pengawas",
            parent_unit="u1", superior_nip=nip(31)),
        row(7, 31, unit_code="u3", unit_name="Seksi", parent_unit="u1",
            superior_nip=nip(30)),
        row(8, 32, unit_code="u2", unit_name="Bidang", parent_unit="u1",
            superior_nip=nip(30)),
    ]
    found = reasons(validate_roster(rows))
    assert found[6] == ("superior_nip", "cycle in the reporting line: lines 6, 7")
    assert found[7] == found[6]
    assert found[8] == ("superior_nip", "the superior's row (line 6) is rejected")
    self_boss = reasons(validate_roster([*small_org(), row(6, 40, superior_nip=nip(40))]))
    assert self_boss[6] == ("superior_nip", "cycle in the reporting line: line 6 is its own "
                                            "superior")


def test_a_unit_without_a_leader_and_an_unknown_parent_are_rejected() -> None:
    rows = [*small_org(),
        
        row(6, 40, unit_code="u9", unit_name="Tanpa Kepala", parent_unit="u1",
            superior_nip=nip(1)),
        row(7, 41, position_kind="administrator", unit_code="u8", unit_name="Yatim",
            parent_unit="nowhere", superior_nip=nip(1)),
    ]
    found = reasons(validate_roster(rows))
    assert found[6] == ("unit_code", "unit u9 has no leader: no JPT, administrator or "
                                     "supervisor of the unit reports outside it")
    assert found[7] == ("parent_unit",
                        "unknown parent unit nowhere: no valid row has it as unit_code")


def test_a_cycle_of_units_is_rejected() -> None:
    rows = [*small_org(),
        
        row(6, 50, position_kind="pengawas", unit_code="a", unit_name="A", parent_unit="b",
            superior_nip=nip(1)),
        row(7, 51, position_kind="pengawas", unit_code="b", unit_name="B", parent_unit="a",
            superior_nip=nip(1)),
    ]
    found = reasons(validate_roster(rows))
    assert found[6] == ("parent_unit", "cycle in the unit tree: a, b") == found[7]


def test_pppk_numbers_are_accepted_with_the_pppk_flag() -> None:
    rows = [*small_org(),
        row(6, 60, nip="198001012021 01 1 001".replace(" ", ""),
                              employment_type="pppk", unit_code="u2", unit_name="Bidang",
                              parent_unit="u1", superior_nip=nip(2))]
    check = validate_roster(rows)
    assert check.clean
    assert any(e.employment is EmploymentType.PPPK for e in check.roster.employees.values())


@settings(max_examples=40, deadline=None)
@given(size=st.integers(min_value=1, max_value=120), units=st.integers(min_value=1, max_value=15))
def test_any_generated_acyclic_org_passes(size: int, units: int) -> None:
    check = validate_roster(generated_org(size, units))
    assert check.rejected == ()
    assert len(check.roster.employees) == size


@settings(max_examples=40, deadline=None)
@given(size=st.integers(min_value=2, max_value=80), units=st.integers(min_value=1, max_value=10),
       data=st.data())
def test_adding_a_cycle_is_always_rejected_naming_its_rows(size: int, units: int,
                                                           data: st.DataObject) -> None:
    rows = generated_org(size, units)
    by_nip = {r.nip: r for r in rows}
    pick = data.draw(st.integers(min_value=1, max_value=size - 1))
    # The chain from the picked employee up to the top, then the top reports to it.
    chain = [rows[pick]]
    while chain[-1].superior_nip:
        chain.append(by_nip[chain[-1].superior_nip])
    top = chain[-1]
    rows[rows.index(top)] = replace(top, superior_nip=rows[pick].nip)
    check = validate_roster(rows)
    found = reasons(check)
    lines = ", ".join(str(line) for line in sorted(r.line for r in chain))
    for member in chain:
        assert found[member.line] == ("superior_nip", f"cycle in the reporting line: lines "
                                                      f"{lines}")
    assert check.roster.employees == {}  # everyone reports up into the cycle


# --------------------------------------------------------------------------- diff and apply

keys = st.sampled_from([f"e-{i:04d}" for i in range(1, 9)])
unit_codes = st.sampled_from(["u1", "u2", "u3"])
employees = st.builds(
    Employee, key=keys, nip=st.sampled_from([nip(i) for i in range(1, 5)]),
    name=st.sampled_from(["Siti", "Budi"]), position=st.sampled_from(["Kepala", "Analis"]),
    kind=st.sampled_from(list(PositionKind)),
    level=st.none() | st.sampled_from(list(FunctionalLevel)),
    employment=st.sampled_from(list(EmploymentType)), unit=unit_codes,
    superior=st.none() | keys, email=st.none() | st.just("x@example.go.id"))
units_ = st.builds(Unit, code=unit_codes, name=st.sampled_from(["A", "B"]),
                   parent=st.none() | unit_codes, leader=st.none() | keys)
rosters = st.builds(
    lambda es, us: Roster(employees={e.key: e for e in es}, units={u.code: u for u in us}),
    st.lists(employees, max_size=8), st.lists(units_, max_size=3))


@given(rosters)
def test_diff_of_a_roster_with_itself_is_empty(a: Roster) -> None:
    assert diff_roster(a, a) == []


@given(rosters, rosters)
def test_applying_the_diff_gives_the_new_roster(a: Roster, b: Roster) -> None:
    assert fold(diff_roster(a, b), a) == b


def test_diff_names_each_kind_of_change() -> None:
    old = validate_roster(small_org()).roster
    rows = small_org()
    # The pranata moves to u1 under the head; the staff member becomes an analyst
    # reporting to the head; a newcomer joins u2; nobody leaves.
    rows[2] = replace(rows[2], unit_code="u1", unit_name="Dinas", parent_unit="",
                      superior_nip=nip(1))
    rows[3] = replace(rows[3], position="Analis", position_kind="fungsional", level="muda",
                      superior_nip=nip(1))
    rows.append(row(6, 70, unit_code="u2", unit_name="Bidang", parent_unit="u1",
                    superior_nip=nip(2)))
    new = validate_roster(rows, {e.nip: e.key for e in old.employees.values()})
    assert new.clean, new.rejected
    types = [(e.type, getattr(e, "key", None)) for e in diff_roster(old, new.roster)]
    assert types == [
        ("employee_transferred", "e-0003"), ("superior_changed", "e-0003"),
        ("superior_changed", "e-0004"), ("position_changed", "e-0004"),
        ("employee_hired", None),
    ]
    gone = validate_roster(small_org()[:2], {e.nip: e.key for e in old.employees.values()})
    left = [(e.type, getattr(e, "key", None)) for e in diff_roster(old, gone.roster)]
    assert left == [("employee_left", "e-0003"), ("employee_left", "e-0004")]


def test_merge_partial_keeps_employees_whose_rows_are_rejected() -> None:
    first = validate_roster(small_org())
    known = {e.nip: e.key for e in first.roster.employees.values()}
    rows = small_org()
    rows[3] = replace(rows[3], email="broken")
    check = validate_roster(rows, known)
    assert [r.line for r in check.rejected] == [5]
    merged = merge_partial(first.roster, check)
    assert merged == first.roster
    assert diff_roster(first.roster, merged) == []


@given(field=st.sampled_from(TEXT_FIELDS),
       char=st.sampled_from([chr(c) for c in (*range(0, 9), *range(10, 32), 127)]))
def test_a_control_character_in_any_text_field_rejects_the_row(field: str, char: str) -> None:
    rows = small_org()
    rows[3] = replace(rows[3], **{field: getattr(rows[3], field)[:1] + char
                                  + getattr(rows[3], field)[1:]})
    check = validate_roster(rows)
    assert [(r.line, r.field, r.rule) for r in check.rejected] == [
        (5, field, "control-character")]
    assert f"U+{ord(char):04X}" in check.rejected[0].reason
    assert "\x00" not in check.rejected[0].nip


def test_nip_dates_are_checked_against_the_import_day_and_pppk_is_flagged() -> None:
    from datetime import date

    rows = [*small_org(),
            row(6, 40, nip="199001012027011001", superior_nip=nip(2), unit_code="u2",
                unit_name="Bidang", parent_unit="u1"),
            row(7, 41, nip="199001012021212001", employment_type="PPPK", superior_nip=nip(2),
                unit_code="u2", unit_name="Bidang", parent_unit="u1")]
    check = validate_roster(rows, today=date(2026, 11, 30))
    assert reasons(check) == {6: ("nip", "the first appointment lies in the future")}
    assert [(u.line, u.nip) for u in check.unchecked] == [(7, "199001012021212001")]
