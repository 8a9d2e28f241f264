"""HR's pages in the browser. A demo agency of 50 employees run for a year: the roster
uploaded with one bad row (seen in the report, its rejected rows downloaded), then fixed
and applied; a cycle created (a deadline already past refused at its field), started with
the progress bar reaching the end; a deadline moved for one unit; monitoring (an overdue
appraisal with its appraiser, the chart's bars against the progress API, CSV and XLSX);
the organisation ratings set, one unit failing its curve and released with an exception,
the others passing; close refused while results are open, then closed; results
downloaded and parsed. Every HR page passes axe in Indonesian and English; an employee's
session gets the 404 page on each; the pages work without JavaScript and refuse bad
input beside its field."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from openpyxl import Workbook, load_workbook
from playwright.async_api import Page, expect

from api.auth import mint_token
from tests.polling import poll_async
from tests.web.conftest import TOKENS, Site, axe_check, shot

UNITS = {"diskominfo": "Dinas Komunikasi dan Informatika", "dinkes": "Dinas Kesehatan",
         "disdik": "Dinas Pendidikan"}
HEADER = ("kode_pegawai;nip;nama;jabatan;jenis_jabatan;jenjang;status_kepegawaian;kode_unit;"
          "nama_unit;unit_induk;nip_atasan;email")


def _nip(n: int) -> str:
    """A valid NIP: born 1980-01-dd, appointed 2005-01, man, number n."""
    return f"198001{(n % 28) + 1:02d}200501" + f"1{n + 1:03d}"


Person = tuple[str, str, str, str | None, str, str]
"""(key, unit, position kind, superior's key, work result, behaviour of the review)."""


def demo_people() -> list[Person]:
    """50 employees: the regional secretary (setda), a head per unit, the rest staff of
    the units. Reviews: dinkes all Baik (breaks the Baik curve); in the other units the
    first five staff Butuh Perbaikan, the rest Baik (11 of 16: keeps it)."""
    people: list[Person] = [("h-000", "setda", "JPT", None, "meets", "meets")]
    heads = {code: f"h-{n:03d}" for n, code in enumerate(UNITS, start=1)}
    people += [(key, code, "administrator", "h-000", "meets", "meets")
               for code, key in heads.items()]
    staff: dict[str, int] = {}
    for number in range(4, 50):
        code = list(UNITS)[number % 3]
        staff[code] = staff.get(code, 0) + 1
        work = "below" if code != "dinkes" and staff[code] <= 5 else "meets"
        people.append((f"h-{number:03d}", code, "pelaksana", heads[code], work, "meets"))
    return people


def roster_of(people: list[Person], bad: str | None = None) -> str:
    """The roster file of ``people`` (``bad``: this key's position kind is not a kind)."""
    numbers = {key: n for n, (key, *_rest) in enumerate(people)}
    names = {"setda": "Sekretariat Daerah", **UNITS}
    rows = [HEADER]
    for key, unit, kind, superior, _work, _behaviour in people:
        rows.append(f"{key};{_nip(numbers[key])};Pegawai {key};Jabatan {key};"
                    f"{'direktur' if key == bad else kind};;PNS;{unit};{names[unit]};"
                    f"{'' if unit == 'setda' else 'setda'};"
                    f"{_nip(numbers[superior]) if superior else ''};")
    return "\n".join(rows) + "\n"


def demo_roster(bad: bool = False) -> str:
    return roster_of(demo_people(), "h-017" if bad else None)


async def _upload(page: Page, tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    await page.goto("/sdm/pegawai")
    await page.get_by_label("Berkas daftar pegawai").set_input_files(str(path))
    await page.get_by_role("button", name="Periksa berkas").click()


async def test_hr_runs_the_year_of_a_50_employee_agency(
        site: Site, tmp_path: Path) -> None:
    hr = await site.signed_in("hr")
    await hr.get_by_role("link", name="SDM").click()
    await hr.get_by_role("link", name="Pegawai").click()
    await expect(hr.get_by_role("heading", level=1)).to_have_text(f"Pegawai · {site.agency}")
    await expect(hr.locator("#roster-version")).to_have_text("0")

    # One bad row: the report names its row, column, rule and value; nothing applied.
    await _upload(hr, tmp_path, "pegawai.csv", demo_roster(bad=True))
    rejected = hr.locator("#rejected tbody tr")
    await expect(rejected).to_have_count(1)
    cells = await rejected.first.locator("td").all_inner_texts()
    assert cells[:4] == ["19", "jenis_jabatan", "roster-row", "direktur"]
    await expect(hr.get_by_role("button", name="Terapkan roster")).to_have_count(0)
    await expect(hr.get_by_role("button", name="Terapkan baris yang valid")).to_be_visible()
    changes = hr.locator("#changes")
    await expect(changes.get_by_role("row", name="Diangkat")).to_contain_text("49")
    await shot(hr, "hr-01-roster-rejected")
    await axe_check(hr, "roster report")
    async with hr.expect_download() as downloading:
        await hr.get_by_role("link", name="Unduh baris yang ditolak (CSV)").click()
    download = await downloading.value
    text = Path(await download.path()).read_text(encoding="utf-8-sig")
    table = list(csv.DictReader(io.StringIO(text)))
    assert [(r["baris"], r["kolom_ditolak"], r["jenis_jabatan"], r["nip"]) for r in table] \
        == [("19", "jenis_jabatan", "direktur", _nip(17))]
    assert await site.pool.fetchval(
        "SELECT count(*) FROM roster_employees WHERE agency = $1", site.agency) == 0

    # Fixed: no row rejected, 50 to hire; applied.
    await _upload(hr, tmp_path, "pegawai-perbaikan.csv", demo_roster())
    await expect(hr.locator("#rejected")).to_have_count(0)
    await expect(changes.get_by_role("row", name="Diangkat")).to_contain_text("50")
    await hr.get_by_role("button", name="Terapkan roster").click()
    await expect(hr.get_by_role("heading", name="Roster diterapkan")).to_be_visible()
    stored = await site.pool.fetchrow(
        "SELECT version, digest FROM roster_agencies WHERE agency = $1", site.agency)
    await expect(hr.locator("#roster-version")).to_have_text(str(stored["version"]))
    await expect(hr.locator("#roster-digest")).to_have_text(bytes(stored["digest"]).hex())
    await expect(hr.get_by_role("heading", name="Dinas Kesehatan (dinkes)")).to_be_visible()
    await shot(hr, "hr-02-roster-applied")

    # A cycle: this year's default SKP deadline has passed, refused at its field.
    await hr.get_by_role("link", name="Siklus").click()
    year = datetime.now(UTC).year
    await hr.get_by_label("Tahun").fill(str(year))
    await hr.get_by_role("button", name="Buat siklus").click()
    skp = hr.locator("#err-skp_deadline")
    if datetime.now(UTC).month > 1:
        await expect(skp).to_contain_text("skp deadline has passed")
        await expect(hr.get_by_label("SKP disetujui paling lambat")).to_have_attribute(
            "aria-invalid", "true")
    today = datetime.now(UTC).date()
    await hr.get_by_label("Tahun").fill(str(year + 1))
    await hr.get_by_label("SKP disetujui paling lambat").fill(
        (today + timedelta(days=20)).isoformat())
    await hr.get_by_label("Penilaian mandiri paling lambat").fill(
        (today + timedelta(days=40)).isoformat())
    await hr.get_by_label("Penilaian paling lambat").fill(
        (today + timedelta(days=60)).isoformat())
    await hr.get_by_role("button", name="Buat siklus").click()
    cycle_id = f"{site.agency}-{year + 1}"
    await hr.wait_for_url(f"{site.url}/sdm/siklus/{cycle_id}")
    await expect(hr.locator("#cycle-status")).to_have_text("Dibuat, belum dimulai")
    await axe_check(hr, "cycle created")

    # Start: the progress bar fills (htmx polling) to all 50.
    await hr.get_by_role("button", name="Mulai siklus").click()
    await expect(hr.locator("#start-total")).to_have_text("50")
    await expect(hr.locator("#start-done")).to_have_text("50", timeout=120_000)
    await expect(hr.locator("#start-bar")).to_have_attribute("value", "50")
    await hr.reload()
    await expect(hr.locator("#cycle-status")).to_have_text("Berjalan")
    opened = await site.pool.fetchval(
        "SELECT count(*) FROM appraisal_summaries WHERE cycle_id = $1", cycle_id)
    assert opened == 50
    await shot(hr, "hr-03-cycle-started")

    # A deadline moved for one unit, with a reason; the past is refused at the field.
    await hr.get_by_label("Tanggal baru").fill((today - timedelta(days=1)).isoformat())
    await hr.get_by_label("Untuk").select_option("dinkes")
    await hr.get_by_label("Alasan").fill("Gangguan jaringan di Dinas Kesehatan.")
    await hr.get_by_role("button", name="Pindahkan tenggat").click()
    await expect(hr.locator("#err-until")).to_be_visible()
    await hr.get_by_label("Tanggal baru").fill((today + timedelta(days=30)).isoformat())
    await hr.get_by_role("button", name="Pindahkan tenggat").click()
    await expect(hr.locator("#moves tbody tr")).to_have_count(1)
    await expect(hr.locator("#moves tbody tr")).to_contain_text("dinkes")

    async def moved() -> int:
        return int(await site.pool.fetchval(
            "SELECT count(*) FROM appraisal_summaries WHERE cycle_id = $1 AND unit = 'dinkes'"
            " AND next_deadline_at::date = $2", cycle_id, today + timedelta(days=30)) or 0)

    dinkes = await site.pool.fetchval(
        "SELECT count(*) FROM appraisal_summaries WHERE cycle_id = $1 AND unit = 'dinkes'",
        cycle_id)
    await poll_async(moved, "the unit's appraisals follow the moved deadline", 60,
                     until=lambda n: n == dinkes)
    await shot(hr, "hr-04-deadline-moved")

    # Monitoring: one disdik appraisal overdue, listed with its appraiser.
    late = await site.pool.fetchrow(
        "UPDATE appraisal_summaries SET next_deadline_at = now() - interval '1 day'"
        " WHERE appraisal_id = (SELECT appraisal_id FROM appraisal_summaries"
        " WHERE cycle_id = $1 AND unit = 'disdik' AND employee <> 'h-003' LIMIT 1)"
        " RETURNING employee, appraiser", cycle_id)
    await hr.get_by_role("link", name="Pemantauan").click()
    await expect(hr.locator("#total")).to_have_text("50")
    await expect(hr.locator("#overdue tbody tr")).to_have_count(1)
    await expect(hr.locator("#overdue tbody tr")).to_contain_text(late["employee"])
    await expect(hr.locator("#overdue tbody tr")).to_contain_text(late["appraiser"])
    assert late["appraiser"] == "h-003"
    await axe_check(hr, "monitoring")
    await shot(hr, "hr-05-monitoring")
    await hr.locator("#unit-filter").select_option("dinkes")
    await hr.get_by_role("button", name="Tampilkan").click()
    await expect(hr.get_by_role("heading", level=1)).to_contain_text("dinkes")
    await expect(hr.locator("#overdue")).to_have_count(0)
    # The chart's bars are the progress API's counts for the same unit.
    token = mint_token(TOKENS, subject=site.people["hr"].key, roles=["employee", "hr"],
                       agency=site.agency, agencies=[site.agency])
    async with httpx.AsyncClient(base_url=site.url,
                                 headers={"Authorization": f"Bearer {token}"}) as http:
        api = (await http.get(f"/v1/cycles/{cycle_id}/progress",
                              params={"unit": "dinkes"})).json()
    by_phase = {c["phase"]: c["count"] for c in api["by_unit_phase"]}
    bars = hr.locator("#chart-phases rect.bar")
    drawn = {await b.get_attribute("data-key"): int(await b.get_attribute("data-value") or -1)
             for b in await bars.all()}
    assert drawn == {phase: by_phase.get(phase, 0) for phase in drawn}
    assert drawn["target_setting"] == dinkes and sum(drawn.values()) == api["total"]
    await expect(hr.locator("#chart-phases rect[data-key=target_setting] title")).to_have_text(
        f"Penyusunan target (SKP): {dinkes}")
    # Export what is on screen: CSV and XLSX, parsed.
    async with hr.expect_download() as downloading:
        await hr.get_by_role("link", name="Ekspor CSV").click()
    text = Path(await (await downloading.value).path()).read_text(encoding="utf-8-sig")
    units = list(csv.DictReader(io.StringIO(text.split("\n\n")[0].replace("\r", ""))))
    assert [(r["unit"], int(r["total"]), int(r["target_setting"])) for r in units] \
        == [("dinkes", dinkes, dinkes)]
    async with hr.expect_download() as downloading:
        await hr.get_by_role("link", name="Ekspor XLSX").click()
    download = await downloading.value
    assert download.suggested_filename == f"pemantauan-{cycle_id}-dinkes.xlsx"
    book = load_workbook(io.BytesIO(Path(await download.path()).read_bytes()), read_only=True)
    rows = list(book["unit"].iter_rows(values_only=True))
    header = list(rows[0])
    assert rows[1][0] == "dinkes" and rows[1][header.index("total")] == dinkes
    assert next(book["terlambat"].iter_rows(values_only=True))[:3] == (
        "appraisal", "employee", "appraiser")

    # The organisation rating of each unit, set on its curve page.
    for unit in ("setda", *UNITS):
        await hr.goto(f"/sdm/siklus/{cycle_id}")
        await hr.get_by_role("link", name=unit, exact=True).click()
        await hr.get_by_label("Predikat kinerja organisasi unit").select_option("baik")
        await hr.get_by_role("button", name="Tetapkan predikat organisasi").click()
        await expect(hr.locator("#org-rating")).to_have_text("Baik")

    async def no_work(state_id: str = cycle_id) -> bool:
        return await site.pool.fetchval(
            "SELECT jsonb_array_length(state->'pending') = 0 FROM cycles"
            " WHERE cycle_id = $1", state_id) is True

    await poll_async(no_work, "the ratings reached every appraisal", 60)
    people = demo_people()
    await _review_everyone(site, cycle_id, people)

    # dinkes breaks the curve: each broken rule named with its counts; refused without a
    # reason, released with one.
    await hr.goto(f"/sdm/siklus/{cycle_id}/kurva/dinkes")
    await expect(hr.locator("#verdict")).to_have_text("Melanggar kurva")
    broken = hr.locator("#rules tr.broken")
    await expect(broken).to_have_count(2)
    await expect(broken.nth(0)).to_contain_text("Baik at most 70%")
    await expect(broken.nth(0)).to_contain_text("17 / 17")
    await expect(broken.nth(1)).to_contain_text("0 / 17")
    bars = {await b.get_attribute("data-key"): await b.get_attribute("data-value")
            for b in await hr.locator("#chart-unit-predikat rect.bar").all()}
    assert bars["baik"] == "17" and bars["sangat_baik"] == "0"
    await axe_check(hr, "calibration failing")
    await shot(hr, "hr-06-calibration-failing")
    await hr.get_by_role("button", name="Umumkan hasil penilaian unit").click()
    await expect(hr.locator("#err-exception_reason")).to_be_visible()
    await expect(hr.locator("#released")).to_have_text("Belum")
    await hr.get_by_label("Alasan pengecualian").fill(
        "Pelayanan kesehatan istimewa tahun ini; dicatat sebagai pengecualian.")
    await hr.get_by_role("button", name="Umumkan hasil penilaian unit").click()
    await expect(hr.locator("#released")).to_contain_text("dicatat sebagai pengecualian")
    # disdik and diskominfo keep their curve: released without a reason.
    for unit in ("disdik", "diskominfo"):
        await hr.goto(f"/sdm/siklus/{cycle_id}/kurva/{unit}")
        await expect(hr.locator("#verdict")).to_have_text("Sesuai kurva")
        await hr.get_by_role("button", name="Umumkan hasil penilaian unit").click()
        await expect(hr.locator("#released")).not_to_have_text("Belum")
    await hr.goto(f"/sdm/siklus/{cycle_id}/kurva/setda")
    await hr.get_by_label("Alasan pengecualian").fill("Satu pegawai: kurva tidak bermakna.")
    await hr.get_by_role("button", name="Umumkan hasil penilaian unit").click()
    await expect(hr.locator("#released")).not_to_have_text("Belum")
    await poll_async(no_work, "every unit released", 60)

    # Closing is refused while results are open; then everyone accepts and it closes.
    await hr.goto(f"/sdm/siklus/{cycle_id}")
    await hr.get_by_role("button", name="Tutup siklus").click()
    await expect(hr.locator(".error-summary")).to_contain_text("neither final nor cancelled")
    await _accept_everyone(site, cycle_id, people)
    await hr.goto(f"/sdm/siklus/{cycle_id}")
    await hr.get_by_role("button", name="Tutup siklus").click()
    await expect(hr.locator("#cycle-status")).to_have_text("Ditutup")
    final = {await b.get_attribute("data-key"): await b.get_attribute("data-value")
             for b in await hr.locator("#chart-final-disdik rect.bar").all()}
    assert final["baik"] == "11" and final["butuh_perbaikan"] == "5"
    await expect(hr.locator("#final tbody tr")).to_have_count(4)
    await axe_check(hr, "closed")
    await shot(hr, "hr-07-closed")
    async with hr.expect_download() as downloading:
        await hr.get_by_role("link", name="Hasil (CSV)").click()
    text = Path(await (await downloading.value).path()).read_text(encoding="utf-8-sig")
    results = list(csv.DictReader(io.StringIO(text)))
    assert sorted((r["employee"], r["phase"], r["predikat"]) for r in results) == sorted(
        (key, "final", "butuh_perbaikan" if work == "below" else "baik")
        for key, _unit, _kind, _superior, work, _behaviour in people)
    async with hr.expect_download() as downloading:
        await hr.get_by_role("link", name="Hasil (XLSX)").click()
    book = load_workbook(io.BytesIO(Path(await (await downloading.value).path()).read_bytes()),
                         read_only=True)
    assert len(list(book["hasil"].iter_rows(values_only=True))) == len(people) + 1
    # In English too, and a 404 page for an employee.
    english = await site.signed_in("hr", lang="en")
    for path in (f"/sdm/siklus/{cycle_id}/kurva/dinkes", f"/sdm/siklus/{cycle_id}"):
        response = await english.goto(path)
        assert response is not None and response.status == 200
        await axe_check(english, f"{path} en")
    employee = await site.signed_in("employee")
    for path in (f"/sdm/siklus/{cycle_id}/kurva/dinkes", f"/sdm/siklus/{cycle_id}/hasil.csv",
                 f"/sdm/siklus/{cycle_id}/hasil.xlsx"):
        response = await employee.goto(path)
        assert response is not None and response.status == 404, path
    reads = await site.pool.fetch(
        "SELECT convert_from(canonical, 'UTF8') AS data FROM events WHERE stream_id = $1"
        " AND type = 'HrRead'", f"access-{site.agency}")
    assert sum("cycle-results" in r["data"] for r in reads) == 2  # the CSV and the XLSX
    assert any('"roster"' in r["data"] for r in reads)  # the roster page shows NIPs


async def _create_cycle(page: Page, year: int) -> str:
    today = datetime.now(UTC).date()
    await page.goto("/sdm/siklus")
    await page.get_by_label("Tahun").fill(str(year))
    for i, label in enumerate(("SKP disetujui paling lambat", "Penilaian mandiri paling lambat",
                               "Penilaian paling lambat")):
        await page.get_by_label(label).fill((today + timedelta(days=20 * (i + 1))).isoformat())
    await page.get_by_role("button", name="Buat siklus").click()
    await page.wait_for_url(f"**/sdm/siklus/*-{year}")
    return page.url.rsplit("/", 1)[1]


async def test_every_hr_page_passes_axe_and_is_a_404_for_an_employee(site: Site) -> None:
    hr = await site.signed_in("hr")
    cycle_id = await _create_cycle(hr, datetime.now(UTC).year + 1)
    pages = ["/sdm/pegawai", "/sdm/siklus", f"/sdm/siklus/{cycle_id}",
             f"/sdm/siklus/{cycle_id}/pemantauan", "/sdm/indikator"]
    for lang in ("id", "en"):
        page = await site.signed_in("hr", lang=lang)
        for path in pages:
            response = await page.goto(path)
            assert response is not None and response.status == 200
            await axe_check(page, f"{path} {lang}")
    employee = await site.signed_in("employee")
    for path in [*pages, "/sdm", f"/sdm/siklus/{cycle_id}/kemajuan",
                 f"/sdm/siklus/{cycle_id}/pemantauan.csv",
                 f"/sdm/siklus/{cycle_id}/pemantauan.xlsx",
                 "/sdm/pegawai/unggahan/x/ditolak.csv", "/sdm/indikator.csv",
                 "/sdm/indikator.xlsx"]:
        response = await employee.goto(path)
        assert response is not None and response.status == 404, path
    # Another agency, even for HR: the 404 page.
    for path in ("/sdm/pegawai?instansi=pemkot-lain", "/sdm/siklus/pemkot-lain-2027"):
        response = await hr.goto(path)
        assert response is not None and response.status == 404, path


SMALL = [  # (key, unit, kind, superior key, work result, behaviour)
    ("k-sekda", "setda", "JPT", None, "meets", "meets"),
    ("k-dinkes", "dinkes", "administrator", "k-sekda", "meets", "meets"),
    *[(f"k-dinkes-{i}", "dinkes", "pelaksana", "k-dinkes", "meets", "meets")
      for i in range(3)],
    ("k-disdik", "disdik", "administrator", "k-sekda", "meets", "meets"),
    ("k-disdik-0", "disdik", "pelaksana", "k-disdik", "meets", "meets"),
    ("k-disdik-1", "disdik", "pelaksana", "k-disdik", "below", "meets"),
]
"""A small agency: dinkes all Baik (breaks the Baik curve), disdik 2 Baik and 1 Butuh
Perbaikan (keeps it)."""


def small_roster() -> str:
    return roster_of(SMALL)


async def _review_everyone(site: Site, cycle_id: str, people: list[Person]) -> None:
    """Each appraisal through SKP, approval, self-assessment and review (the use cases the
    appraisal pages call; those pages have their own walk)."""
    from domain import appraisal as d
    from domain.skp import Ratings, SelfAssessment, Skp
    from tests.lifecycle.conftest import SELF_ASSESSMENT, SKP, review_body

    limit = asyncio.Semaphore(8)

    async def one(key: str, kind: str, superior: str | None, work: str, behaviour: str) -> None:
        skp = Skp.model_validate(SKP)
        if kind == "JPT":
            skp = skp.model_copy(update={"rhk": [
                r.model_copy(update={"perspective": "penerima layanan"}) for r in skp.rhk]})
        async with limit:
            for command, by in (
                    (d.DraftTargets(skp=skp), key), (d.SubmitTargets(), key),
                    (d.ApproveTargets(), superior),
                    (d.SubmitSelfAssessment(
                        assessment=SelfAssessment.model_validate(SELF_ASSESSMENT)), key),
                    (d.SubmitReview(ratings=Ratings.model_validate(
                        review_body(rhk=work, values=behaviour))), superior)):
                await site.appraisals.command(_actor(site, people, by),
                                              f"appraisal-{cycle_id}-{key}", command,
                                              uuid.uuid4().hex)

    await asyncio.gather(*(one(key, kind, superior, work, behaviour)
                           for key, _unit, kind, superior, work, behaviour in people))


def _actor(site: Site, people: list[Person], key: str | None) -> Any:
    from domain.authorization import Actor, Role

    if key is None:  # the head of the agency: HR is the appraiser of record
        return site.actor("hr")
    unit = next(u for k, u, *_rest in people if k == key)
    return Actor(subject=key, roles=frozenset({Role.EMPLOYEE}), agency=site.agency, unit=unit)


async def _accept_everyone(site: Site, cycle_id: str, people: list[Person]) -> None:
    from domain import appraisal as d

    limit = asyncio.Semaphore(8)

    async def one(key: str) -> None:
        async with limit:
            await site.appraisals.command(_actor(site, people, key),
                                          f"appraisal-{cycle_id}-{key}", d.AcceptResult(),
                                          uuid.uuid4().hex)

    await asyncio.gather(*(one(key) for key, *_rest in people))


async def test_hr_pages_work_without_javascript_and_refuse_bad_input_at_the_field(
        site: Site, tmp_path: Path) -> None:
    hr = await site.signed_in("hr", javascript=False)
    # A file that is no roster, and an empty one: said beside the field, nothing applied.
    await _upload(hr, tmp_path, "bukan.csv", "halo;dunia\n1;2\n")
    await expect(hr.locator("#err-file")).to_contain_text("Berkas tidak dapat dibaca")
    await expect(hr.get_by_label("Berkas daftar pegawai")).to_have_attribute(
        "aria-invalid", "true")
    await _upload(hr, tmp_path, "kosong.csv", "")
    await expect(hr.locator("#err-file")).to_have_text("Berkas kosong.")
    # The roster as XLSX (the NIP columns as text); applied by two presses of the button
    # (a double click): applied once, both answered with the same report.
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for line in small_roster().splitlines():
        sheet.append(line.split(";"))
    book.save(tmp_path / "pegawai.xlsx")
    await hr.goto("/sdm/pegawai")
    await hr.get_by_label("Berkas daftar pegawai").set_input_files(str(tmp_path / "pegawai.xlsx"))
    await hr.get_by_role("button", name="Periksa berkas").click()
    await expect(hr.get_by_role("heading", name="Pemeriksaan pegawai.xlsx")).to_be_visible()
    apply = hr.locator('form[action*="/terapkan"]')
    action = await apply.get_attribute("action") or ""
    fields = {"csrf": await apply.locator("input[name=csrf]").input_value(), "do": "all"}
    answers = await asyncio.gather(*(hr.request.post(action, form=fields) for _ in range(2)))
    assert [a.status for a in answers] == [200, 200]
    for answer in answers:  # both say what the one apply changed
        assert "Roster diterapkan" in await answer.text()
        assert f'<th scope="row">Diangkat</th><td>{len(SMALL)}</td>' in await answer.text()
    assert await site.pool.fetchval(
        "SELECT count(*) FROM events WHERE stream_id = $1 AND type = 'employee_hired'",
        f"roster-{site.agency}") == len(SMALL)
    cycle_id = await _create_cycle(hr, datetime.now(UTC).year + 1)
    await hr.get_by_role("button", name="Mulai siklus").click()

    async def running() -> bool:  # no htmx: the person reloads the page
        await hr.reload()
        return await hr.locator("#cycle-status").inner_text() == "Berjalan"

    await poll_async(running, "the cycle runs, seen by reloading", 60, every=0.5)
    await expect(hr.locator("#start-done")).to_have_text(str(len(SMALL)))

    # A NUL in the reason, a date that is no date: the page again, the rule beside the
    # field, nothing moved.
    csrf = await hr.locator('form[action$="/tenggat"] input[name=csrf]').input_value()
    for form, field in (({"deadline": "skp", "until": "2099-01-01", "reason": "a\x00b"},
                         "err-reason"),
                        ({"deadline": "skp", "until": "besok", "reason": "Alasan"},
                         "err-until"),
                        ({"deadline": "tidak-ada", "until": "2099-01-01", "reason": "x"},
                         "err-deadline")):
        answer = await hr.request.post(f"/sdm/siklus/{cycle_id}/tenggat",
                                       form={**form, "csrf": csrf}, max_redirects=0)
        assert answer.status == 422, (form, answer.status)
        assert f'id="{field}"' in await answer.text(), form
    moves = await site.pool.fetchval(
        "SELECT jsonb_array_length(state->'deadline_moves') FROM cycles WHERE cycle_id = $1",
        cycle_id)
    assert moves == 0
    # Without the CSRF token: refused.
    refused = await hr.request.post(f"/sdm/siklus/{cycle_id}/tutup", form={},
                                    max_redirects=0)
    assert refused.status == 403
