"""Complaints and suggestions: filed from the public form without sign-in (a receipt
with the tracking code and the filing event's hash), a double submit one complaint,
every abuse case refused with a message and nothing stored; the unit lists them with the
contact, answers once, the complainant reads the answer with the code; erasing the
contact leaves the chain valid and the contact was never in the log."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import asyncpg
import httpx
import pytest

from api.app import Services, create_app
from api.auth import TokenSettings, TokenVerifier, mint_token
from domain.authorization import Actor, Role
from domain.complaint import ComplaintStatus, fold, tracking_code
from domain.complaint.metadata import without_metadata
from domain.complaint.rules import CODE_PATTERN
from domain.survey import PublicService
from store.event_log import EventLog
from tests.images import exif, jpeg, segment
from tests.images import png as png_image
from web import WebSettings

TOKENS = TokenSettings(secret="test-secret-" + "c" * 32)
AGENCY = "pemkot-aduan"
UNIT = "dishub"
FORM = f"/publik/pengaduan/{AGENCY}/{UNIT}"


def headers(subject: str, *roles: str, agencies: tuple[str, ...] = (),
            unit: str | None = None) -> dict[str, str]:
    token = mint_token(TOKENS, subject=subject, roles=roles, agency=AGENCY, unit=unit,
                       agencies=agencies)
    return {"Authorization": f"Bearer {token}"}


HR = headers("e-hr01", "employee", "hr", agencies=(AGENCY,))
INSPECTOR = headers("e-insp", "inspector", agencies=(AGENCY,))
HEAD = headers("e-0100", "employee", unit=UNIT)
CLERK = headers("e-0101", "employee", unit=UNIT)


@dataclass
class App:
    http: httpx.AsyncClient
    pool: asyncpg.Pool
    log: EventLog
    kinerja: Any
    """The application's services (``app.state.kinerja``)."""


@pytest.fixture
async def app(app_pool: asyncpg.Pool) -> AsyncIterator[App]:
    services = Services(pool=app_pool, temporal=None,  # type: ignore[arg-type]
                        token_verifier=TokenVerifier(TOKENS), task_queue="unused",
                        web=WebSettings(session_secret="s" * 40, secure_cookies=False))
    application = create_app(services)
    await application.state.kinerja.public.define_unit(
        Actor(subject="e-hr01", roles=frozenset({Role.HR}), agencies=frozenset({AGENCY})),
        AGENCY, UNIT, "Dinas Perhubungan", [PublicService(key="kir", name="Uji KIR")], 500)
    await app_pool.execute("INSERT INTO roster_units (agency, code, name, parent, leader)"
                           " VALUES ($1, $2, 'Dishub', NULL, 'e-0100')", AGENCY, UNIT)
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://kinerja.test") as http:
        yield App(http, app_pool, EventLog(app_pool), application.state.kinerja)


def _token(html: str) -> str:
    found = re.search(r'name="token" value="([^"]+)"', html)
    assert found
    return found.group(1)


def _fields(token: str, **changes: str) -> dict[str, str]:
    return {"token": token, "kind": "pengaduan", "service": "kir",
            "text": "Antrean uji KIR terlalu lama, petugas datang pukul 09.00.",
            "contact": "0812-3456-7890", "website": "", **changes}


async def _complaints(app: App) -> int:
    return int(await app.pool.fetchval(
        "SELECT count(*) FROM events WHERE stream_id LIKE 'complaint-%'"))


def test_a_tracking_code_is_readable_and_the_same_for_the_same_form() -> None:
    nonce = uuid.uuid4()
    assert tracking_code(nonce) == tracking_code(nonce)
    assert re.fullmatch(CODE_PATTERN, tracking_code(nonce))
    assert tracking_code(uuid.uuid4()) != tracking_code(nonce)


def test_the_events_make_the_complaint_with_its_response_time_and_lateness() -> None:
    filed = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    deadline = filed + timedelta(days=14)
    events = [("complaint_filed", {"code": "PGD-AAAA-BBBB", "agency": AGENCY, "unit": UNIT,
                                   "kind": "saran", "service": None, "text": "Tambah kursi.",
                                   "deadline": deadline.isoformat(), "contact_ref": None},
               filed)]
    view = fold(events)
    assert view is not None and view.status is ComplaintStatus.OPEN
    assert not view.late(filed + timedelta(days=14)) and view.late(deadline + timedelta(1))
    answered = fold([*events, ("complaint_answered", {"text": "Sudah."},
                               filed + timedelta(days=15, hours=2))])
    assert answered is not None and answered.status is ComplaintStatus.ANSWERED
    assert answered.response_seconds == (15 * 24 + 2) * 3600
    assert answered.late(filed)  # answered after its deadline


