"""HR's monitoring shows the overdue periodic reviews (penilaian kinerja periodik) per unit
beside the annual deadlines: the period, its due date and the appraiser; the unit filter
narrows them; the CSV and XLSX exports carry the same rows; axe finds nothing serious.

The cycle is written straight into the log and the read models (as ``bench.harness.seed``
does): appraisals of 2026 whose SKP was approved on 5 January, their periods' deadlines
passed as the workflow records them (``PassPeriodDeadline`` at each due date), one period
reviewed late."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
from openpyxl import load_workbook
from playwright.async_api import expect

from bench.harness.builders import Run, open_command, sample_skp
from bench.harness.seed import hr_actor, retire, store_cycle, store_run
from domain.appraisal import (
    ApproveTargets,
    DraftTargets,
    PassPeriodDeadline,
    ReviewPeriod,
    SubmitTargets,
)
from domain.authorization import SYSTEM_ACTOR, Actor, Parties, Role
from domain.cycle.events import CycleCreated, CycleEvent, CycleStarted
from domain.policy import POLICY_6_2022, default_calendar, period_review_due
from domain.skp import Ratings
from store.event_log import EventLog
from tests.web.conftest import Site, axe_check, shot

YEAR = 2026
VALUES = ["berorientasi_pelayanan", "akuntabel", "kompeten", "harmonis", "loyal", "adaptif",
          "kolaboratif"]


async def seed(pool: asyncpg.Pool, agency: str) -> str:
    """``dinas-a``: e-a1 (appraiser boss-a) missed Q1, reviewed Q2 late, missed Q3;
    ``dinas-b``: e-b1 (appraiser boss-b) missed Q1 to Q3. Q4 is due in 2027."""
    log = EventLog(pool)
    cycle_id = f"{agency}-{YEAR}"
    now = datetime.now(UTC)
    units = ("dinas-a", "dinas-b")
    events: list[CycleEvent] = [
        CycleCreated(at=now, cycle_id=cycle_id, agency=agency, year=YEAR,
                     policy=POLICY_6_2022.name, calendar=default_calendar(YEAR, POLICY_6_2022)),
        CycleStarted(at=now, roster_digest="0" * 64, members=2, units=units)]
    await store_cycle(log, cycle_id, events, now)
    ratings = Ratings.model_validate({
        "rhk": [{"rhk_id": r.id, "rating": "meets"} for r in sample_skp().rhk],
        "values": [{"value": v, "rating": "meets"} for v in VALUES]})
    for unit, employee, reviewed in (("dinas-a", "e-a1", {2}), ("dinas-b", "e-b1", set())):
        boss = f"boss-{unit[-1]}"
        parties = Parties(agency=agency, unit=unit, employee=employee, appraiser=boss,
                          superior="head")
        me = Actor(subject=employee, roles=frozenset({Role.EMPLOYEE}), agency=agency,
                   unit=unit)
        appraiser = Actor(subject=boss, roles=frozenset({Role.EMPLOYEE}), agency=agency,
                          unit=unit)
        appraisal_id = f"appraisal-{cycle_id}-{employee}"
        run = Run()
        run.do(open_command(appraisal_id=appraisal_id, cycle_id=cycle_id, parties=parties),
               hr_actor(agency))
        run.do(DraftTargets(skp=sample_skp()), me)
        run.do(SubmitTargets(), me)
        run.do(ApproveTargets(), appraiser)
        for period in (1, 2, 3):
            running = run.state.next_period_deadline()
            assert running is not None and running[0] == period
            run.do(PassPeriodDeadline(period=period), SYSTEM_ACTOR,
                   at=running[1] + timedelta(minutes=1))
            if period in reviewed:
                run.do(ReviewPeriod(period=period, ratings=ratings,
                                    feedback="Terlambat, tetapi baik."), appraiser)
        await store_run(log, run, now)
    return cycle_id


async def test_hr_sees_the_overdue_periodic_reviews_per_unit_and_exports_them(
        site: Site) -> None:
    cycle_id = await seed(site.pool, site.agency)
    try:
        hr = await site.signed_in("hr", lang="id")
        await hr.goto(f"/sdm/siklus/{cycle_id}/pemantauan")
        table = hr.locator("#overdue-periods tbody tr")
        # e-a1: Q1 and Q3 (Q2 reviewed, late); e-b1: Q1 to Q3; by unit, oldest first
        await expect(table).to_have_count(5)
        await expect(table.nth(0)).to_contain_text("dinas-a")
        await expect(table.nth(0)).to_contain_text("Triwulan 1, 2026")
        await expect(table.nth(0)).to_contain_text("boss-a")
        await expect(table.nth(0)).to_contain_text("e-a1")
        await expect(table.nth(0)).to_contain_text("10 April 2026, 23.59 WIB")
        await expect(table.nth(1)).to_contain_text("Triwulan 3, 2026")
        await expect(table.nth(1)).to_contain_text("dinas-a")  # Q2 of e-a1 was reviewed
        await expect(table.nth(2)).to_contain_text("dinas-b")
        await expect(table.nth(4)).to_contain_text("dinas-b")
        await expect(table.nth(4)).to_contain_text("boss-b")
        await expect(hr.locator("#overdue-periods-counts")).to_contain_text("dinas-a: 2")
        await expect(hr.locator("#overdue-periods-counts")).to_contain_text("dinas-b: 3")
        await axe_check(hr, "monitoring with overdue periodic reviews")
        await shot(hr, "monitoring-periodic-overdue")
        # the unit filter, as for the annual deadlines
        await hr.locator("#unit-filter").select_option("dinas-b")
        await hr.get_by_role("button", name="Tampilkan").click()
        await expect(hr.get_by_role("heading", level=1)).to_contain_text("dinas-b")
        await expect(table).to_have_count(3)
        await expect(hr.locator("#overdue-periods")).not_to_contain_text("boss-a")
        # the exports carry the same rows
        async with hr.expect_download() as downloading:
            await hr.get_by_role("link", name="Ekspor CSV").click()
        text = Path(await (await downloading.value).path()).read_text(encoding="utf-8-sig")
        sections = text.replace("\r", "").split("\n\n")
        units = list(csv.DictReader(io.StringIO(sections[0])))
        assert [(r["unit"], r["overdue_period_review"]) for r in units] == [("dinas-b", "3")]
        periods = list(csv.DictReader(io.StringIO(sections[2])))
        assert [(r["employee"], r["appraiser"], r["unit"], r["period"], r["period_name"])
                for r in periods] == [("e-b1", "boss-b", "dinas-b", str(n), f"Triwulan {q} 2026")
                                      for n, q in ((1, "I"), (2, "II"), (3, "III"))]
        assert [datetime.fromisoformat(r["due_at"]) for r in periods] == [
            period_review_due(YEAR, n, POLICY_6_2022, 7) for n in (1, 2, 3)]
        async with hr.expect_download() as downloading:
            await hr.get_by_role("link", name="Ekspor XLSX").click()
        book = load_workbook(io.BytesIO(Path(await (await downloading.value).path())
                                        .read_bytes()), read_only=True)
        sheet = list(book["periodik_terlambat"].iter_rows(values_only=True))
        assert [tuple(r[:5]) for r in sheet[1:]] == [
            (r["appraisal"], "e-b1", "boss-b", "dinas-b", int(r["period"])) for r in periods]
        # in English, the periods are named in English
        english = await site.signed_in("hr", lang="en")
        await english.goto(f"/sdm/siklus/{cycle_id}/pemantauan?unit=dinas-a")
        await expect(english.locator("#overdue-periods tbody tr").nth(0)).to_contain_text(
            "Quarter 1, 2026")
        await axe_check(english, "monitoring in English")
    finally:  # seeded without workflows: nothing for the site's teardown to end
        await retire(site.pool, cycle_id)
