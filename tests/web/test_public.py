"""The public survey in the browser: a citizen on a phone-sized screen, without signing
in, is refused next to the unanswered questions, then sends the survey; HR and the unit's
head see the result (IKM, category, the sample against its minimum, the chart and its
table) and export it; axe finds nothing serious on the form or the results, in Indonesian
and English. Over plain HTTP: the form works without JavaScript, a form sent twice is one
response, and every abuse case is refused with a message and stores nothing."""

from __future__ import annotations

import re

import httpx
from playwright.async_api import Page, expect

from domain.survey import ELEMENTS, PublicService
from services.public import PublicVoiceService
from store.event_log import EventLog
from store.public import PublicStore
from tests.images import exif, jpeg
from tests.web.conftest import UNIT, Site, axe_check, shot


async def _define(site: Site, population: int = 120) -> PublicVoiceService:
    public = PublicVoiceService(PublicStore(site.pool))
    await public.define_unit(site.actor("hr"), site.agency, UNIT, "Dinas Kominfo",
                             [PublicService(key="ppid", name="Permohonan informasi publik"),
                              PublicService(key="wifi", name="Wifi publik")], population)
    await site.pool.execute(
        "INSERT INTO roster_units (agency, code, name, parent, leader) VALUES ($1, $2,"
        " 'Dinas Kominfo', NULL, $3)", site.agency, UNIT, site.people["superior"].key)
    return public


async def _count(site: Site) -> int:
    return int(await site.pool.fetchval(
        "SELECT count(*) FROM survey_responses WHERE agency = $1", site.agency))


async def _answer(page: Page, answers: tuple[int, ...]) -> None:
    await page.get_by_label("Permohonan informasi publik").check()
    for element, value in zip(ELEMENTS, answers, strict=True):
        await page.locator(f'input[name="answers.{element.value}"][value="{value}"]').check()
    await page.locator('input[name="age_group"][value="30_39"]').check()
    await page.locator('input[name="sex"][value="perempuan"]').check()
    await page.locator('input[name="education"][value="s1"]').check()
    await page.locator('input[name="occupation"][value="wirausaha"]').check()