async def test_filed_once_answered_once_read_with_the_code_and_the_contact_erased(
        app: App) -> None:
    token = _token((await app.http.get(FORM)).text)
    sent = await app.http.post(FORM, data=_fields(token))
    assert sent.status_code == 303, sent.text
    location = sent.headers["location"]
    code = re.search(r"/lacak/(PGD-[A-Z2-7-]+)\?tanda=([0-9a-f]{64})", location)
    assert code
    again = await app.http.post(FORM, data=_fields(token))  # a double tap
    assert again.headers["location"] == location
    assert await _complaints(app) == 1
    stream = f"complaint-{AGENCY}-{code.group(1)}"
    stored = await app.log.read_stream(stream)
    assert stored[0].hash.hex() == code.group(2)  # the receipt is the event's hash
    assert "0812" not in stored[0].canonical.decode()  # the contact is not in the log

    receipt = await app.http.get(location)
    assert receipt.status_code == 200
    assert code.group(1) in receipt.text and code.group(2) in receipt.text
    assert "0812" not in receipt.text

    listed = await app.http.get(f"/v1/agencies/{AGENCY}/public-units/{UNIT}/complaints",
                                headers=HR)
    assert listed.status_code == 200
    [complaint] = listed.json()
    assert (complaint["contact"], complaint["status"], complaint["late"]) == \
        ("0812-3456-7890", "open", False)
    for who in (INSPECTOR, HR, HEAD):
        assert (await app.http.get(f"/v1/agencies/{AGENCY}/public-units/{UNIT}/complaints",
                                   headers=who)).status_code == 200
    assert (await app.http.get(f"/v1/agencies/{AGENCY}/public-units/{UNIT}/complaints",
                               headers=CLERK)).status_code == 404

    answer_url = f"/v1/agencies/{AGENCY}/complaints/{code.group(1)}/answer"
    body = {"text": "Mulai 1 April loket KIR buka pukul 07.30."}
    assert (await app.http.post(answer_url, headers=INSPECTOR, json=body)).status_code == 403
    answered = await app.http.post(answer_url, headers=HEAD, json=body)
    assert answered.status_code == 200, answered.text
    assert answered.json()["status"] == "answered"
    assert answered.json()["response_seconds"] >= 0
    twice = await app.http.post(answer_url, headers=HR, json={"text": "Lain."})
    assert twice.status_code == 409
    tracked = await app.http.get(f"/publik/pengaduan/{AGENCY}/lacak/{code.group(1)}")
    assert body["text"] in tracked.text
    looked_up = await app.http.get(f"/publik/pengaduan/{AGENCY}/lacak",
                                   params={"kode": code.group(1).lower()})
    assert looked_up.status_code == 303
    assert (await app.http.get(f"/publik/pengaduan/{AGENCY}/lacak",
                               params={"kode": "nope"})).status_code == 422

    erased = await app.http.delete(f"/v1/agencies/{AGENCY}/complaints/{code.group(1)}/contact",
                                   headers=HEAD)
    assert erased.status_code == 204
    [complaint] = (await app.http.get(
        f"/v1/agencies/{AGENCY}/public-units/{UNIT}/complaints", headers=HR)).json()
    assert (complaint["contact"], complaint["contact_erased"]) == (None, True)
    assert await app.pool.fetchval(
        "SELECT count(*) FROM complaint_contacts WHERE contact LIKE '%0812%'") == 0
    report = await app.log.verify_stream(stream)
    assert report.ok and report.events_checked == 2
    assert (await app.log.verify_all()).ok


