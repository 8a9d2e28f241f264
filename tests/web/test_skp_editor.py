"""The SKP editor: several RHK with several indicators each, added and removed with the
form's buttons (without JavaScript: the page again with the values typed; with htmx: the
form alone), text targets, the link to the appraiser's approved RHK (intervensi), the
perspective of a JPT, the leader's expectations of behaviour; a refusal beside its
field."""

from __future__ import annotations

from typing import Any

from playwright.async_api import Page, expect

from domain.appraisal import DraftTargets, PositionKind
from domain.skp import Skp
from tests.web.appraisals import SKP, approved, open_appraisal
from tests.web.conftest import Site, axe_check, shot


def field(page: Page, name: str) -> Any:
    return page.locator(f'[id="{name}"]')


async def press(page: Page, name: str) -> None:
    """Click the button ``name`` (without JavaScript) and wait for the page it brings."""
    async with page.expect_navigation():
        await page.get_by_role("button", name=name).click()


async def _stored_skp(site: Site, appraisal_id: str | None = None) -> dict[str, Any]:
    state = await site.appraisals.state(site.actor("employee"),
                                        appraisal_id or site.appraisal_id)
    skp: dict[str, Any] = state.state["skp"]
    return skp


async def test_several_rhk_and_indicators_without_javascript(site: Site) -> None:
    page = await site.signed_in("employee", javascript=False)
    await page.goto(f"/penilaian/{site.appraisal_id}")
    await field(page, "rhk.0.description").fill("Layanan informasi publik")
    await field(page, "rhk.0.indicators.0.description").fill("Permohonan terlayani")
    await field(page, "rhk.0.indicators.0.target.value").fill("120")
    await field(page, "rhk.0.indicators.0.target.unit").fill("permohonan")
    await press(page, "Tambah indikator (RHK 1)")
    # the page again, with what was typed and a second indicator
    await expect(field(page, "rhk.0.indicators.0.description")).to_have_value(
        "Permohonan terlayani")
    await field(page, "rhk.0.indicators.1.description").fill("Waktu layanan")
    await field(page, "rhk.0.indicators.1.aspect").select_option("waktu")
    await field(page, "rhk.0.indicators.1.target.value").fill("3")
    await field(page, "rhk.0.indicators.1.target.unit").fill("hari")
    await press(page, "Tambah RHK")
    await field(page, "rhk.1.kind").select_option("tambahan")
    await field(page, "rhk.1.description").fill("Pelatihan pegawai")
    await field(page, "rhk.1.indicators.0.description").fill("Salah dibuat")
    await press(page, "Tambah indikator (RHK 2)")
    await field(page, "rhk.1.indicators.1.description").fill("Peserta terlatih")
    await field(page, "rhk.1.indicators.1.target.value").fill("20")
    await field(page, "rhk.1.indicators.1.target.unit").fill("orang")
    await press(page, "Hapus indikator 2.1")
    await expect(field(page, "rhk.1.indicators.0.description")).to_have_value(
        "Peserta terlatih")
    assert await field(page, "rhk.1.indicators.1.description").count() == 0
    await field(page, "behaviour.1.leader_expectation").fill("Laporan tepat waktu")
    await press(page, "Simpan draf")
    await expect(page.get_by_text("Draf", exact=True)).to_be_visible()

    skp = await _stored_skp(site)
    assert [[i["description"] for i in r["indicators"]] for r in skp["rhk"]] == [
        ["Permohonan terlayani", "Waktu layanan"], ["Peserta terlatih"]]
    assert skp["rhk"][0]["indicators"][1]["aspect"] == "waktu"
    assert skp["rhk"][1]["kind"] == "tambahan"
    assert skp["behaviour"][1] == {"value": "akuntabel",
                                   "leader_expectation": "Laporan tepat waktu"}
    # the saved SKP comes back whole into the editor
    await expect(field(page, "rhk.0.indicators.1.target.unit")).to_have_value("hari")
    await expect(field(page, "behaviour.1.leader_expectation")).to_have_value(
        "Laporan tepat waktu")

    # removing an RHK, then saving: the draft has one RHK left
    await press(page, "Hapus RHK 2")
    await expect(field(page, "rhk.1.description")).to_have_count(0)
    await press(page, "Simpan draf")
    await expect(page.get_by_role("button", name="Hapus RHK 1")).to_have_count(0)
    assert [r["description"] for r in (await _stored_skp(site))["rhk"]] == [
        "Layanan informasi publik"]