async def test_a_citizen_answers_on_a_phone_and_hr_and_the_unit_head_see_the_result(
        site: Site) -> None:
    await _define(site)
    address = f"/publik/survei/{site.agency}/{UNIT}"
    phone = await (await site.context(phone=True)).new_page()
    await phone.goto(address)
    await expect(phone.get_by_role("heading", name="Survei Kepuasan Masyarakat")).to_be_visible()
    await axe_check(phone, "public survey id")

    # Sent with only the service chosen: each unanswered question says so beside it.
    await phone.get_by_label("Permohonan informasi publik").check()
    await phone.get_by_role("button", name="Kirim jawaban saya").click()
    await expect(phone.locator("#err-answers-waktu")).to_have_text("Pilih salah satu jawaban.")
    await expect(phone.locator("#err-sex")).to_have_text("Pilih salah satu jawaban.")
    await expect(phone.get_by_label("Permohonan informasi publik")).to_be_checked()
    assert await _count(site) == 0
    await axe_check(phone, "public survey refused id")
    await shot(phone, "public-01-refused")

    await _answer(phone, (4, 3, 3, 4, 3, 3, 4, 3, 3))
    await phone.get_by_label("Komentar atau saran (tidak wajib)").fill("Petugas ramah.")
    await phone.get_by_role("button", name="Kirim jawaban saya").click()
    await expect(phone.get_by_role("heading", name="Terima kasih")).to_be_visible()
    await shot(phone, "public-02-thanks")
    assert await _count(site) == 1
    # One more, with JavaScript off (no htmx): the plain form works the same.
    plain = await (await site.context(phone=True, javascript=False)).new_page()
    await plain.goto(address)
    await _answer(plain, (3, 3, 2, 4, 3, 4, 4, 3, 3))
    await plain.get_by_role("button", name="Kirim jawaban saya").click()
    await expect(plain.get_by_role("heading", name="Terima kasih")).to_be_visible()
    assert await _count(site) == 2

    hr = await site.signed_in("hr")
    await hr.goto("/survei")
    await axe_check(hr, "public units id")
    await hr.get_by_role("link", name="Hasil survei: Dinas Kominfo").click()
    await expect(hr.get_by_role("heading", name="Hasil survei")).to_be_visible()
    # NRR sums 7, 6, 5, 8, 6, 7, 8, 6, 6 (59) over 2: 29.5 / 9 x 25 = 81.94, B.
    await expect(hr.locator("#ikm")).to_have_text("81,94")
    await expect(hr.locator("#category")).to_have_text("B (baik)")
    await expect(hr.locator("#respondents")).to_have_text("2")
    await expect(hr.locator("#sample-warning")).to_contain_text("paling sedikit 92")
    await expect(hr.get_by_role("img", name=re.compile("NRR"))).to_be_visible()
    await expect(hr.get_by_role("row", name=re.compile("U3 Waktu penyelesaian"))) \
        .to_contain_text("2,50")
    await axe_check(hr, "survey results id")
    await shot(hr, "public-03-results")
    async with hr.expect_download() as download:
        await hr.get_by_role("link", name="Unduh CSV").click()
    assert "ikm" in (await (await download.value).path()).read_text()
    poster = await hr.request.get(f"/survei/{site.agency}/{UNIT}/poster.pdf")
    assert poster.status == 200 and poster.headers["content-type"] == "application/pdf"
    assert (await poster.body()).startswith(b"%PDF")

    head = await site.signed_in("superior", phone=True)
    await head.goto(f"/survei/{site.agency}/{UNIT}/hasil")
    await expect(head.locator("#ikm")).to_have_text("81,94")
    employee = await site.signed_in("employee")
    refused = await employee.goto(f"/survei/{site.agency}/{UNIT}/hasil")
    assert refused is not None and refused.status == 404
    no_poster = await employee.request.get(f"/survei/{site.agency}/{UNIT}/poster.pdf")
    assert no_poster.status == 404

    for lang in ("en",):
        english = await (await site.context(phone=True, lang=lang)).new_page()
        await english.goto(address)
        await expect(english.get_by_role("heading", name="Public satisfaction survey")) \
            .to_be_visible()
        await axe_check(english, f"public survey {lang}")
        await english.get_by_role("button", name="Send my answers").click()
        await expect(english.locator("#err-answers-biaya")).to_have_text("Choose one answer.")
        await axe_check(english, f"public survey refused {lang}")
        hr_en = await site.signed_in("hr", lang=lang)
        await hr_en.goto(f"/survei/{site.agency}/{UNIT}/hasil")
        await expect(hr_en.locator("#category")).to_have_text("B (good)")
        await axe_check(hr_en, f"survey results {lang}")