async def test_every_abuse_is_refused_with_a_message_and_nothing_is_stored(app: App) -> None:
    token = _token((await app.http.get(FORM)).text)
    cases = [
        (_fields(token, website="http://spam.example"), 400, "oleh program"),
        (_fields(token, text="Halo\x00dunia, ini aduan."), 422, 'id="err-text"'),
        (_fields(token, contact="08\x1b[2J"), 422, 'id="err-contact"'),
        (_fields(token, text="Pendek"), 422, "paling sedikit 10"),
        (_fields(token, text="x" * 2001), 422, 'id="err-text"'),
        (_fields(token, text="   "), 422, 'id="err-text"'),
        (_fields(token, kind="spam"), 422, 'id="err-kind"'),
        (_fields(token, service="paspor"), 422, 'id="err-service"'),
        (_fields(""), 400, "kedaluwarsa"),
        (_fields(token[:-3] + "abc"), 400, "kedaluwarsa"),
    ]
    for fields, status, shown in cases:
        refused = await app.http.post(FORM, data=fields)
        assert refused.status_code == status, (fields, refused.status_code)
        assert shown in refused.text, fields
    assert await _complaints(app) == 0
    # Three complaints per client address and unit in an hour; the fourth waits.
    for n in range(3):  # three different complaints (the same text twice is a duplicate)
        sent = await app.http.post(FORM, data=_fields(
            _token((await app.http.get(FORM)).text), text=f"Antrean uji KIR lama, hari {n}."))
        assert sent.status_code == 303
    refused = await app.http.post(FORM, data=_fields(_token((await app.http.get(FORM)).text),
                                                     text="Antrean uji KIR lama, hari 4."))
    assert refused.status_code == 429 and "Terlalu banyak" in refused.text
    assert await _complaints(app) == 3
    assert (await app.http.get(f"/publik/pengaduan/{AGENCY}/lacak/PGD-AAAA-AAAA")
            ).status_code == 404


async def test_a_hidden_complaint_leaves_public_view_but_stays_in_the_chain(app: App) -> None:
    token = _token((await app.http.get(FORM)).text)
    sent = await app.http.post(FORM, data=_fields(token, text="Kata-kata kasar di sini."))
    code = re.search(r"/lacak/(PGD-[A-Z2-7-]+)", sent.headers["location"])
    assert code
    hide = f"/v1/agencies/{AGENCY}/complaints/{code.group(1)}/hide"
    reason = {"reason": "Berisi kata-kata kasar."}
    assert (await app.http.post(hide, headers=HEAD, json=reason)).status_code == 404
    assert (await app.http.post(hide, headers=INSPECTOR, json=reason)).status_code == 403
    assert (await app.http.post(hide, headers=HR, json={"reason": "x\x00"})).status_code == 422
    hidden = await app.http.post(hide, headers=HR, json=reason)
    assert hidden.status_code == 200 and hidden.json()["hidden"] is True
    again = await app.http.post(hide, headers=HR, json=reason)  # nothing more recorded
    assert again.status_code == 200
    tracked = await app.http.get(f"/publik/pengaduan/{AGENCY}/lacak/{code.group(1)}")
    assert "Kata-kata kasar di sini." not in tracked.text
    assert "disembunyikan oleh moderasi" in tracked.text
    [listed] = (await app.http.get(f"/v1/agencies/{AGENCY}/public-units/{UNIT}/complaints",
                                   headers=HEAD)).json()
    assert listed["text"] == "Kata-kata kasar di sini." and listed["hidden"] is True
    stream = f"complaint-{AGENCY}-{code.group(1)}"
    events = await app.log.read_stream(stream)
    assert [e.type for e in events] == ["complaint_filed", "complaint_hidden"]
    assert (await app.log.verify_stream(stream)).ok
    # still answered after hiding, once
    answer = f"/v1/agencies/{AGENCY}/complaints/{code.group(1)}/answer"
    answered = await app.http.post(answer, headers=HEAD,
                                   json={"text": "Mohon gunakan bahasa santun."})
    assert answered.status_code == 200 and answered.json()["hidden"] is True
    assert (await app.http.post(answer, headers=HR, json={"text": "Lagi."})).status_code == 409
    assert [e.type for e in await app.log.read_stream(stream)] == \
        ["complaint_filed", "complaint_hidden", "complaint_answered"]
    assert (await app.log.verify_stream(stream)).ok


