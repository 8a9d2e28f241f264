"""Deadlines in each appraisal's own zone (WIB, WITA, WIT from its calendar), in the
language's date format; the pages and static files gzipped, the static files cached for a
year under their fingerprint; a page's first load under 150 KB."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import httpx
from playwright.async_api import expect

from tests.web.appraisals import open_appraisal
from tests.web.conftest import Site, axe_check
from web.state import fingerprint

MONTHS = ("Januari|Februari|Maret|April|Mei|Juni|Juli|Agustus|September|Oktober|November"
          "|Desember")


def _deadline(zone: str, hours: int) -> re.Pattern[str]:
    """``d MMMM y, HH.mm ZONE`` of the SKP deadline (30 days from now) in that zone."""
    at = (datetime.now(UTC) + timedelta(days=30)).astimezone(timezone(timedelta(hours=hours)))
    return re.compile(rf"^{at.day} ({MONTHS}) {at.year}, {at.hour:02d}\.\d\d {zone}$")


async def test_deadlines_in_the_zone_of_each_appraisal(site: Site) -> None:
    wit = await open_appraisal(site, cycle=f"{site.agency}-papua", utc_offset_hours=9)
    page = await site.signed_in("employee")
    cards = page.locator(".card")
    await expect(cards).to_have_count(2)
    await expect(cards.filter(has_text="papua").locator(".deadline")).to_have_text(
        _deadline("WIT", 9))
    await expect(cards.filter(has_not_text="papua").locator(".deadline")).to_have_text(
        _deadline("WIB", 7))
    await axe_check(page, "home with two zones")
    await page.goto(f"/penilaian/{wit}")
    await expect(page.locator("#next-deadline")).to_have_text(_deadline("WIT", 9))
    await page.goto(f"/penilaian/{site.appraisal_id}")
    await expect(page.locator("#next-deadline")).to_have_text(_deadline("WIB", 7))


async def test_gzip_cache_headers_and_the_weight_of_a_first_load(site: Site) -> None:
    page = await site.signed_in("employee")
    cookies = {c["name"]: c["value"] for c in await page.context.cookies()}
    gzip = {"accept-encoding": "gzip"}
    async with httpx.AsyncClient(base_url=site.url, cookies=cookies) as client:
        weight = 0
        async with client.stream("GET", f"/penilaian/{site.appraisal_id}",
                                 headers=gzip) as answer:
            html = (await answer.aread()).decode()
            assert answer.status_code == 200
            assert answer.headers["content-encoding"] == "gzip"
            assert answer.headers["cache-control"] == "no-store"
            weight += answer.num_bytes_downloaded
        assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', html)
        assert sorted(assets) == sorted(
            f"/static/{name}?v={fingerprint(name)}" for name in ("kinerja.css", "htmx.min.js"))
        for asset in assets:
            async with client.stream("GET", asset, headers=gzip) as answer:
                await answer.aread()
                assert answer.headers["content-encoding"] == "gzip"
                assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
                weight += answer.num_bytes_downloaded
                etag = answer.headers["etag"]
        assert weight < 150_000, f"first load {weight} bytes"

        again = await client.get(assets[-1], headers={"if-none-match": etag})
        assert again.status_code == 304
        for stale in ("/static/kinerja.css", "/static/kinerja.css?v=000000000000"):
            answer = await client.get(stale)
            assert answer.headers["cache-control"] == "no-cache"
            assert "etag" in answer.headers
        api = await client.get("/openapi.json", headers=gzip)
        assert len(api.content) > 1024
        assert "content-encoding" not in api.headers