async def test_a_refusal_of_the_domain_beside_its_field(site: Site) -> None:
    """A qualitative SKP with a number as target: the domain names
    ``skp.rhk[0].indicators[1].target``; the page shows it beside that target, with the
    values kept."""
    page = await site.signed_in("employee", javascript=False)
    await page.goto(f"/penilaian/{site.appraisal_id}")
    await field(page, "approach").select_option("kualitatif")
    await field(page, "rhk.0.description").fill("Layanan informasi publik")
    await field(page, "rhk.0.indicators.0.description").fill("Mutu layanan")
    await field(page, "rhk.0.indicators.0.target.text").fill("Tanpa keluhan")
    await press(page, "Tambah indikator (RHK 1)")
    await field(page, "rhk.0.indicators.1.description").fill("Permohonan")
    await field(page, "rhk.0.indicators.1.target.value").fill("120")
    await field(page, "rhk.0.indicators.1.target.unit").fill("permohonan")
    await press(page, "Simpan draf")
    error = page.locator("#err-rhk-0-indicators-1-target-value")
    await expect(error).to_contain_text("qualitative SKP needs a text")
    await expect(field(page, "rhk.0.indicators.1.target.value")).to_have_attribute(
        "aria-invalid", "true")
    await expect(field(page, "rhk.0.indicators.0.target.text")).to_have_value("Tanpa keluhan")
    state = await site.appraisals.state(site.actor("employee"), site.appraisal_id)
    assert state.state["targets_status"] == "none"


async def test_with_htmx_the_buttons_change_the_form_alone(site: Site) -> None:
    page = await site.signed_in("employee")
    await page.goto(f"/penilaian/{site.appraisal_id}")
    await page.evaluate("window.kinerjaMarker = 'same page'")
    await field(page, "rhk.0.description").fill("Layanan informasi publik")
    async with page.expect_response(lambda r: r.url.endswith("/skp")) as answer:
        await page.get_by_role("button", name="Tambah indikator (RHK 1)").click()
    assert (await answer.value).request.headers.get("hx-request") == "true"
    await expect(field(page, "rhk.0.indicators.1.description")).to_be_visible()
    await expect(field(page, "rhk.0.description")).to_have_value("Layanan informasi publik")
    assert await page.evaluate("window.kinerjaMarker") == "same page"
    await field(page, "rhk.0.indicators.0.description").fill("Permohonan terlayani")
    await field(page, "rhk.0.indicators.0.target.value").fill("120")
    await field(page, "rhk.0.indicators.0.target.unit").fill("permohonan")
    await field(page, "rhk.0.indicators.1.description").fill("Waktu layanan")
    await field(page, "rhk.0.indicators.1.target.value").fill("3")
    await field(page, "rhk.0.indicators.1.target.unit").fill("hari")
    await axe_check(page, "SKP editor, two indicators")
    await shot(page, "skp-editor-two-indicators")
    await page.get_by_role("button", name="Simpan dan ajukan").click()
    await expect(page.get_by_text("Diajukan, menunggu pejabat penilai")).to_be_visible()
    skp = await _stored_skp(site)
    assert len(skp["rhk"][0]["indicators"]) == 2