def test_a_photo_is_judged_by_its_bytes_and_its_size() -> None:
    from domain.complaint import COMPLAINT_POLICY, PhotoRefused, photo_of

    small = COMPLAINT_POLICY.model_copy(update={"photo_max_bytes": 2048})
    accepted = photo_of(png_image(4, 3), small)
    assert accepted.media_type == "image/png" and len(accepted.sha256) == 64
    assert photo_of(jpeg(), small).media_type == "image/jpeg"
    padding = segment(0xFE, b"")  # a comment: counted in the size sent, dropped after
    exactly = jpeg(after_app0=segment(0xFE, b"x" * (2048 - len(jpeg()) - len(padding))))
    assert len(exactly) == 2048 and photo_of(exactly, small).content == jpeg()
    for data, rule in [(exactly + b"\x00", "file_too_large"),
                       (b"%PDF-1.7 not a photo", "file_type"),
                       (b"GIF89a" + b"\x00" * 20, "file_type"),
                       (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "file_type"),
                       (b"PK\x03\x04" + b"\x00" * 30, "file_type"),
                       (b"\xff\xd8\xff", "file_type")]:
        with pytest.raises(PhotoRefused) as refused:
            photo_of(data, small)
        assert refused.value.rule == rule, data[:10]


async def test_a_photo_is_kept_apart_shown_only_to_the_unit_and_erased_with_the_chain_valid(
        app: App) -> None:
    # A phone's photo: the place it was taken in its Exif, which the unit must not see.
    taken = jpeg(after_app0=exif(6))
    kept = without_metadata(taken, "image/jpeg")  # what is kept: no place, upright
    assert b"GPS" in taken and b"GPS" not in kept
    token = _token((await app.http.get(FORM)).text)
    files = {"photo": ("kerusakan.png", taken, "image/png")}  # the name and type are not asked
    sent = await app.http.post(FORM, data=_fields(token), files=files)
    assert sent.status_code == 303, sent.text
    again = await app.http.post(FORM, data=_fields(token), files=files)  # a double tap
    assert again.headers["location"] == sent.headers["location"]
    found = re.search(r"/lacak/(PGD-[A-Z2-7-]+)", sent.headers["location"])
    assert found
    code = found.group(1)
    stream = f"complaint-{AGENCY}-{code}"
    [filed] = await app.log.read_stream(stream)
    import hashlib

    digest = hashlib.sha256(kept).hexdigest()
    assert filed.data["photo_sha256"] == digest  # the event names the photo, not its bytes
    assert len(filed.canonical) < 1000
    assert await app.pool.fetchval("SELECT count(*) FROM complaint_photos") == 1
    tracked = await app.http.get(f"/publik/pengaduan/{AGENCY}/lacak/{code}")
    assert "/foto" not in tracked.text and digest not in tracked.text

    photo_url = f"/v1/agencies/{AGENCY}/complaints/{code}/photo"
    for who in (HEAD, HR, INSPECTOR):
        shown = await app.http.get(photo_url, headers=who)
        assert shown.status_code == 200 and shown.content == kept
        assert shown.headers["content-type"] == "image/jpeg"
        assert shown.headers["x-content-type-options"] == "nosniff"
    assert (await app.http.get(photo_url, headers=CLERK)).status_code == 404
    assert (await app.http.get(photo_url)).status_code == 401
    anonymous = await app.http.get(f"/survei/{AGENCY}/{UNIT}/pengaduan/{code}/foto")
    assert anonymous.status_code in (303, 401) and anonymous.content != kept
    [listed] = (await app.http.get(f"/v1/agencies/{AGENCY}/public-units/{UNIT}/complaints",
                                   headers=HEAD)).json()
    assert (listed["photo_sha256"], listed["photo_erased"]) == (digest, False)

    assert (await app.http.delete(photo_url, headers=INSPECTOR)).status_code == 403
    assert (await app.http.delete(photo_url, headers=HEAD)).status_code == 204
    assert (await app.http.get(photo_url, headers=HEAD)).status_code == 404
    [listed] = (await app.http.get(f"/v1/agencies/{AGENCY}/public-units/{UNIT}/complaints",
                                   headers=HEAD)).json()
    assert (listed["photo_sha256"], listed["photo_erased"]) == (digest, True)
    assert await app.pool.fetchval(
        "SELECT count(*) FROM complaint_photos WHERE content IS NOT NULL") == 0
    assert (await app.http.delete(photo_url, headers=HEAD)).status_code == 204  # again: same
    report = await app.log.verify_stream(stream)
    assert report.ok and report.events_checked == 1
    assert (await app.log.verify_all()).ok


