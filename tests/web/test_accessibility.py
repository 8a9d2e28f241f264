"""axe-core on every page, in Indonesian and in English: no serious or critical
violation (the pages of the later phases are checked along the walk, test_walk.py)."""

from __future__ import annotations

from tests.web.conftest import Site, shot
from tests.web.conftest import axe_check as _check


async def test_every_page_passes_axe_in_indonesian_and_english(site: Site) -> None:
    for lang in ("id", "en"):
        anonymous = await (await site.context(lang=lang)).new_page()
        await anonymous.goto("/masuk/dev")
        await _check(anonymous, f"sign-in {lang}")
        employee = await site.signed_in("employee", lang=lang)
        expected = "Kinerja saya" if lang == "id" else "My performance"
        assert await employee.get_by_role("heading", level=1).inner_text() == expected
        await _check(employee, f"home {lang}")
        await employee.goto(f"/penilaian/{site.appraisal_id}")
        await _check(employee, f"appraisal {lang}")
        # a refusal shown next to its field
        await employee.locator('[id="rhk.0.description"]').fill("Layanan")
        await employee.locator("form[action$='/skp'] .actions button[value=save]").click()
        await employee.locator(".error").first.wait_for()
        assert await employee.locator(".error").count() == 2  # the indicator, the target
        await _check(employee, f"appraisal with errors {lang}")
        await shot(employee, f"a11y-errors-{lang}")
        await employee.goto(f"/penilaian/{site.appraisal_id}/riwayat")
        await _check(employee, f"history {lang}")
        await employee.goto("/penilaian/unknown")
        await _check(employee, f"not found {lang}")
        phone = await site.signed_in("employee", lang=lang, phone=True)
        await phone.goto(f"/penilaian/{site.appraisal_id}")
        await _check(phone, f"appraisal on a phone {lang}")
