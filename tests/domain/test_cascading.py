"""Cascading (intervensi): an RHK's link is checked against the appraiser's approved SKP
when the SKP is submitted and approved; a later change of the appraiser's SKP flags the
link for review; the Matriks Peran Hasil of a unit (``domain.appraisal.cascading``)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench.harness.builders import (
    AGENCY,
    APPRAISER,
    EMPLOYEE,
    HR,
    OTHER_HR,
    STRANGER,
    SYSTEM,
    UNIT,
    Run,
    open_command,
    sample_skp,
)
from domain.appraisal import (
    ApproveTargets,
    CommandRefused,
    DeadlineKind,
    DraftTargets,
    PassDeadline,
    SetTargets,
    SubmitTargets,
    TargetStatus,
)
from domain.appraisal.cascading import (
    MATRIX_HEADER,
    StaffSkp,
    link_status,
    matrix,
    may_read_matrix,
)

BOSS_RHK = {"boss-rhk-1": "Keterbukaan informasi publik", "boss-rhk-2": "Layanan digital"}


def drafted() -> Run:
    run = Run()
    run.do(open_command(), HR)
    run.do(DraftTargets(skp=sample_skp()), EMPLOYEE)  # rhk-1 supports boss-rhk-1
    return run


def test_a_link_to_an_rhk_of_the_appraisers_approved_skp_is_submitted_and_approved() -> None:
    run = drafted()
    run.do(SubmitTargets(appraiser_rhk=BOSS_RHK), EMPLOYEE)
    (approved,) = run.do(ApproveTargets(appraiser_rhk=BOSS_RHK), APPRAISER)
    assert approved.supported == {"boss-rhk-1": "Keterbukaan informasi publik"}
    assert run.state.approved_links == approved.supported
    assert run.state.targets_status is TargetStatus.APPROVED


@pytest.mark.parametrize(("appraiser_rhk", "says"), [
    ({"boss-rhk-2": "Layanan digital"}, "not an RHK of your appraiser's approved SKP"),
    ({}, "no approved SKP in this cycle yet"),
])
def test_a_link_to_anything_else_is_refused_at_submission_naming_the_field(
        appraiser_rhk: dict[str, str], says: str) -> None:
    run = drafted()
    with pytest.raises(CommandRefused, match=says) as refused:
        run.do(SubmitTargets(appraiser_rhk=appraiser_rhk), EMPLOYEE)
    assert refused.value.field == "skp.rhk[0].supports_rhk"
    assert run.state.targets_status is TargetStatus.DRAFT  # nothing changed


def test_the_approval_checks_again_against_the_appraisers_skp_of_that_moment() -> None:
    run = drafted()
    run.do(SubmitTargets(appraiser_rhk=BOSS_RHK), EMPLOYEE)
    with pytest.raises(CommandRefused, match="not an RHK") as refused:
        run.do(ApproveTargets(appraiser_rhk={"boss-rhk-9": "Lain"}), APPRAISER)
    assert refused.value.field == "skp.rhk[0].supports_rhk"
    assert run.state.targets_status is TargetStatus.SUBMITTED


def test_a_command_recorded_before_the_rule_carries_no_fact_and_is_not_checked() -> None:
    run = drafted()
    run.do(SubmitTargets(), EMPLOYEE)
    (approved,) = run.do(ApproveTargets(), APPRAISER)
    assert approved.supported is None


def test_an_skp_without_links_needs_no_approved_skp_of_the_appraiser() -> None:
    skp = sample_skp()
    unlinked = skp.model_copy(update={"rhk": tuple(
        r.model_copy(update={"supports_rhk": None}) for r in skp.rhk)})
    run = Run()
    run.do(open_command(), HR)
    run.do(DraftTargets(skp=unlinked), EMPLOYEE)
    run.do(SubmitTargets(appraiser_rhk={}), EMPLOYEE)
    run.do(ApproveTargets(appraiser_rhk={}), APPRAISER)
    assert run.state.approved_links == {}


def test_a_change_of_the_appraisers_skp_after_approval_flags_the_link() -> None:
    approved = {"boss-rhk-1": "Keterbukaan informasi publik"}
    assert link_status("boss-rhk-1", approved, BOSS_RHK) == "ok"
    assert link_status("boss-rhk-1", approved, {"boss-rhk-2": "x"}) == "review"  # gone
    assert link_status("boss-rhk-1", approved, {"boss-rhk-1": "Reworded"}) == "review"
    assert link_status("boss-rhk-1", None, {"boss-rhk-1": "Reworded"}) == "ok"  # id only
    assert link_status(None, approved, {}) == "none"


@given(st.dictionaries(st.sampled_from(["a", "b", "c"]), st.sampled_from(["x", "y"])),
       st.dictionaries(st.sampled_from(["a", "b", "c"]), st.sampled_from(["x", "y"])),
       st.sampled_from(["a", "b", "c"]))
def test_a_link_is_ok_exactly_when_its_rhk_reads_as_it_did_at_approval(
        then: dict[str, str], now: dict[str, str], link: str) -> None:
    status = link_status(link, then, now)
    holds = link in now and (link not in then or then[link] == now[link])
    assert (status == "ok") == holds and status in ("ok", "review")


def test_the_matrix_shows_who_supports_which_result_of_their_superior() -> None:
    skp = sample_skp()
    staff = [
        StaffSkp(appraisal_id="a-2", employee="emp-2", appraiser="boss-1",
                 targets_status="draft", skp=None),
        StaffSkp(appraisal_id="a-1", employee="emp-1", appraiser="boss-1",
                 targets_status="approved", skp=skp,
                 approved_links={"boss-rhk-1": "Keterbukaan informasi publik (lama)"}),
    ]
    rows = matrix(staff, {"boss-1": BOSS_RHK})
    assert [(r.employee, r.rhk_id, r.supports_rhk, r.link) for r in rows] == [
        ("emp-1", "rhk-1", "boss-rhk-1", "review"),  # reworded since the approval
        ("emp-1", "rhk-2", None, "none"), ("emp-1", "rhk-3", None, "none")]
    assert rows[0].supported == "Keterbukaan informasi publik"
    assert list(rows[0].model_dump()) == MATRIX_HEADER


def test_who_may_read_a_units_matrix() -> None:
    assert may_read_matrix(HR, AGENCY, UNIT)
    assert may_read_matrix(EMPLOYEE, AGENCY, UNIT)
    assert not may_read_matrix(EMPLOYEE, AGENCY, "another-unit")
    assert not may_read_matrix(OTHER_HR, AGENCY, UNIT)
    assert not may_read_matrix(STRANGER, AGENCY, UNIT)


def test_hr_setting_the_skp_after_its_deadline_is_checked_the_same_way() -> None:
    run = Run()
    run.do(open_command(), HR)
    due = run.state.deadlines[DeadlineKind.SKP]
    run.do(PassDeadline(deadline=DeadlineKind.SKP), SYSTEM, at=due)
    with pytest.raises(CommandRefused, match="not an RHK") as refused:
        run.do(SetTargets(skp=sample_skp(), reason="Tenggat lewat.",
                          appraiser_rhk={"boss-rhk-2": "Layanan digital"}), HR)
    assert refused.value.field == "skp.rhk[0].supports_rhk"
    (set_,) = run.do(SetTargets(skp=sample_skp(), reason="Tenggat lewat.",
                                appraiser_rhk=BOSS_RHK), HR)
    assert set_.supported == {"boss-rhk-1": "Keterbukaan informasi publik"}
    assert run.state.approved_links == set_.supported
