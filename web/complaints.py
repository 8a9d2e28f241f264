"""The public's complaint and suggestion form (no sign-in, phone first, without
JavaScript), its receipt with the tracking code and the filing event's hash, and the
page the complainant follows it on. The same signed form token as the survey's
(``web/public.py``) guards it and names it: the same form sent twice is one complaint.
A hidden field people do not see (a honeypot) refuses what fills it in."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from domain.authorization import Actor
from domain.complaint import COMPLAINT_POLICY, ComplaintKind, FileComplaint, PhotoRefused, photo_of
from domain.complaint.rules import CODE_PATTERN
from domain.text import first_refused_character
from services.complaints import ComplaintService
from services.errors import Conflict, Forbidden, Invalid, NotFound
from services.public import PublicVoiceService
from web.pages import N_, PageNotFound, SignInNeeded, render, web
from web.pages import _form as csrf_checked_form
from web.public import (
    CONTROL,
    EXPIRED,
    TOO_LONG,
    TOO_MANY,
    RateLimiter,
    _client,
    form_nonce,
    form_token,
)

router = APIRouter(include_in_schema=False)

FIELDS = ("kind", "service", "text", "contact")
HONEYPOT = "website"
REQUIRED = N_("Fill in this field.")
TOO_SHORT = N_("Write at least 10 characters.")
ROBOT = N_("This form was filled in by a program, not a person: nothing was sent.")
REFUSED = {
    "file_too_large": N_("The photo is too large: choose a smaller one."),
    "file_type": N_("Choose a photo in JPEG or PNG format."),
    "duplicate": N_("The same complaint was already sent to this unit today: it is being "
                    "handled. Track it with the code you received."),
}
"""The message beside the field of each rule the filing's use case may name."""


def _service(request: Request) -> ComplaintService:
    service: ComplaintService = request.app.state.kinerja.complaints
    return service


def _nonce(request: Request, token: object, agency: str, unit: str) -> uuid.UUID | None:
    return form_nonce(request, "complaint", token, agency, unit, max_age=4 * 3600)


UNIT_BUSY = N_("This unit has received many complaints in the last hour. Please try again "
               "later.")


def _unit_limiter(request: Request) -> RateLimiter:
    """Complaints to one unit from every address together (``COMPLAINT_POLICY.per_unit``)."""
    limiter: RateLimiter | None = getattr(request.app.state, "complaint_unit_limiter", None)
    if limiter is None:
        limiter = RateLimiter(COMPLAINT_POLICY.per_unit, COMPLAINT_POLICY.window_seconds)
        request.app.state.complaint_unit_limiter = limiter
    return limiter


def _limiter(request: Request) -> RateLimiter:
    limiter: RateLimiter | None = getattr(request.app.state, "complaint_limiter", None)
    if limiter is None:
        limiter = RateLimiter(COMPLAINT_POLICY.per_client, COMPLAINT_POLICY.window_seconds)
        request.app.state.complaint_limiter = limiter
    return limiter