async def test_a_refused_photo_is_said_beside_its_field_and_nothing_is_stored(
        app: App) -> None:
    from domain.complaint import COMPLAINT_POLICY

    token = _token((await app.http.get(FORM)).text)
    too_large = b"\xff\xd8\xff\xe0" + b"\x00" * COMPLAINT_POLICY.photo_max_bytes
    cases = [
        (("foto.jpg", b"GIF89a" + b"\x00" * 64, "image/jpeg"), "JPEG atau PNG"),
        (("foto.png", b"%PDF-1.7\n%%EOF", "image/png"), "JPEG atau PNG"),
        (("foto.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml"),
         "JPEG atau PNG"),
        (("foto.exe", b"MZ\x90\x00" + b"\x00" * 64, "application/octet-stream"),
         "JPEG atau PNG"),
        (("besar.jpg", too_large, "image/jpeg"), "terlalu besar"),
    ]
    for photo, shown in cases:
        refused = await app.http.post(FORM, data=_fields(token), files={"photo": photo})
        assert refused.status_code == 422, (photo[0], refused.status_code)
        assert 'id="err-photo"' in refused.text and shown in refused.text, photo[0]
        assert 'aria-describedby="err-photo"' in refused.text
        assert "Antrean uji KIR" in refused.text  # what was typed is kept
    not_a_file = await app.http.post(FORM, data={**_fields(token), "photo": "x"},
                                     files={"other": ("a.txt", b"a", "text/plain")})
    assert not_a_file.status_code == 422 and 'id="err-photo"' in not_a_file.text
    assert await _complaints(app) == 0
    assert await app.pool.fetchval("SELECT count(*) FROM complaint_photos") == 0
    # No file chosen (a browser sends an empty part): filed without a photo.
    empty = await app.http.post(FORM, data=_fields(token),
                                files={"photo": ("", b"", "application/octet-stream")})
    assert empty.status_code == 303
    assert await app.pool.fetchval("SELECT count(*) FROM complaint_photos") == 0


def test_a_form_token_names_its_purpose_unit_and_time_and_refuses_any_change() -> None:
    from types import SimpleNamespace

    from web.public import form_nonce, form_token

    def site(secret: str) -> Any:
        return SimpleNamespace(app=SimpleNamespace(state=SimpleNamespace(
            web=SimpleNamespace(settings=SimpleNamespace(session_secret=secret)))))

    request, other_site = site("s" * 40), site("t" * 40)
    now = 1_800_000_000.0
    token = form_token(request, "survey", AGENCY, UNIT, now=now)
    assert re.fullmatch(r"[A-Za-z0-9_-]{48}", token)
    nonce = form_nonce(request, "survey", token, AGENCY, UNIT, max_age=3600, now=now + 3599)
    assert isinstance(nonce, uuid.UUID)
    assert form_token(request, "survey", AGENCY, UNIT, now=now) != token  # one-time values
    refused: list[tuple[Any, object, str, str, str, float]] = [
        (request, token, "survey", AGENCY, UNIT, now + 3601),  # expired
        (request, token, "survey", AGENCY, UNIT, now - 61),  # from the future
        (request, token, "complaint", AGENCY, UNIT, now),  # another form's
        (request, token, "survey", AGENCY, "dukcapil", now),  # another unit's
        (request, token, "survey", "pemkot-lain", UNIT, now),  # another agency's
        (other_site, token, "survey", AGENCY, UNIT, now),  # another secret's
        (request, token[:-3] + ("abc" if token[-3:] != "abc" else "abd"), "survey", AGENCY,
         UNIT, now),
        (request, token[:10] + token[11:], "survey", AGENCY, UNIT, now),  # shortened
        (request, "ÄÖ" * 25, "survey", AGENCY, UNIT, now),
        (request, "x" * 500, "survey", AGENCY, UNIT, now),
        (request, None, "survey", AGENCY, UNIT, now),
        (request, "", "survey", AGENCY, UNIT, now),
    ]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for at in range(len(token)):  # each character counts: no other text is this token
        changed = alphabet[(alphabet.index(token[at]) + 1 + at) % 64]
        refused.append((request, token[:at] + changed + token[at + 1:], "survey", AGENCY,
                        UNIT, now))
    refused.append((request, token.replace("-", "+").replace("_", "/"), "survey", AGENCY,
                    UNIT, now) if ("-" in token or "_" in token) else
                   (request, token + "=", "survey", AGENCY, UNIT, now))
    for who, sent, purpose, agency, unit, moment in refused:
        assert form_nonce(who, purpose, sent, agency, unit, max_age=3600, now=moment) is None, \
            (sent, purpose, agency, unit, moment)


