"""The SKP editor holds one quantitative indicator per RHK: an SKP with more (drafted
through the API) is shown, not offered for editing, so saving from the page never loses
part of it."""

from __future__ import annotations

from playwright.async_api import expect

from domain.appraisal import DraftTargets
from domain.skp import Skp
from tests.web.conftest import Site, axe_check

RICH = {"approach": "kuantitatif", "rhk": [
    {"id": "rhk-1", "kind": "utama", "description": "Layanan informasi publik",
     "indicators": [
         {"id": "ind-1", "description": "Permohonan terlayani", "aspect": "kuantitas",
          "target": {"value": "120", "unit": "permohonan"}},
         {"id": "ind-2", "description": "Waktu layanan", "aspect": "waktu",
          "target": {"value": "3", "unit": "hari"}}]}]}


async def test_an_skp_the_editor_cannot_hold_is_shown_not_edited(site: Site) -> None:
    await site.appraisals.command(site.actor("employee"), site.appraisal_id,
                                  DraftTargets(skp=Skp.model_validate(RICH)), "rich-1")
    employee = await site.signed_in("employee")
    await employee.goto(f"/penilaian/{site.appraisal_id}")
    await expect(employee.locator("#editor-note")).to_be_visible()
    assert await employee.locator('[id="rhk.0.description"]').count() == 0
    await expect(employee.get_by_role("cell", name="Waktu layanan")).to_be_visible()
    await axe_check(employee, "SKP shown, not edited")
