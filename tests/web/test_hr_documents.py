"""HR's documents page (/sdm/siklus/<id>/dokumen): the cycle summary and a released
unit's report as PDF, a ZIP built in the background whose progress the page polls and
which HR downloads, with and without JavaScript; axe in both languages; a 404 for an
employee; /verifikasi says a verdict's reasons in the page's language."""

from __future__ import annotations

import io
import zipfile

from pypdf import PdfReader

from bench.harness.seed import UNIT, retire, seed_cycle
from domain.documents import REASON_TEMPLATES
from tests.web.conftest import Site, axe_check
from web.pages import VERDICT_REASONS


def _text(pdf: bytes) -> str:
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())


async def test_hr_downloads_the_reports_and_a_zip_built_in_the_background(site: Site) -> None:
    cycle_id, appraisals = await seed_cycle(site.pool, site.agency, 3)
    try:
        await _documents_page(site, cycle_id, appraisals)
    finally:  # seeded without workflows: nothing for the site's teardown to end
        await retire(site.pool, cycle_id)


async def _documents_page(site: Site, cycle_id: str, appraisals: list[str]) -> None:
    path = f"/sdm/siklus/{cycle_id}/dokumen"
    for lang in ("id", "en"):
        page = await site.signed_in("hr", lang=lang)
        response = await page.goto(path)
        assert response is not None and response.status == 200
        await axe_check(page, f"{path} {lang}")
    assert await page.locator("h1").inner_text() == f"Documents · {cycle_id}"

    hr = await site.signed_in("hr", lang="id")
    await hr.goto(path)
    async with hr.expect_download() as summary:
        await hr.locator("#summary-pdf").click()
    text = _text((await (await summary.value).path()).read_bytes())
    assert "RINGKASAN SIKLUS PENILAIAN KINERJA PEGAWAI" in text and "SEMENTARA" in text
    async with hr.expect_download() as unit:
        await hr.get_by_role("link", name="Laporan unit (PDF)").click()
    text = _text((await (await unit.value).path()).read_bytes())
    assert "LAPORAN KALIBRASI PREDIKAT KINERJA UNIT KERJA" in text and "Data uji." in text

    await hr.goto(f"/sdm/siklus/{cycle_id}/kurva/{UNIT}")  # the unit's page links it too
    async with hr.expect_download() as linked:
        await hr.locator("#unit-report").click()
    assert _text((await (await linked.value).path()).read_bytes()) == text

    await hr.goto(path)
    await hr.get_by_role("button", name="Buat ZIP").click()
    download = hr.locator("a.zip-download")
    await download.wait_for()  # htmx polls the row until the ZIP is built
    async with hr.expect_download() as built:
        await download.click()
    with zipfile.ZipFile(io.BytesIO((await (await built.value).path()).read_bytes())) as z:
        assert sorted(z.namelist()) == sorted([
            f"laporan-unit-{UNIT}.pdf", f"ringkasan-siklus-{cycle_id}.pdf",
            *(f"{UNIT}/skp-{a}.pdf" for a in appraisals)])

    # Without JavaScript: the form posts, the page shows the ZIP, a refresh shows it done.
    plain = await site.signed_in("hr", javascript=False)
    await plain.goto(path)
    await plain.locator("#unit").select_option(UNIT)
    await plain.get_by_role("button", name="Buat ZIP").click()
    await plain.wait_for_url(site.url + path)
    assert await plain.locator("#zips tbody tr").count() == 2
    for _ in range(100):
        if await plain.locator("#zips tbody tr a.zip-download").count() == 2:
            break
        await plain.get_by_role("link", name="Muat ulang").click()
    assert await plain.locator("#zips tbody tr a.zip-download").count() == 2

    employee = await site.signed_in("employee")
    for bad in (path, f"{path}/ringkasan-siklus.pdf", f"{path}/laporan-unit/{UNIT}.pdf"):
        response = await employee.goto(bad)
        assert response is not None and response.status == 404, bad


def test_every_reason_of_a_verdict_is_in_the_catalogues() -> None:
    assert set(REASON_TEMPLATES) == set(VERDICT_REASONS)


async def test_the_verdict_reasons_follow_the_pages_language(site: Site) -> None:
    code = "KINERJA-DOK1~appraisal-x~skp~3~" + "ab" * 32
    for lang, words in (("id", "log tidak memuat peristiwa 3 dari penilaian ini"),
                        ("en", "the log has no event 3 of this appraisal")):
        context = await site.context(lang=lang)
        page = await context.new_page()
        await page.goto(f"/verifikasi?kode={code}")
        assert words in await page.locator("#reasons").inner_text()
        await context.close()