async def test_a_flood_from_many_addresses_waits_at_the_units_limit(app: App) -> None:
    """Each address keeps within its own limit (3 an hour); together they reach the unit's
    (``COMPLAINT_POLICY.per_unit``): the next one waits, with its message, and is not
    stored."""
    from domain.complaint import COMPLAINT_POLICY

    application = app.http._transport.app  # type: ignore[attr-defined]
    sent = 0
    for address in range(COMPLAINT_POLICY.per_unit):
        transport = httpx.ASGITransport(app=application, client=(f"10.9.0.{address}", 1))
        async with httpx.AsyncClient(transport=transport, base_url="http://kinerja.test") as http:
            token = _token((await http.get(FORM)).text)
            answer = await http.post(FORM, data=_fields(
                token, text=f"Antrean uji KIR terlalu lama, loket {address} tutup."))
            assert answer.status_code == 303, answer.text
            sent += 1
    assert await _complaints(app) == sent == COMPLAINT_POLICY.per_unit
    transport = httpx.ASGITransport(app=application, client=("10.9.1.1", 1))
    async with httpx.AsyncClient(transport=transport, base_url="http://kinerja.test") as http:
        refused = await http.post(FORM, data=_fields(_token((await http.get(FORM)).text)))
    assert refused.status_code == 429
    assert "menerima banyak pengaduan" in refused.text
    assert await _complaints(app) == COMPLAINT_POLICY.per_unit


async def test_the_same_text_to_the_same_unit_within_a_day_is_a_duplicate(app: App) -> None:
    """Another form with the same text (case and spacing aside) is refused beside the
    text and stores nothing; the same form sent again still answers with its receipt;
    another text, or the same text to another unit, is filed."""
    text = "Loket KIR tutup sebelum jam layanan berakhir."
    token = _token((await app.http.get(FORM)).text)
    first = await app.http.post(FORM, data=_fields(token, text=text))
    assert first.status_code == 303
    again = await app.http.post(FORM, data=_fields(token, text=text))  # a double tap
    assert again.status_code == 303 and again.headers["location"] == first.headers["location"]
    other_form = _token((await app.http.get(FORM)).text)
    refused = await app.http.post(FORM, data=_fields(other_form,
                                                     text="  LOKET KIR tutup sebelum jam "
                                                          "layanan   berakhir. "))
    assert refused.status_code == 422
    assert 'id="err-text"' in refused.text and "sudah dikirim ke unit ini" in refused.text
    assert await _complaints(app) == 1
    another = await app.http.post(FORM, data=_fields(
        _token((await app.http.get(FORM)).text), text=text + " Mohon diperbaiki."))
    assert another.status_code == 303
    assert await _complaints(app) == 2


async def test_the_deadline_is_the_end_of_a_day_in_the_agencys_zone_and_shown_there(
        app: App) -> None:
    from domain.settings import AgencySettings

    hr = Actor(subject="e-hr01", roles=frozenset({Role.HR}), agencies=frozenset({AGENCY}))
    await app.kinerja.settings.change(hr, AGENCY, AgencySettings(utc_offset_hours=8,
                                                     complaint_response_days=3))
    token = _token((await app.http.get(FORM)).text)
    sent = await app.http.post(FORM, data=_fields(token))
    assert sent.status_code == 303, sent.text
    code = re.search(r"/lacak/(PGD-[A-Z2-7-]+)", sent.headers["location"])
    assert code
    [filed] = await app.log.read_stream(f"complaint-{AGENCY}-{code.group(1)}")
    deadline = datetime.fromisoformat(filed.data["deadline"])
    wita = deadline.astimezone(timezone(timedelta(hours=8)))
    assert (wita.hour, wita.minute, wita.second) == (23, 59, 59)
    filed_day = filed.recorded_at.astimezone(timezone(timedelta(hours=8))).date()
    assert wita.date() == filed_day + timedelta(days=3)
    tracked = await app.http.get(f"/publik/pengaduan/{AGENCY}/lacak/{code.group(1)}")
    assert f"{wita.day} " in tracked.text and "23.59 WITA" in tracked.text