async def test_an_skp_drafted_through_the_api_is_edited_whole(site: Site) -> None:
    """Several indicators, a text target in a qualitative SKP, an annex: all shown in the
    editor, and saving from the page keeps what it does not show (the annex)."""
    rich = {**SKP, "annex": {"resource_support": ["Anggaran pelatihan"]}}
    await site.appraisals.command(site.actor("employee"), site.appraisal_id,
                                  DraftTargets(skp=Skp.model_validate(rich)), "rich-1")
    page = await site.signed_in("employee")
    await page.goto(f"/penilaian/{site.appraisal_id}")
    await expect(field(page, "rhk.0.indicators.1.description")).to_have_value("Waktu layanan")
    await expect(field(page, "rhk.1.indicators.0.target.value")).to_have_value("20")
    await field(page, "rhk.1.indicators.0.target.value").fill("25")
    async with page.expect_response(lambda r: r.url.endswith(site.appraisal_id)):
        await page.get_by_role("button", name="Simpan draf").click()
    await expect(field(page, "rhk.1.indicators.0.target.value")).to_have_value("25")
    skp = await _stored_skp(site)
    assert skp["rhk"][1]["indicators"][0]["target"]["value"] == "25"
    assert skp["rhk"][0]["indicators"][1]["id"] == "ind-2"
    assert skp["annex"]["resource_support"] == ["Anggaran pelatihan"]


async def test_the_link_to_the_appraisers_approved_rhk(site: Site) -> None:
    """The appraiser's own appraisal in the same cycle, its SKP approved by the superior:
    the employee picks which of its RHK each of theirs supports."""
    page = await site.signed_in("employee", javascript=False)
    await page.goto(f"/penilaian/{site.appraisal_id}")
    assert await field(page, "rhk.0.supports_rhk").count() == 0  # nothing to support yet
    theirs = await open_appraisal(site, employee="appraiser", appraiser="superior",
                                  superior="hr")
    await approved(site, theirs, employee="appraiser", appraiser="superior")
    await page.reload()
    options = field(page, "rhk.0.supports_rhk").locator("option")
    await expect(options).to_have_text(["(tidak ada)", "Layanan informasi publik",
                                        "Pelatihan pegawai"])
    await field(page, "rhk.0.supports_rhk").select_option(label="Layanan informasi publik")
    await field(page, "rhk.0.description").fill("Jawaban permohonan informasi")
    await field(page, "rhk.0.indicators.0.description").fill("Permohonan dijawab")
    await field(page, "rhk.0.indicators.0.target.value").fill("100")
    await field(page, "rhk.0.indicators.0.target.unit").fill("permohonan")
    await press(page, "Simpan draf")
    await expect(field(page, "rhk.0.supports_rhk")).to_have_value("rhk-1")
    assert (await _stored_skp(site))["rhk"][0]["supports_rhk"] == "rhk-1"


async def test_a_jpt_chooses_a_perspective_of_the_policy(site: Site) -> None:
    appraisal_id = await open_appraisal(site, cycle=f"{site.agency}-jpt",
                                        position_kind=PositionKind.JPT)
    page = await site.signed_in("employee", javascript=False)
    await page.goto(f"/penilaian/{appraisal_id}")
    await field(page, "rhk.0.description").fill("Layanan informasi publik")
    await field(page, "rhk.0.indicators.0.description").fill("Indeks kepuasan")
    await field(page, "rhk.0.indicators.0.target.value").fill("85")
    await field(page, "rhk.0.indicators.0.target.unit").fill("indeks")
    await press(page, "Simpan draf")
    await expect(page.locator("#err-rhk-0-perspective")).to_contain_text("perspective")
    await field(page, "rhk.0.perspective").select_option("penerima layanan")
    await press(page, "Simpan draf")
    await expect(page.locator("#err-rhk-0-perspective")).to_have_count(0)
    skp = await _stored_skp(site, appraisal_id)
    assert skp["rhk"][0]["perspective"] == "penerima layanan"
