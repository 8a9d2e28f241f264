"""The public's pages: a unit's satisfaction survey (no sign-in, phone first, without
JavaScript), and its results for HR, inspectors and the unit's head.

The anonymous form has no session, so its CSRF defence is the form itself: each served
form carries a token signed with the site's secret naming the agency, the unit and a
random nonce, valid for the policy's hours. A form without it, with another unit's, or
with an old one is shown again (with a fresh token) and nothing is stored. The nonce is
the response's id: the same form sent twice is one response. Each client address may send
the policy's number of responses per unit and window (an in-process limit: each API
process counts its own; see docs/public-voice.md).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import io
import re
import time
import uuid
from collections import deque
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import segno
import typst
from babel.numbers import format_decimal
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from jinja2 import Environment
from pydantic import ValidationError

from domain.survey import (
    ELEMENTS,
    PERIOD_PATTERN,
    SKM_14_2017,
    AgeGroup,
    Education,
    Occupation,
    Sex,
    SurveyResponse,
)
from domain.text import first_refused_character
from services.errors import Invalid, NotFound
from services.public import PublicVoiceService, results_csv
from web.pages import (
    N_,
    PageNotFound,
    SignInNeeded,
    language_of,
    render,
    render_anonymous,
    web,
)

router = APIRouter(include_in_schema=False)

PROFILE = {"age_group": list(AgeGroup), "sex": list(Sex), "education": list(Education),
           "occupation": list(Occupation)}
_FIELDS = ("service", "comment", *PROFILE, *(f"answers.{e.value}" for e in ELEMENTS))


def _public(request: Request) -> PublicVoiceService:
    service: PublicVoiceService = request.app.state.kinerja.public
    return service


# ------------------------------------------------------------------------ form token


def form_token(request: Request, purpose: str, agency: str, unit: str, *,
               now: float | None = None) -> str:
    """A signed token for one public form of ``purpose`` (``survey``, ``complaint``) of a
    unit: a one-time value (what a form sent twice is known by) and the time it was
    served, with an HMAC-SHA-256 (truncated to 128 bits) over them, the purpose, the
    agency and the unit under the site's secret. 48 URL-safe base64 characters, each
    one meaningful (36 bytes: no padding bits, so no two texts are the same token); one
    HMAC, no JSON (signing and checking it was a noticeable part of a submission's
    cost)."""
    issued = int(time.time() if now is None else now)
    body = uuid.uuid4().bytes + issued.to_bytes(_TIME_BYTES, "big")
    mac = _mac(web(request).settings.session_secret, purpose, agency, unit, body)
    return base64.urlsafe_b64encode(body + mac).rstrip(b"=").decode()


def form_nonce(request: Request, purpose: str, token: object, agency: str, unit: str, *,
               max_age: float, now: float | None = None) -> uuid.UUID | None:
    """The one-time value of a valid, unexpired token of this unit's form, else None."""
    if not isinstance(token, str) or not _TOKEN_TEXT.fullmatch(token):
        return None
    raw = base64.urlsafe_b64decode(token)
    body, mac = raw[:_BODY_BYTES], raw[_BODY_BYTES:]
    expected = _mac(web(request).settings.session_secret, purpose, agency, unit, body)
    if not hmac.compare_digest(mac, expected):
        return None
    issued = int.from_bytes(body[16:], "big")
    moment = time.time() if now is None else now
    if not moment - max_age <= issued <= moment + 60:  # expired, or from the future
        return None
    return uuid.UUID(bytes=body[:16])


_TIME_BYTES = 4  # seconds since 1970, unsigned: until 2106
_BODY_BYTES = 16 + _TIME_BYTES
_MAC_BYTES = 16
_TOKEN_TEXT = re.compile(r"[A-Za-z0-9_-]{48}")


def _mac(secret: str, purpose: str, agency: str, unit: str, body: bytes) -> bytes:
    named = f"{len(agency)}:{agency}{len(unit)}:{unit}".encode()
    return hmac.digest(_form_key(secret, purpose), named + body, "sha256")[:_MAC_BYTES]