def _token(html: str) -> str:
    found = re.search(r'name="token" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


def _fields(token: str, **changes: str) -> dict[str, str]:
    fields = {"token": token, "service": "wifi", "age_group": "lt20", "sex": "laki_laki",
              "education": "sma", "occupation": "pelajar", "comment": "",
              **{f"answers.{e.value}": "3" for e in ELEMENTS}}
    fields.update(changes)
    return fields


async def test_every_abuse_is_refused_with_a_message_and_nothing_is_stored(site: Site) -> None:
    await _define(site)
    address = f"/publik/survei/{site.agency}/{UNIT}"
    async with httpx.AsyncClient(base_url=site.url, timeout=60) as http:
        form = await http.get(address)
        assert form.status_code == 200
        token = _token(form.text)

        # A NUL or another control character: refused beside the field, status 422.
        for bad in ("halo\x00", "halo\x1b[2J"):
            refused = await http.post(address, data=_fields(token, comment=bad))
            assert refused.status_code == 422
            assert 'id="err-comment"' in refused.text and "Karakter kendali" in refused.text
        refused = await http.post(address, data=_fields(token, sex="x\x00"))
        assert refused.status_code == 422 and 'id="err-sex"' in refused.text
        # Too long a comment, an answer off the scale, a service the unit does not offer.
        refused = await http.post(address, data=_fields(token, comment="x" * 1001))
        assert refused.status_code == 422 and 'id="err-comment"' in refused.text
        refused = await http.post(address, data=_fields(token, **{"answers.waktu": "9"}))
        assert refused.status_code == 422 and 'id="err-answers-waktu"' in refused.text
        refused = await http.post(address, data=_fields(token, service="paspor"))
        assert refused.status_code == 422 and 'id="err-service"' in refused.text
        # No token, a forged one, another unit's: the form again, nothing stored.
        for forged in ("", "abc.def.ghi", token[:-2] + "xx"):
            refused = await http.post(address, data=_fields(forged))
            assert refused.status_code == 400 and "kedaluwarsa" in refused.text
        other = await http.post(f"/publik/survei/{site.agency}/lain", data=_fields(token))
        assert other.status_code == 404
        assert await _count(site) == 0

        # The same form sent twice (a double tap, a retry): one response.
        for _ in range(2):
            sent = await http.post(address, data=_fields(token))
            assert sent.status_code == 303
            assert sent.headers["location"].endswith("/terima-kasih")
        assert await _count(site) == 1

        # Five responses per client address and unit in ten minutes; the sixth waits.
        for _ in range(4):
            sent = await http.post(address, data=_fields(_token((await http.get(address)).text)))
            assert sent.status_code == 303
        assert await _count(site) == 5
        refused = await http.post(address, data=_fields(_token((await http.get(address)).text)))
        assert refused.status_code == 429 and "Terlalu banyak tanggapan" in refused.text
        assert await _count(site) == 5

        unknown = await http.get(f"/publik/survei/{site.agency}/tidak-ada")
        assert unknown.status_code == 404
        nul = await http.get(f"/publik/survei/{site.agency}/a%00b")
        assert nul.status_code == 422


async def test_a_citizen_files_a_complaint_on_a_phone_and_the_unit_answers_it(
        site: Site) -> None:
    await _define(site)
    phone = await (await site.context(phone=True)).new_page()
    await phone.goto(f"/publik/survei/{site.agency}/{UNIT}")
    await phone.get_by_role("link", name="Atau sampaikan pengaduan atau saran").click()
    await expect(phone.get_by_role("heading", name="Pengaduan atau saran")).to_be_visible()
    await axe_check(phone, "complaint form id")
    await phone.get_by_label("Pengaduan atau saran Anda").fill("Pendek")
    await phone.get_by_role("button", name="Kirim", exact=True).click()
    await expect(phone.locator("#err-text")).to_have_text("Tulis paling sedikit 10 karakter.")
    await axe_check(phone, "complaint refused id")
    await phone.get_by_label("Pengaduan atau saran Anda").fill(
        "Wifi publik di ruang baca mati sejak Senin.")
    await phone.get_by_label("Layanan (tidak wajib)").select_option("wifi")
    await phone.get_by_label(re.compile("Nomor telepon atau surel")).fill("warga@contoh.id")
    await phone.get_by_role("button", name="Kirim", exact=True).click()
    await expect(phone.get_by_text("Diterima. Simpan kode pelacakan ini:")).to_be_visible()
    code = await phone.locator("#code").inner_text()
    assert re.fullmatch(r"PGD-[A-Z2-7]{4}-[A-Z2-7]{4}", code)
    assert len(await phone.locator("#receipt").inner_text()) == 64
    await expect(phone.locator("#status")).to_have_text("Menunggu jawaban unit")
    await axe_check(phone, "complaint receipt id")
    await shot(phone, "public-04-complaint-receipt")

    hr = await site.signed_in("hr")
    await hr.goto("/survei")
    await hr.get_by_role("link", name="Pengaduan dan saran: Dinas Kominfo").click()
    section = hr.get_by_role("region", name=re.compile(code))
    await expect(section).to_contain_text("warga@contoh.id")
    await expect(section.locator(".deadline")).to_contain_text("WIB")
    await axe_check(hr, "unit complaints id")
    await section.get_by_role("button", name="Kirim jawaban").click()  # empty
    await expect(hr.locator(f"#err-answer-{code}")).to_have_text("Isi kolom ini.")
    await hr.get_by_label("Jawaban").fill("Perangkat wifi sudah diganti hari ini.")
    await hr.get_by_role("button", name="Kirim jawaban").click()
    await expect(hr.get_by_text("Perangkat wifi sudah diganti hari ini.")).to_be_visible()
    await hr.get_by_role("button", name=f"Hapus kontak {code}").click()
    await expect(hr.get_by_text("dihapus atas permintaan")).to_be_visible()
    await shot(hr, "public-05-unit-complaints")

    await phone.goto(f"/publik/pengaduan/{site.agency}/lacak")
    await phone.get_by_label("Kode pelacakan").fill(code.lower())
    await phone.get_by_role("button", name="Tampilkan").click()
    await expect(phone.locator("#answer")).to_have_text("Perangkat wifi sudah diganti hari ini.")
    await expect(phone.locator("#status")).to_have_text("Sudah dijawab")
    await axe_check(phone, "complaint answered id")
    report = await EventLog(site.pool).verify_stream(f"complaint-{site.agency}-{code}")
    assert report.ok and report.events_checked == 2


async def test_a_citizen_sends_a_photo_from_a_phone_and_only_the_unit_sees_and_erases_it(
        site: Site) -> None:
    await _define(site)
    phone = await (await site.context(phone=True)).new_page()
    await phone.goto(f"/publik/pengaduan/{site.agency}/{UNIT}")
    await phone.get_by_label("Pengaduan atau saran Anda").fill(
        "Lampu jalan di depan kantor mati sejak pekan lalu.")
    photo_field = phone.get_by_label(re.compile("Foto \\(tidak wajib; JPEG atau PNG"))
    await photo_field.set_input_files(
        {"name": "foto.png", "mimeType": "image/png", "buffer": b"GIF89a" + b"\0" * 64})
    await phone.get_by_role("button", name="Kirim", exact=True).click()
    await expect(phone.locator("#err-photo")).to_have_text("Pilih foto berformat JPEG atau PNG.")
    await expect(photo_field).to_have_attribute("aria-describedby", "err-photo")
    await axe_check(phone, "complaint photo refused id")
    assert await site.pool.fetchval("SELECT count(*) FROM complaint_photos") == 0

    taken = jpeg(after_app0=exif(6))  # where it was taken, in its Exif
    await photo_field.set_input_files({"name": "lampu.jpg", "mimeType": "image/jpeg",
                                       "buffer": taken})
    await phone.get_by_role("button", name="Kirim", exact=True).click()
    await expect(phone.get_by_text("Diterima. Simpan kode pelacakan ini:")).to_be_visible()
    code = await phone.locator("#code").inner_text()
    assert await phone.locator("img").count() == 0  # the public never sees it
    photo_url = f"/survei/{site.agency}/{UNIT}/pengaduan/{code}/foto"
    assert (await phone.request.get(photo_url, max_redirects=0)).status != 200

    head = await site.signed_in("superior", phone=True)
    await head.goto(f"/survei/{site.agency}/{UNIT}/pengaduan")
    section = head.get_by_role("region", name=re.compile(code))
    image = section.get_by_role("img", name=f"Foto yang dikirim bersama {code}")
    await expect(image).to_be_visible()
    assert await image.evaluate("i => i.naturalWidth") == 8  # decoded
    served = await (await head.request.get(photo_url)).body()
    assert b"GPS" in taken and b"GPS" not in served  # the place is not kept
    await axe_check(head, "unit complaints with photo id")
    await shot(head, "public-06-complaint-photo")
    employee = await site.signed_in("employee")  # not the unit: a 404, not the photo
    assert (await employee.request.get(photo_url)).status == 404

    await section.get_by_role("button", name=f"Hapus foto {code}").click()
    await expect(section.get_by_role("img")).to_have_count(0)
    await expect(section.locator(".photo")).to_have_text("dihapus atas permintaan")
    assert (await head.request.get(photo_url)).status == 404
    report = await EventLog(site.pool).verify_stream(f"complaint-{site.agency}-{code}")
    assert report.ok and report.events_checked == 1
