"""Indicators filled from data on the pages: the SKP editor binds an indicator to a source
(a select, without JavaScript); the progress form has no field for it; once measured, the
employee's and the appraiser's pages show the realisation with its source and figures."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from playwright.async_api import expect

from domain.appraisal.commands import RecordMeasurements
from domain.authorization import SYSTEM_ACTOR
from domain.skp import IndicatorSource, MeasuredRealisation, SourceKind
from tests.web.appraisals import SKP, approved
from tests.web.conftest import UNIT, Site, axe_check, shot
from tests.web.test_skp_editor import _stored_skp, field, press


def bound_skp() -> dict[str, Any]:
    skp = copy.deepcopy(SKP)
    skp["rhk"][0]["indicators"][1].update(
        {"description": "IKM unit layanan", "aspect": "kualitas",
         "target": {"value": "85", "unit": "IKM"}, "source": {"kind": "ikm_unit"}})
    return skp


async def test_the_editor_binds_an_indicator_to_a_source(site: Site) -> None:
    page = await site.signed_in("employee", javascript=False)
    await page.goto(f"/penilaian/{site.appraisal_id}")
    await field(page, "rhk.0.description").fill("Layanan informasi publik")
    await field(page, "rhk.0.indicators.0.description").fill("IKM unit layanan")
    await field(page, "rhk.0.indicators.0.aspect").select_option("kualitas")
    await field(page, "rhk.0.indicators.0.target.value").fill("85")
    await field(page, "rhk.0.indicators.0.target.unit").fill("IKM")
    await field(page, "rhk.0.indicators.0.source.kind").select_option(
        label="Indeks kepuasan masyarakat unit (IKM)")
    await press(page, "Simpan draf")
    skp = await _stored_skp(site)
    assert skp["rhk"][0]["indicators"][0]["source"] == {"kind": "ikm_unit", "unit": None}
    await expect(field(page, "rhk.0.indicators.0.source.kind")).to_have_value("ikm_unit")

    # A bound indicator needs a numeric target: said beside it, nothing stored.
    await field(page, "rhk.0.indicators.0.target.value").fill("")
    await field(page, "rhk.0.indicators.0.target.unit").fill("")
    await field(page, "rhk.0.indicators.0.target.text").fill("baik")
    await press(page, "Simpan draf")
    await expect(page.locator('[id="err-rhk-0-indicators-0"]')).to_contain_text(
        "numeric target")
    assert (await _stored_skp(site))["rhk"][0]["indicators"][0]["target"]["value"] == "85"


async def test_the_measured_realisation_is_shown_with_its_source(site: Site) -> None:
    await approved(site, site.appraisal_id, skp=bound_skp())
    employee = await site.signed_in("employee")
    await employee.goto(f"/penilaian/{site.appraisal_id}")
    # The progress form asks nothing of the bound indicator.
    await expect(employee.get_by_text("IKM unit layanan: diisi dari data pada akhir periode")
                 ).to_be_visible()
    assert await employee.locator('input[value="ind-2"]').count() == 0
    assert await employee.locator('[name$=".indicator_id"]').count() == 2  # ind-1, ind-3
    assert await employee.locator("#measured").count() == 0

    measured = MeasuredRealisation(
        indicator_id="ind-2", source=IndicatorSource(kind=SourceKind.UNIT_IKM), unit=UNIT,
        period=str(datetime.now(UTC).year), value=Decimal("81.25"),
        figures={"respondents": 412})
    await site.appraisals.command(SYSTEM_ACTOR, site.appraisal_id,
                                  RecordMeasurements(measurements=(measured,)), "measured")
    for who in ("employee", "appraiser"):
        page = await site.signed_in(who)
        await page.goto(f"/penilaian/{site.appraisal_id}")
        row = page.locator("#measured tbody tr")
        await expect(row).to_have_count(1)
        await expect(row).to_contain_text("IKM unit layanan")
        await expect(row).to_contain_text("Indeks kepuasan masyarakat unit (IKM)")
        await expect(row).to_contain_text("81,25")
        await expect(row).to_contain_text("412 responden")
        await axe_check(page, f"measured indicators ({who})")
        await shot(page, f"measured-{who}")

    # The history shows where the number came from.
    await page.goto(f"/penilaian/{site.appraisal_id}/riwayat")
    await expect(page.locator(".timeline li").last).to_contain_text(
        "ind-2: ikm_unit, diskominfo")
    await expect(page.locator(".timeline li").last).to_contain_text("respondents 412")