async def _form_page(request: Request, agency: str, unit: str, *,
                     values: dict[str, str] | None = None,
                     errors: dict[str, str] | None = None, notice: str | None = None,
                     status: int = 200) -> Response:
    public: PublicVoiceService = request.app.state.kinerja.public
    try:
        found = await public.unit(agency, unit)
    except NotFound:
        raise PageNotFound() from None
    token = form_token(request, "complaint", agency, unit)
    return render(request, "public/complaint.html", {
        "unit": found, "kinds": list(ComplaintKind), "token": token,
        "values": values or {"kind": ComplaintKind.COMPLAINT.value}, "errors": errors or {},
        "notice": notice,
        "policy": await request.app.state.kinerja.settings.complaint_policy(agency),
        "photo_mb": COMPLAINT_POLICY.photo_max_bytes // (1024 * 1024)}, status)


async def _photo(form_value: object) -> tuple[bytes | None, str | None]:
    """The photo sent with the form (at most one byte over the limit is read) and the
    rule it breaks; (None, None) when no file was chosen."""
    if form_value is None or form_value == "":
        return None, None
    if not isinstance(form_value, UploadFile):
        return None, "file_type"
    data = await form_value.read(COMPLAINT_POLICY.photo_max_bytes + 1)
    if not data:
        return None, None
    try:
        photo_of(data, COMPLAINT_POLICY)
    except PhotoRefused as refused:
        return None, refused.rule
    return data, None


# The lookup is declared before the form: its path would match the form's.
@router.get("/publik/pengaduan/{agency}/lacak")
async def complaint_lookup(request: Request, agency: str, kode: str | None = None
                           ) -> Response:
    code = (kode or "").strip().upper()
    if re.fullmatch(CODE_PATTERN, code):
        return RedirectResponse(f"/publik/pengaduan/{agency}/lacak/{code}", 303)
    return render(request, "public/track_lookup.html", {
        "agency": agency, "value": kode or "",
        "error": N_("Enter the tracking code of your receipt, such as PGD-ABCD-EFGH.")
        if kode is not None else None}, 422 if kode is not None else 200)


@router.get("/publik/pengaduan/{agency}/{unit}")
async def complaint_form(request: Request, agency: str, unit: str) -> Response:
    return await _form_page(request, agency, unit)


@router.post("/publik/pengaduan/{agency}/{unit}")
async def complaint_submit(request: Request, agency: str, unit: str) -> Response:
    form = await request.form(max_fields=12, max_files=1)
    values = {n: str(form.get(n) or "") for n in FIELDS if isinstance(form.get(n) or "", str)}
    shown = {k: v for k, v in values.items() if first_refused_character(v) is None}
    nonce = _nonce(request, form.get("token"), agency, unit)
    if nonce is None:
        return await _form_page(request, agency, unit, values=shown, notice=EXPIRED,
                                status=400)
    if form.get(HONEYPOT):
        return await _form_page(request, agency, unit, values=shown, notice=ROBOT,
                                status=400)
    key, unit_key = (_client(request), agency, unit), ("*", agency, unit)
    limiter, unit_limiter = _limiter(request), _unit_limiter(request)
    if not limiter.allowed(key):
        return await _form_page(request, agency, unit, values=shown, notice=TOO_MANY,
                                status=429)
    if not unit_limiter.allowed(unit_key):
        return await _form_page(request, agency, unit, values=shown, notice=UNIT_BUSY,
                                status=429)
    errors: dict[str, str] = {n: CONTROL for n, v in values.items()
                              if first_refused_character(v) is not None}
    photo, photo_rule = await _photo(form.get("photo"))
    if photo_rule is not None:
        errors["photo"] = REFUSED[photo_rule]
    if not values.get("text", "").strip() and "text" not in errors:
        errors["text"] = REQUIRED
    complaint = None
    if not errors:
        try:
            complaint = FileComplaint(kind=values.get("kind") or "x",
                                      service=values.get("service") or None,
                                      text=values["text"].strip(),
                                      contact=values.get("contact", "").strip() or None)
        except ValidationError as refused:
            for error in refused.errors():
                name = str(error["loc"][0]) if error["loc"] else "text"
                errors.setdefault(name, {"string_too_long": TOO_LONG,
                                         "string_too_short": TOO_SHORT}.get(
                                             error["type"], REQUIRED))
    if complaint is None or errors:
        return await _form_page(request, agency, unit, values=shown, errors=errors,
                                status=422)
    try:
        filed = await _service(request).file(agency, unit, complaint, nonce, photo=photo)
    except NotFound:
        raise PageNotFound() from None
    except Invalid as refused:
        return await _form_page(request, agency, unit, values=shown, status=422,
                                errors={b.field: REFUSED.get(b.rule, REQUIRED)
                                        for b in refused.broken})
    if filed.new:
        limiter.record(key)
        unit_limiter.record(unit_key)
    return RedirectResponse(
        f"/publik/pengaduan/{agency}/lacak/{filed.view.code}?tanda={filed.event_hash}", 303)


@router.get("/publik/pengaduan/{agency}/lacak/{code}")
async def complaint_track(request: Request, agency: str, code: str,
                          tanda: str | None = None) -> Response:
    try:
        view = await _service(request).track(agency, code)
    except NotFound:
        raise PageNotFound() from None
    receipt = tanda if tanda and re.fullmatch(r"[0-9a-f]{64}", tanda) else None
    events = await request.app.state.kinerja.event_log.read_stream(
        f"complaint-{agency}-{code}")
    return render(request, "public/track.html", {
        "c": view, "receipt": receipt, "filed_hash": events[0].hash.hex()},
        offset=await _service(request).zone(agency))


# ------------------------------------------------------------------------ the unit's list


def _actor(request: Request) -> Actor:
    session = web(request).sessions.of(request)
    if session is None:
        raise SignInNeeded()
    return session.actor


async def _unit_page(request: Request, agency: str, unit: str, *,
                     errors: dict[str, str] | None = None, status: int = 200) -> Response:
    actor = _actor(request)
    public: PublicVoiceService = request.app.state.kinerja.public
    try:
        found = await public.unit(agency, unit)
        complaints = await _service(request).list(actor, agency, unit)
    except NotFound:
        raise PageNotFound() from None
    now = datetime.now(UTC)
    return render(request, "public/complaints.html", {
        "unit": found, "complaints": complaints, "now": now, "errors": errors or {},
        "answer_max": COMPLAINT_POLICY.answer_max}, status,
        offset=await _service(request).zone(agency))


@router.get("/survei/{agency}/{unit}/pengaduan")
async def unit_complaints(request: Request, agency: str, unit: str) -> Response:
    return await _unit_page(request, agency, unit)


@router.post("/survei/{agency}/{unit}/pengaduan/{code}/jawab")
async def unit_answer(request: Request, agency: str, unit: str, code: str) -> Response:
    form = await csrf_checked_form(request)
    actor = _actor(request)
    text = str(form.get("answer") or "").strip()
    field = f"answer-{code}"
    if not text:
        return await _unit_page(request, agency, unit, errors={field: REQUIRED}, status=422)
    if first_refused_character(text) is not None:
        return await _unit_page(request, agency, unit, errors={field: CONTROL}, status=422)
    if len(text) > COMPLAINT_POLICY.answer_max:
        return await _unit_page(request, agency, unit, errors={field: TOO_LONG}, status=422)
    try:
        await _service(request).answer(actor, agency, code, text)
    except NotFound:
        raise PageNotFound() from None
    except Forbidden:
        return await _unit_page(request, agency, unit, status=403, errors={
            field: N_("Only the unit's head or HR answers complaints.")})
    except Conflict:
        pass  # answered already (a second tap, or someone else): the list shows it
    return RedirectResponse(f"/survei/{agency}/{unit}/pengaduan", 303)


async def _unit_erase(request: Request, agency: str, unit: str, code: str,
                      what: Literal["contact", "photo"]) -> Response:
    """Erase the complaint's contact or photo (the unit's head or HR), then the list."""
    await csrf_checked_form(request)
    service = _service(request)
    erase = service.erase_contact if what == "contact" else service.erase_photo
    try:
        await erase(_actor(request), agency, code)
    except NotFound:
        raise PageNotFound() from None
    except Forbidden:
        return await _unit_page(request, agency, unit, status=403, errors={
            f"answer-{code}": N_("Only the unit's head or HR answers complaints.")})
    return RedirectResponse(f"/survei/{agency}/{unit}/pengaduan", 303)


@router.post("/survei/{agency}/{unit}/pengaduan/{code}/hapus-kontak")
async def unit_erase_contact(request: Request, agency: str, unit: str, code: str
                             ) -> Response:
    return await _unit_erase(request, agency, unit, code, "contact")


@router.get("/survei/{agency}/{unit}/pengaduan/{code}/foto")
async def unit_photo(request: Request, agency: str, unit: str, code: str) -> Response:
    """The complaint's photo, for the unit only (a 404 page to anyone else, and once
    erased)."""
    try:
        photo = await _service(request).photo(_actor(request), agency, code)
    except NotFound:
        raise PageNotFound() from None
    assert photo.content is not None
    extension = ".png" if photo.media_type == "image/png" else ".jpg"
    return Response(photo.content, media_type=photo.media_type, headers={
        "Content-Disposition": f'inline; filename="{code}{extension}"',
        "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'"})


@router.post("/survei/{agency}/{unit}/pengaduan/{code}/hapus-foto")
async def unit_erase_photo(request: Request, agency: str, unit: str, code: str) -> Response:
    return await _unit_erase(request, agency, unit, code, "photo")
