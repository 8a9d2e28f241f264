"""The roster's background apply in the browser: upload 1,200 employees, press apply, the
progress bar while the worker applies it batch by batch (held mid-way here), leave the
page and come back from the roster page, and the outcome once it ends (htmx follows it;
without JavaScript, the refresh link)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from playwright.async_api import expect
from temporalio import activity

from store.roster import ApplyBatch
from tests.polling import poll_async
from tests.roster.builders import csv_text, generated_org
from tests.web.conftest import Site, axe_check, shot

SIZE = 1200


class Gate:
    """Holds the apply after its first batch until the test opens it."""

    def __init__(self) -> None:
        self.held = asyncio.Event()
        self.open = asyncio.Event()

    async def __call__(self, batch: ApplyBatch) -> None:
        """Called in the activity: it heartbeats while held (else Temporal would time the
        attempt out and retry it from the next batch)."""
        self.held.set()
        while not self.open.is_set():
            activity.heartbeat(batch.done)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.open.wait(), 1)


@pytest.fixture
def gate() -> Gate:
    return Gate()


@pytest.fixture
def roster_batch_hook(gate: Gate) -> Callable[[ApplyBatch], Awaitable[None]]:
    return gate


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-js"])
async def test_a_large_roster_is_applied_in_the_background_with_its_progress(
        site: Site, gate: Gate, tmp_path: Path, javascript: bool) -> None:
    hr = await site.signed_in("hr", javascript=javascript)
    path = tmp_path / "pegawai-besar.csv"
    path.write_text(csv_text(generated_org(SIZE)), encoding="utf-8")
    await hr.goto("/sdm/pegawai")
    await hr.get_by_label("Berkas daftar pegawai").set_input_files(str(path))
    await hr.get_by_role("button", name="Periksa berkas").click()
    changes = hr.locator("#changes")
    await expect(changes.get_by_role("row", name="Diangkat")).to_contain_text(str(SIZE))
    await hr.get_by_role("button", name="Terapkan roster").click()

    # The worker holds the apply after its first batch: the page shows how far it is.
    await asyncio.wait_for(gate.held.wait(), 60)
    await expect(hr.get_by_role("heading", name="Menerapkan daftar pegawai")).to_be_visible(
        timeout=15_000)
    await expect(hr.locator("#apply-done")).to_have_text("500")
    await expect(hr.locator("#apply-total")).to_have_text(str(SIZE + 20))
    await expect(hr.locator("#apply-bar")).to_have_attribute("value", "500")
    await expect(hr.get_by_role("button", name="Terapkan roster")).to_have_count(0)
    upload_url = hr.url
    await shot(hr, f"hr-roster-apply-progress-{'js' if javascript else 'nojs'}")
    if javascript:  # axe runs as a script
        await axe_check(hr, "roster apply progress")

    # Left and come back: the roster page lists the apply running, with its link.
    await hr.goto("/sdm/pegawai")
    running = hr.get_by_role("region", name="Daftar pegawai yang sedang diterapkan")
    await expect(running).to_contain_text("pegawai-besar.csv: 500 / 1220")
    await running.get_by_role("link", name="pegawai-besar.csv").click()
    await expect(hr).to_have_url(upload_url)
    gate.open.set()
    if not javascript:  # the person follows it with the refresh link
        async def reloaded_done() -> bool:
            link = hr.get_by_role("link", name="Muat ulang")
            if await link.count():
                await link.first.click()
            return await hr.get_by_role("heading", name="Roster diterapkan").count() == 1

        await poll_async(reloaded_done, "applied, seen with the refresh link", 60, every=0.5)
    await expect(hr.get_by_role("heading", name="Roster diterapkan")).to_be_visible(
        timeout=60_000)
    await expect(changes.get_by_role("row", name="Diangkat")).to_contain_text(str(SIZE))
    stored = await site.pool.fetchrow(
        "SELECT version FROM roster_agencies WHERE agency = $1", site.agency)
    assert stored["version"] == SIZE + 20
    await expect(hr.locator("#roster-version")).to_have_text(str(SIZE + 20))
    assert await site.pool.fetchval(
        "SELECT count(*) FROM roster_employees WHERE agency = $1", site.agency) == SIZE
    if javascript:
        await axe_check(hr, "roster applied")