@lru_cache(maxsize=16)
def _form_key(secret: str, purpose: str) -> bytes:
    """The key of one purpose's form tokens, derived from the site's secret."""
    return hashlib.sha256(f"kinerja-public-{purpose}\x00{secret}".encode()).digest()


TOKEN_SLOT = "token-slot-" + uuid.uuid4().hex
"""Where the reused blank form takes its fresh token (``render_anonymous``)."""


def _form_token(request: Request, agency: str, unit: str) -> str:
    return form_token(request, "survey", agency, unit)


def _response_id(request: Request, token: object, agency: str, unit: str) -> uuid.UUID | None:
    """The response id a valid token of this unit's form stands for, else None."""
    return form_nonce(request, "survey", token, agency, unit,
                      max_age=SKM_14_2017.form_token_seconds)


# ------------------------------------------------------------------------ rate limit


class RateLimiter:
    """At most ``limit`` events per key in ``window`` seconds (a sliding window)."""

    MAX_KEYS = 100_000

    def __init__(self, limit: int, window: float) -> None:
        self.limit, self.window = limit, window
        self._seen: dict[tuple[str, ...], deque[float]] = {}

    def allowed(self, key: tuple[str, ...], now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        times = self._seen.get(key)
        if times is None:
            return True
        while times and times[0] <= now - self.window:
            times.popleft()
        return len(times) < self.limit

    def record(self, key: tuple[str, ...], now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        if len(self._seen) >= self.MAX_KEYS:
            self._seen = {k: v for k, v in self._seen.items()
                          if v and v[-1] > now - self.window}
        self._seen.setdefault(key, deque()).append(now)


def _limiter(request: Request) -> RateLimiter:
    limiter: RateLimiter | None = getattr(request.app.state, "public_limiter", None)
    if limiter is None:
        limiter = RateLimiter(SKM_14_2017.submissions_per_client,
                              SKM_14_2017.submission_window_seconds)
        request.app.state.public_limiter = limiter
    return limiter


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


# ------------------------------------------------------------------------ the form

REQUIRED = N_("Choose one answer.")
CONTROL = N_("Control characters (such as NUL) are not allowed.")
TOO_LONG = N_("This text is too long.")
EXPIRED = N_("This form has expired or was not sent from this page. Please send it again.")
TOO_MANY = N_("Too many responses from this device. Please try again later.")


@cache
def _labels(environment: Environment) -> dict[str, str]:
    """The form's labels in the environment's language, rendered once from the macros of
    ``public/labels.html`` (a form has about 50 choices; calling a macro for each, every
    time, was most of the cost of serving the form)."""
    module = environment.get_template("public/labels.html").module
    labels = {f"q.{e.value}": module.element_question(e.value)  # type: ignore[attr-defined]
              for e in ELEMENTS}
    labels |= {f"a.{n}": module.answer(n)  # type: ignore[attr-defined]
               for n in range(SKM_14_2017.scale_min, SKM_14_2017.scale_max + 1)}
    for name, options in PROFILE.items():
        labels[f"p.{name}"] = module.profile_name(name)  # type: ignore[attr-defined]
        for option in options:
            labels[f"v.{option.value}"] = module.profile_value(option.value)  # type: ignore[attr-defined]
    return labels


async def _form_page(request: Request, agency: str, unit: str, *,
                     values: Mapping[str, str] | None = None,
                     errors: Mapping[str, str] | None = None,
                     notice: str | None = None, status: int = 200) -> Response:
    try:
        found = await _public(request).unit(agency, unit)
    except NotFound:
        raise PageNotFound() from None
    token = _form_token(request, agency, unit)
    context = {
        "unit": found, "elements": ELEMENTS, "profile": PROFILE,
        "scale": range(SKM_14_2017.scale_min, SKM_14_2017.scale_max + 1),
        "token": token, "values": values or {},
        "errors": errors or {}, "notice": notice,
        "comment_max": SKM_14_2017.comment_max_length,
        "labels": _labels(web(request).environment(language_of(request)))}
    if not (values or errors or notice) and status == 200:  # the blank form: reused
        page = render_anonymous(request, "public/survey.html", {**context, "token": TOKEN_SLOT},
                                key=(found.agency, found.unit, found.updated_at),
                                slots={TOKEN_SLOT: token})
        if page is not None:
            return page
    return render(request, "public/survey.html", context, status)


@router.get("/publik/survei/{agency}/{unit}")
async def survey_form(request: Request, agency: str, unit: str) -> Response:
    return await _form_page(request, agency, unit)


def unfilled_or_refused(values: Mapping[str, str], fields: Sequence[str]
                        ) -> dict[str, str]:
    """The message beside each field of a survey form that holds a control character
    (NUL and the like) or, but for the comment, is left empty."""
    errors = {name: CONTROL for name, value in values.items()
              if first_refused_character(value) is not None}
    for name in fields:
        if name != "comment" and not values.get(name) and name not in errors:
            errors[name] = REQUIRED
    return errors


def _checked(values: Mapping[str, str]) -> tuple[SurveyResponse | None, dict[str, str]]:
    """The response the fields make, or the message beside each field that is wrong."""
    errors = unfilled_or_refused(values, _FIELDS)
    if errors:
        return None, errors
    comment = values.get("comment", "").strip()
    try:
        return SurveyResponse.model_validate({
            "service": values["service"],
            "answers": {e.value: values[f"answers.{e.value}"] for e in ELEMENTS},
            **{name: values[name] for name in PROFILE},
            "comment": comment or None}), {}
    except ValidationError as refused:
        for error in refused.errors():
            name = ".".join(str(part) for part in error["loc"]) or "service"
            errors.setdefault(name, TOO_LONG if error["type"] == "string_too_long"
                              else REQUIRED)
        return None, errors


@router.post("/publik/survei/{agency}/{unit}")
async def survey_submit(request: Request, agency: str, unit: str) -> Response:
    form = await request.form(max_fields=len(_FIELDS) + 8, max_files=0)
    values = {name: str(form.get(name) or "") for name in _FIELDS
              if isinstance(form.get(name) or "", str)}
    shown = {k: v for k, v in values.items() if first_refused_character(v) is None}
    response_id = _response_id(request, form.get("token"), agency, unit)
    if response_id is None:
        return await _form_page(request, agency, unit, values=shown, notice=EXPIRED,
                                status=400)
    key = (_client(request), agency, unit)
    limiter = _limiter(request)
    if not limiter.allowed(key):
        return await _form_page(request, agency, unit, values=shown, notice=TOO_MANY,
                                status=429)
    response, errors = _checked(values)
    if response is None:
        return await _form_page(request, agency, unit, values=shown, errors=errors,
                                status=422)
    try:
        stored = await _public(request).submit(agency, unit, response, response_id)
    except NotFound:
        raise PageNotFound() from None
    except Invalid as refused:
        return await _form_page(request, agency, unit, values=shown, status=422, errors={
            b.field: REQUIRED for b in refused.broken})
    if stored:
        limiter.record(key)
    return RedirectResponse(f"/publik/survei/{agency}/{unit}/terima-kasih", 303)


@router.get("/publik/survei/{agency}/{unit}/terima-kasih")
async def survey_thanks(request: Request, agency: str, unit: str) -> Response:
    try:
        found = await _public(request).unit(agency, unit)
    except NotFound:
        raise PageNotFound() from None
    return render(request, "public/thanks.html", {"unit": found})


# ------------------------------------------------------------------------ results


def _signed_in_actor(request: Request) -> Any:
    session = web(request).sessions.of(request)
    if session is None:
        raise SignInNeeded()
    return session.actor


def _period(request: Request, requested: str | None) -> str:
    if requested and re.fullmatch(PERIOD_PATTERN, requested):
        return requested
    return _public(request).period_now(datetime.now(UTC))


@router.get("/survei")
async def survey_units(request: Request) -> Response:
    """The units that serve the public, of the agencies in the person's scope (HR and
    inspectors) or of their own agency, with their survey address and results."""
    session = web(request).sessions.of(request)
    if session is None:
        raise SignInNeeded()
    agencies = sorted(a for a in session.agencies if a != "*") or \
        ([session.agency] if session.agency else [])
    service = _public(request)
    units = [u for agency in agencies for u in await service.units(agency)]
    return render(request, "public/units.html", {"units": units})


@router.get("/survei/{agency}/{unit}/hasil")
async def survey_results(request: Request, agency: str, unit: str,
                         periode: str | None = None) -> Response:
    actor = _signed_in_actor(request)
    service = _public(request)
    period = _period(request, periode)
    try:
        results = await service.results(actor, agency, unit, period)
        trend = await service.trend(actor, agency, unit)
    except NotFound:
        raise PageNotFound() from None
    periods = sorted({period, *(t.period for t in trend)}, reverse=True)
    language = language_of(request)
    return render(request, "public/results.html", {
        "dec": lambda value, places=2: _decimal(value, places, language),
        "r": results.result, "unit": results.unit, "period": period, "periods": periods,
        "trend": trend, "elements": ELEMENTS,
        "chart": _chart(results.result.elements)})


@router.get("/survei/{agency}/{unit}/hasil.csv")
async def survey_results_csv(request: Request, agency: str, unit: str,
                             periode: str | None = None) -> Response:
    actor = _signed_in_actor(request)
    period = _period(request, periode)
    try:
        results = await _public(request).results(actor, agency, unit, period)
    except NotFound:
        raise PageNotFound() from None
    return Response(results_csv(results), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="skm-{unit}-{period}.csv"',
        "Cache-Control": "no-store"})


def _decimal(value: Decimal | None, places: int, language: str) -> str:
    """A rounded figure with its places kept (3,50 not 3,5), in the page's language."""
    if value is None:
        return "–"
    return format_decimal(value, format="#,##0." + "0" * places, locale=language,
                          decimal_quantization=False)


def _chart(elements: Any) -> list[dict[str, Any]]:
    """The bars of the chart: each element's NRR as a share of the scale's top (SVG
    coordinates are computed here, the template draws them)."""
    top = SKM_14_2017.scale_max
    bars = []
    for i, e in enumerate(elements):
        width = float(e.nrr) / top * 100 if e.nrr is not None else 0.0
        bars.append({"y": 8 + i * 28, "width": round(width, 2), "element": e.element.value,
                     "label": f"U{i + 1}", "nrr": e.nrr})
    return bars


# ------------------------------------------------------------------------ poster

POSTER = Path(__file__).parent / "documents" / "poster.typ"


def poster_pdf(url: str, name: str, texts: Mapping[str, str]) -> bytes:
    """The A4 poster (Typst): the unit's name, a QR code of ``url`` and the address."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=4, border=2)
    pdf = typst.compile(POSTER.read_bytes(), sys_inputs={
        **texts, "name": name, "url": url, "qr": buffer.getvalue().decode()})
    assert isinstance(pdf, bytes)
    return pdf


@router.get("/survei/{agency}/{unit}/poster.pdf")
async def survey_poster(request: Request, agency: str, unit: str) -> Response:
    """The printable poster of the unit's survey (HR, inspectors, the unit's head)."""
    actor = _signed_in_actor(request)
    service = _public(request)
    try:
        results = await service.results(actor, agency, unit, service.period_now())
    except NotFound:
        raise PageNotFound() from None
    _ = web(request).translations(language_of(request)).gettext
    url = str(request.base_url).rstrip("/") + f"/publik/survei/{agency}/{unit}"
    pdf = await asyncio.to_thread(poster_pdf, url, results.unit.name, {
        "title": _("Public satisfaction survey"),
        "ask": _("Scan the code with your phone and tell us how you were served."),
        "note": _("Anonymous: no name, no contact. It takes about two minutes.")})
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="survei-{unit}.pdf"',
        "Cache-Control": "no-store"})
