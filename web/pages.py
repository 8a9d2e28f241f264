"""The pages: sign-in (development picker), Beranda, an appraisal (SKP editor, approve or
return, daily activity), its trail (Riwayat), sign-out and the language.

Every action is a use case of :class:`services.appraisals.AppraisalService`, the same
the API calls: the page builds the domain's command from the form and shows the
domain's answer (a refusal next to the field it names). A form carries an idempotency
key, so sending it twice changes nothing. Every POST form carries the session's CSRF
token; a form without it, or with another, is refused (403) before anything is read.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote

import structlog
from babel.dates import format_date
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData, UploadFile

from api.access import record_read
from api.evidence import file_response
from domain.appraisal import (
    AcceptResult,
    AppraisalState,
    ApproveTargets,
    Command,
    CommandRefused,
    DecideObjection,
    DraftTargets,
    ExtendPeriodDeadline,
    FileObjection,
    GiveExplanation,
    GiveFeedback,
    LogActivity,
    Phase,
    ReleaseResult,
    ReportProgress,
    RequestExplanations,
    ReturnTargets,
    ReviewPeriod,
    ReviewSubmitted,
    SubmitReview,
    SubmitSelfAssessment,
    SubmitTargets,
    decide,
)
from domain.appraisal.review import suggested_ratings
from domain.documents import DocumentKind, period_label
from domain.policy import (
    DEFAULT_UTC_OFFSET_HOURS,
    POLICIES,
    POLICY_6_2022,
    Policy,
    end_of_day,
    period_count,
    period_end,
)
from domain.skp import Approach, Aspect, CoreValue, DailyActivity, Evidence, RhkKind, Skp
from services.appraisals import AppraisalService
from services.documents import MAX_PDF_BYTES, DocumentService
from services.errors import Forbidden, Invalid, NotFound, Unavailable
from services.evidence import EvidenceService
from store.appraisals import AppraisalSummary
from web.i18n import LANGUAGES, Formats
from web.oidc import FLOW_COOKIE, FLOW_SECONDS, SignInRefused
from web.session import LANG_COOKIE, Session
from web.state import WebState

router = APIRouter(include_in_schema=False)
log = structlog.get_logger("kinerja.web")

_KEY = re.compile(r"^[A-Za-z0-9._-]{1,200}$")


def N_(message: str) -> str:
    """A message to translate later (marked for the catalogue)."""
    return message


class SignInNeeded(Exception):
    """No valid session: the page sends the browser to sign in."""


class PageNotFound(Exception):
    """Unknown, or not the person's to see: a 404 page (nothing leaks)."""


def web(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state


def _service(request: Request) -> AppraisalService:
    service: AppraisalService = request.app.state.kinerja.appraisals
    return service


def _session(request: Request) -> Session:
    session = web(request).sessions.of(request)
    if session is None:
        raise SignInNeeded()
    return session


def language_of(request: Request) -> str:
    requested = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    return requested if requested in LANGUAGES else web(request).settings.default_language


def render(request: Request, template: str, context: Mapping[str, Any] | None = None,
           status: int = 200, *, offset: int = DEFAULT_UTC_OFFSET_HOURS) -> HTMLResponse:
    """``template`` in the request's language, with the session and its CSRF token."""
    state = web(request)
    language = language_of(request)
    session = state.sessions.of(request)
    response = HTMLResponse("", status_code=status)
    csrf = session.csrf if session else state.sessions.pre_token(request, response)
    page = _page_text(request, template, context, session, csrf, language, offset)
    return _finished(request, response, page, language)


def _page_text(request: Request, template: str, context: Mapping[str, Any] | None,
               session: Session | None, csrf: str, language: str, offset: int) -> str:
    state = web(request)
    translations = state.translations(language)
    return state.environment(language).get_template(template).render(
        request=request, session=session, csrf=csrf, lang=language, languages=LANGUAGES,
        fmt=Formats(language, offset), _=translations.gettext, new_key=_new_key,
        path=request.url.path, **(context or {}))


def _finished(request: Request, response: HTMLResponse, page: str,
              language: str) -> HTMLResponse:
    response.body = page.encode()
    response.headers["content-length"] = str(len(response.body))
    response.headers["cache-control"] = "no-store"
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(LANG_COOKIE, language, max_age=365 * 86400, httponly=True,
                            secure=web(request).sessions.secure, samesite="lax", path="/")
    return response


CSRF_SLOT = "csrf-slot-" + uuid.uuid4().hex
"""Where a reusable page's text takes the visitor's CSRF token (:func:`render_anonymous`)."""


def render_anonymous(request: Request, template: str, context: Mapping[str, Any], *,
                     key: tuple[Any, ...], slots: Mapping[str, str],
                     offset: int = DEFAULT_UTC_OFFSET_HOURS) -> HTMLResponse | None:
    """A page for a visitor without a session whose text depends only on ``key`` (with
    the language and the path) and on the values of ``slots``: rendered once with each
    slot's marker (``context`` holds the markers) and kept by the process (at most 256
    pages), then each request fills in the markers and the visitor's CSRF token. The
    public forms are served this way: rendering the survey form was most of a
    submission's cost. None when the visitor is signed in (``render`` then)."""
    state = web(request)
    if state.sessions.of(request) is not None:
        return None
    language = language_of(request)
    pages: dict[tuple[Any, ...], str] | None = getattr(request.app.state, "anonymous_pages",
                                                       None)
    if pages is None:
        pages = request.app.state.anonymous_pages = {}
    full_key = (template, language, request.url.path, *key)
    text = pages.get(full_key)
    if text is None:
        text = _page_text(request, template, context, None, CSRF_SLOT, language, offset)
        if len(pages) >= 256:
            pages.clear()
        pages[full_key] = text
    response = HTMLResponse("", status_code=200)
    text = text.replace(CSRF_SLOT, state.sessions.pre_token(request, response))
    for marker, value in slots.items():
        text = text.replace(marker, value)
    return _finished(request, response, text, language)


def _new_key() -> str:
    return uuid.uuid4().hex


async def _form(request: Request) -> FormData:
    """The form of a POST, its CSRF token checked (403 page otherwise)."""
    form = await request.form()
    if not web(request).sessions.csrf_ok(request, form.get("csrf")):
        raise CsrfRefused()
    return form


class CsrfRefused(Exception):
    """A state-changing form without the session's CSRF token."""


# --------------------------------------------------------------------------- sign-in


@router.get("/masuk")
async def sign_in(request: Request, next: str = "/") -> Response:
    """Where sign-in starts: the agency's identity provider, and in development the demo
    people (straight there when no provider is set)."""
    state = web(request)
    if state.settings.development and state.oidc is None:
        return RedirectResponse(f"/masuk/dev?next={quote(_safe_next(next))}", 303)
    return render(request, "signin.html", {"next": _safe_next(next),
                                           "oidc": state.oidc is not None,
                                           "development": state.settings.development})


def _callback_url(request: Request) -> str:
    return web(request).settings.oidc_redirect_url or str(request.url_for("oidc_callback"))


@router.get("/masuk/oidc")
async def oidc_start(request: Request, next: str = "/") -> Response:
    state = web(request)
    if state.oidc is None:
        raise PageNotFound()
    url, flow = await state.oidc.start(_callback_url(request), _safe_next(next))
    response = RedirectResponse(url, 303)
    response.set_cookie(FLOW_COOKIE, flow, max_age=FLOW_SECONDS, httponly=True,
                        secure=state.sessions.secure, samesite="lax", path="/masuk")
    return response


@router.get("/masuk/callback", name="oidc_callback")
async def oidc_callback(request: Request, code: str | None = None, state: str | None = None
                        ) -> Response:
    site = web(request)
    if site.oidc is None:
        raise PageNotFound()
    try:
        person, next_path = await site.oidc.finish(request.cookies.get(FLOW_COOKIE), state,
                                                   code, _callback_url(request))
    except SignInRefused as refused:
        log.warning("sign-in refused", reason=str(refused))
        response = render(request, "error.html", {"status": 400}, 400)
        response.delete_cookie(FLOW_COOKIE, path="/masuk")
        return response
    response = RedirectResponse(_safe_next(next_path), 303)
    response.delete_cookie(FLOW_COOKIE, path="/masuk")
    site.sessions.start(response, subject=person.subject, name=person.name,
                        roles=person.roles, agency=person.agency, unit=person.unit,
                        agencies=person.agencies)
    return response


@router.get("/masuk/dev")
async def dev_sign_in(request: Request, next: str = "/") -> Response:
    state = web(request)
    if not state.settings.development:
        raise PageNotFound()
    return render(request, "dev_signin.html",
                  {"people": state.settings.demo_people, "next": _safe_next(next)})


@router.post("/masuk/dev")
async def dev_sign_in_as(request: Request) -> Response:
    state = web(request)
    if not state.settings.development:
        raise PageNotFound()
    form = await _form(request)
    person = next((p for p in state.settings.demo_people if p.key == form.get("person")), None)
    if person is None:
        raise PageNotFound()
    response = RedirectResponse(_safe_next(str(form.get("next") or "/")), 303)
    state.sessions.start(response, subject=person.key, name=person.name, roles=person.roles,
                         agency=person.agency, unit=person.unit, agencies=person.agencies)
    return response


@router.post("/keluar")
async def sign_out(request: Request) -> Response:
    await _form(request)
    response = RedirectResponse("/masuk", 303)
    web(request).sessions.end(response)
    return response


@router.post("/bahasa")
async def choose_language(request: Request) -> Response:
    form = await _form(request)
    language = str(form.get("lang"))
    response = RedirectResponse(_safe_next(str(form.get("next") or "/")), 303)
    if language in LANGUAGES:
        response.set_cookie(LANG_COOKIE, language, max_age=365 * 86400, httponly=True,
                            secure=web(request).sessions.secure, samesite="lax", path="/")
    return response


def _safe_next(value: str) -> str:
    """Only a path of this site (no scheme, no host, no ``//``)."""
    return value if value.startswith("/") and not value.startswith("//") \
        and "\\" not in value else "/"


# --------------------------------------------------------------------------- Beranda


@router.get("/")
async def home(request: Request) -> Response:
    session = _session(request)
    actor = session.actor
    service = _service(request)
    mine = await service.mine(actor)
    as_appraiser = await service.list(actor, role="appraiser")
    as_superior = await service.list(actor, role="superior")
    to_release = await service.list(actor, phase=Phase.CALIBRATION) \
        if "hr" in session.roles else []
    unread = await request.app.state.kinerja.notifications.unread(actor)
    staff_surveys = await request.app.state.kinerja.staff_survey.invitations(actor)
    return render(request, "home.html", {
        "unread": unread, "staff_surveys": staff_surveys,
        "hr": [_row(s, "hr") for s in to_release],
        "mine": [_row(s, "employee") for s in mine],
        "appraiser": [_row(s, "appraiser") for s in as_appraiser],
        "superior": [_row(s, "superior") for s in as_superior],
    })


def _row(summary: AppraisalSummary, role: str) -> dict[str, Any]:
    return {"id": summary.appraisal_id, "cycle": summary.cycle_id, "phase": summary.phase.value,
            "employee": summary.parties.employee, "predikat": summary.predikat,
            "deadline_kind": summary.next_deadline_kind,
            "deadline_at": summary.next_deadline_at, "role": role,
            "offset": summary.utc_offset_hours or DEFAULT_UTC_OFFSET_HOURS,
            "todo": todo(role, summary.phase.value, None)}


def todo(role: str, phase: str, targets_status: str | None) -> str | None:
    """What the person in ``role`` must do now (a message id), if anything."""
    if phase == Phase.TARGET_SETTING:
        if role == "employee" and targets_status in (None, "none", "draft", "returned"):
            return N_("Draft your SKP and submit it to your appraiser.")
        if role == "appraiser" and targets_status in (None, "submitted"):
            return N_("Approve the SKP or return it with a reason.")
    if phase == Phase.SELF_REPORT and role == "employee":
        return N_("Log your daily activities and report progress; then the self-assessment.")
    if phase == Phase.REVIEW and role == "appraiser":
        return N_("Review: rate each RHK and the BerAKHLAK values.")
    if phase == Phase.OBJECTION_WINDOW and role == "employee":
        return N_("Accept the result or file an objection within the window.")
    if phase == Phase.OBJECTION_REVIEW and role == "superior":
        return N_("Decide the objection.")
    if phase == Phase.CALIBRATION and role == "hr":
        return N_("Release the result when the unit's calibration allows it.")
    return None


# --------------------------------------------------------------------------- an appraisal


def _relation(session: Session, summary: AppraisalSummary) -> str | None:
    parties = summary.parties
    actor = session.actor
    for relation, key in (("employee", parties.employee), ("appraiser", parties.appraiser),
                          ("superior", parties.superior)):
        if actor.is_person(parties.agency, key):
            return relation
    return None


async def _appraisal_page(request: Request, appraisal_id: str, *, failed: str | None = None,
                          errors: Mapping[str, str] | None = None,
                          values: Mapping[str, str] | None = None, status: int = 200,
                          preview: Mapping[str, Any] | None = None,
                          editor: Mapping[str, Any] | None = None) -> Response:
    session = _session(request)
    service = _service(request)
    try:
        summary, stored = await service.summary_and_state(session.actor, appraisal_id)
    except NotFound:
        raise PageNotFound() from None
    state = stored.state
    relation = _relation(session, summary)
    offset = _offset(state)
    policy = POLICIES.get(stored.policy, POLICY_6_2022)
    editing = relation == "employee" and summary.phase is Phase.TARGET_SETTING \
        and state.get("targets_status") in ("none", "draft", "returned")
    supported = await service.superior_rhk(session.actor, summary) if editing else []
    today = datetime.now(UTC).astimezone(Formats("id", offset).zone).date().isoformat()
    proposed = {r.get("rhk_id"): r.get("proposed")
                for r in (state.get("self_assessment") or {}).get("ratings", ())}
    return render(request, "appraisal.html", {
        "a": summary, "s": state, "relation": relation, "failed": failed,
        "errors": errors or {}, "values": values or {}, "editable": editing,
        "editor": editor if editor is not None else _shaped(state.get("skp")),
        "aspects": _VALUES[Aspect], "kinds": _VALUES[RhkKind],
        "approaches": _VALUES[Approach],
        "perspectives": policy.jpt_perspectives if state.get("position_kind") == "jpt" else (),
        "weights": policy.rhk_weights, "superior_rhk": supported,
        "numeric": policy.scheme == "numeric", "max_score": policy.numeric_max_score,
        "proposed": proposed, "today": today,
        "core_values": _VALUES[CoreValue], "preview": preview,
        "is_hr": "hr" in session.roles and summary.parties.agency in session.agencies,
        "todo": todo(relation or "", summary.phase.value, state.get("targets_status")),
        "evidence_max_mb": round(_evidence(request).max_bytes / (1024 * 1024), 1),
        "documents": available_documents(summary.phase.value, state),
        **periods_of(request, state, policy, offset),
    }, status, offset=offset)


def period_name(request: Request, review_periods: str | None, period: int, year: int) -> str:
    """A review period in the page's language: ``Triwulan 3, 2026``, ``Maret 2026``."""
    language = language_of(request)
    if review_periods == "monthly" and 1 <= period <= 12:
        return format_date(date(year, period, 1), "MMMM y", locale=language)
    if review_periods == "quarterly":
        gettext = web(request).translations(language).gettext
        return gettext("Quarter %(n)d, %(year)d") % {"n": period, "year": year}
    return period_label(review_periods, period, year)


def periods_of(request: Request, state: Mapping[str, Any], policy: Policy, offset: int
               ) -> dict[str, Any]:
    """The periodic reviews for the page (penilaian kinerja periodik): ``periods``, a
    row per period reviewed or missed (its label, predikat, feedback, whether on time),
    and ``period_options``, the periods that have ended unreviewed (the appraiser's form
    offers them; the domain decides)."""
    calendar = state.get("calendar") or {}
    year = calendar.get("year")
    count = period_count(policy)
    if not year or not count:
        return {"periods": [], "period_options": [], "deadline_options": []}

    def label(n: int) -> str:
        return period_name(request, policy.review_periods, n, int(year))

    reviews = {int(k): v for k, v in (state.get("period_reviews") or {}).items()}
    missed = {int(k) for k in state.get("missed_periods") or ()}
    rows = [{"n": n, "label": label(n), "review": reviews.get(n), "missed": n in missed}
            for n in range(1, count + 1) if n in reviews or n in missed]
    now = datetime.now(UTC)
    options = [{"n": n, "label": label(n)} for n in range(1, count + 1)
               if n not in reviews and period_end(int(year), n, policy, offset) < now]
    deadlines = {int(k): datetime.fromisoformat(v)
                 for k, v in (state.get("period_deadlines") or {}).items()}
    # HR's form offers the periods whose deadline still runs (the domain decides).
    movable = [{"n": n, "label": label(n), "due": due.isoformat()}
               for n, due in sorted(deadlines.items())
               if n not in reviews and n not in missed and due > now]
    return {"periods": rows, "period_options": options, "deadline_options": movable}


_VALUES = {kind: [member.value for member in kind]
           for kind in (Aspect, RhkKind, Approach, CoreValue)}
"""The options of the pages' lists (plain strings: an enum member's ``.value`` is slow
in a template's loops)."""


def _offset(state: Mapping[str, Any]) -> int:
    """The UTC offset of the appraisal's calendar (WIB when it has none yet)."""
    calendar = state.get("calendar") or {}
    return int(calendar.get("utc_offset_hours") or DEFAULT_UTC_OFFSET_HOURS)


@router.get("/penilaian/{appraisal_id}")
async def appraisal(request: Request, appraisal_id: str) -> Response:
    return await _appraisal_page(request, appraisal_id)


@router.get("/penilaian/{appraisal_id}/riwayat")
async def trail(request: Request, appraisal_id: str) -> Response:
    session = _session(request)
    service = _service(request)
    try:
        summary, stored = await service.summary_and_state(session.actor, appraisal_id)
        events = await service.events(session.actor, appraisal_id)
    except NotFound:
        raise PageNotFound() from None
    return render(request, "trail.html", {"a": summary, "events": events},
                  offset=_offset(stored.state))


# The SKP editor's fields are named after the domain's locations (``rhk.0.description``,
# ``rhk.0.indicators.1.target.value``), so a refusal's ``loc`` names its field. The
# editor is a tree of strings (what the fields show): from the stored SKP, or from the
# form as sent; "add" and "remove" buttons change the tree and show the form again
# (without JavaScript: the whole page; with htmx: the form alone).

_EDITOR_LIMITS = {"rhk": 100, "indicators": 50}
"""At most as many rows as the domain accepts (``domain.skp``)."""


def _new_indicator() -> dict[str, Any]:
    return {"id": f"ind-{uuid.uuid4().hex[:8]}", "description": "",
            "aspect": Aspect.QUANTITY.value, "target": {"value": "", "unit": "", "text": ""},
            "source": {"kind": "", "unit": ""}}


def _new_rhk() -> dict[str, Any]:
    return {"id": f"rhk-{uuid.uuid4().hex[:8]}", "kind": RhkKind.MAIN.value,
            "description": "", "perspective": "", "supports_rhk": "", "weight": "",
            "indicators": [_new_indicator()]}


def _text(value: Any) -> str:
    return "" if value is None or isinstance(value, dict | list) else str(value)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _shaped(skp: Any) -> dict[str, Any]:
    """The editor's tree of ``skp`` (a stored SKP, or a form's tree: anything), every part
    a string, every list a list, the seven BerAKHLAK values in order."""
    skp = _as_dict(skp)
    rows = _as_list(skp.get("rhk"))
    rhk = []
    for row in rows[:_EDITOR_LIMITS["rhk"]]:
        if not isinstance(row, dict):
            continue
        indicators = []
        found = _as_list(row.get("indicators"))
        for indicator in found[:_EDITOR_LIMITS["indicators"]]:
            if not isinstance(indicator, dict):
                continue
            target = _as_dict(indicator.get("target"))
            source = _as_dict(indicator.get("source"))
            indicators.append({
                "id": _text(indicator.get("id")) or _new_indicator()["id"],
                "description": _text(indicator.get("description")),
                "aspect": _text(indicator.get("aspect")) or Aspect.QUANTITY.value,
                "target": {k: _text(target.get(k)) for k in ("value", "unit", "text")},
                "source": {k: _text(source.get(k)) for k in ("kind", "unit")}})
        rhk.append({"id": _text(row.get("id")) or _new_rhk()["id"],
                    "kind": _text(row.get("kind")) or RhkKind.MAIN.value,
                    **{k: _text(row.get(k)) for k in ("description", "perspective",
                                                      "supports_rhk", "weight")},
                    "indicators": indicators})
    given = _as_list(skp.get("behaviour"))
    expectations = {_text(b.get("value")): _text(b.get("leader_expectation"))
                    for b in given if isinstance(b, dict)}
    return {"approach": _text(skp.get("approach")) or Approach.QUANTITATIVE.value,
            "rhk": rhk or [_new_rhk()],
            "behaviour": [{"value": v.value, "leader_expectation": expectations.get(v.value, "")}
                          for v in CoreValue]}


def _tree(items: list[tuple[str, str]]) -> dict[str, Any]:
    """Dotted names as a tree (numeric segments become list items in their order)."""
    root: dict[str, Any] = {}
    for name, value in items:
        parts = name.split(".")
        if len(parts) > 6 or not all(parts):
            continue
        node = root
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                break
            node = child
        else:
            if not isinstance(node.get(parts[-1]), dict):
                node[parts[-1]] = value
    result: dict[str, Any] = _lists(root)
    return result


def _editor_of(form: FormData) -> dict[str, Any]:
    """The editor's tree as the form sent it."""
    return _shaped(_tree([(k, str(v)) for k, v in form.multi_items()
                          if k == "approach" or k.startswith(("rhk.", "behaviour."))]))


def _blank_indicator(indicator: Mapping[str, Any]) -> bool:
    return not (indicator["description"].strip()
                or any(v.strip() for v in indicator["target"].values()))


def _compact(editor: dict[str, Any]) -> dict[str, Any]:
    """``editor`` without the rows left empty: an indicator with nothing typed (unless it
    is its RHK's only one) and an RHK with nothing typed."""
    rhk = []
    for row in editor["rhk"]:
        filled = [i for i in row["indicators"] if not _blank_indicator(i)]
        if not row["description"].strip() and not filled:
            continue
        rhk.append({**row, "indicators": filled or row["indicators"][:1]})
    return {**editor, "rhk": rhk}


def _skp_data(editor: Mapping[str, Any], annex: Any) -> dict[str, Any]:
    """The SKP as the domain reads it from the editor's (compacted) tree: empty fields
    left out, the stored annex kept (the editor does not show it)."""

    def filled(values: Mapping[str, str], *names: str) -> dict[str, str]:
        return {n: values[n].strip() for n in names if values.get(n, "").strip()}

    data: dict[str, Any] = {
        "approach": editor["approach"] or None,
        "rhk": [{**filled(row, "id", "kind", "description", "perspective", "supports_rhk",
                          "weight"),
                 "description": row["description"].strip(),
                 "indicators": [{**filled(ind, "id", "aspect"),
                                 "description": ind["description"].strip(),
                                 "target": filled(ind["target"], "value", "unit", "text"),
                                 **({"source": filled(ind["source"], "kind", "unit")}
                                    if ind["source"]["kind"].strip() else {})}
                                for ind in row["indicators"]]}
                for row in editor["rhk"]],
        "behaviour": [filled(b, "value", "leader_expectation") for b in editor["behaviour"]],
    }
    if isinstance(annex, dict):
        data["annex"] = annex
    return data


_EDIT = re.compile(r"^(add-rhk|remove-rhk-(\d+)|add-indicator-(\d+)|remove-indicator-(\d+)-(\d+))$")


def _edited(editor: dict[str, Any], action: re.Match[str]) -> dict[str, Any]:
    """``editor`` with a row added or removed (a button of the form)."""
    rhk = [dict(row, indicators=list(row["indicators"])) for row in editor["rhk"]]
    if action[1] == "add-rhk" and len(rhk) < _EDITOR_LIMITS["rhk"]:
        rhk.append(_new_rhk())
    elif action[2] is not None and int(action[2]) < len(rhk):
        del rhk[int(action[2])]
    elif action[3] is not None and int(action[3]) < len(rhk):
        row = rhk[int(action[3])]
        if len(row["indicators"]) < _EDITOR_LIMITS["indicators"]:
            row["indicators"].append(_new_indicator())
    elif action[4] is not None and int(action[4]) < len(rhk):
        row = rhk[int(action[4])]
        if int(action[5]) < len(row["indicators"]):
            del row["indicators"][int(action[5])]
        row["indicators"] = row["indicators"] or [_new_indicator()]
    return {**editor, "rhk": rhk or [_new_rhk()]}


_INDEX = re.compile(r"\[(\d+)\]")


def form_field(field: str) -> str:
    """The form's field of a domain's refusal: ``skp.rhk[0].indicators[1].target`` is
    ``rhk.0.indicators.1.target.value`` (the target's first field)."""
    name = _INDEX.sub(r".\1", field)
    name = name.removeprefix("skp.")
    return name + ".value" if name.endswith(".target") else name


def _loc(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc)


def _validation_errors(request: Request, error: ValidationError, prefix: str = ""
                       ) -> dict[str, str]:
    """Each broken rule by the field it names, in the user's language."""
    gettext = web(request).translations(language_of(request)).gettext
    messages = {
        "missing": N_("This field is required."),
        "string_too_short": N_("This field is required."),
        "too_short": N_("Add at least one."),
        "string_too_long": N_("This text is too long."),
        "string_pattern_mismatch": N_("This value has characters that are not allowed."),
        "decimal_parsing": N_("Enter a number."),
        "int_parsing": N_("Enter a whole number."),
        "date_from_datetime_parsing": N_("Enter a date."),
        "date_parsing": N_("Enter a date."),
        "enum": N_("Choose one of the options."),
        "literal_error": N_("Choose one of the options."),
        "less_than_equal": N_("This number is too large."),
        "greater_than_equal": N_("This number is too small."),
    }
    found: dict[str, str] = {}
    for item in error.errors():
        loc = _loc(tuple(item.get("loc", ())))
        field = f"{prefix}{loc}" if loc else (prefix.rstrip(".") or "_")
        if field.endswith(".target"):
            field += ".value"
            text = gettext("Fill in a target value and its unit, or a text.")
        elif item["type"] in messages:
            text = gettext(messages[item["type"]])
        else:
            text = gettext("This value is not valid:") + " " + str(item.get("msg", ""))
        found.setdefault(field or "_", text)
    # A list whose item failed is also reported "too short" (pydantic counts the items
    # that validated): only the item's own error is the user's to fix.
    return {field: text for field, text in found.items()
            if not any(other.startswith(field + ".") for other in found)}


def _refusal(request: Request, refused: CommandRefused) -> dict[str, str]:
    gettext = web(request).translations(language_of(request)).gettext
    lead = {"phase": N_("The appraisal's current phase does not allow this now."),
            "forbidden": N_("You may not do this on this appraisal."),
            "invalid": N_("This breaks a rule of the appraisal.")}[refused.code]
    return {form_field(refused.field) if refused.field else "_":
            f"{gettext(lead)} ({refused.reason})"}


async def _act(request: Request, appraisal_id: str, form_name: str,
               build: Callable[[FormData], Command], values: Mapping[str, str] | None = None,
               *, form: FormData, editor: Mapping[str, Any] | None = None) -> Response:
    """Send the command built from ``form``; back to the appraisal, or its page again with
    the refusal next to the field."""
    session = _session(request)
    key = str(form.get("idempotency_key") or "")
    try:
        command = build(form)
    except ValidationError as error:
        return await _appraisal_page(request, appraisal_id, failed=form_name,
                                     errors=_validation_errors(request, error),
                                     values=values or _plain(form), status=422,
                                     editor=editor)
    try:
        await _service(request).command(session.actor, appraisal_id, command,
                                        key if _KEY.match(key) else None)
    except NotFound:
        raise PageNotFound() from None
    except Forbidden as forbidden:
        refused = CommandRefused("forbidden", forbidden.reason)
        return await _appraisal_page(request, appraisal_id, failed=form_name,
                                     errors=_refusal(request, refused),
                                     values=values or _plain(form), status=403,
                                     editor=editor)
    except CommandRefused as refused:
        return await _appraisal_page(request, appraisal_id, failed=form_name,
                                     errors=_refusal(request, refused),
                                     values=values or _plain(form),
                                     status=409 if refused.code == "phase" else 422,
                                     editor=editor)
    except Unavailable:
        gettext = web(request).translations(language_of(request)).gettext
        return await _appraisal_page(
            request, appraisal_id, failed=form_name, values=values or _plain(form),
            errors={"_": gettext("The service is busy; nothing was changed. Send the form "
                                 "again.")}, status=503, editor=editor)
    return RedirectResponse(f"/penilaian/{quote(appraisal_id)}", 303)


def _plain(form: FormData) -> dict[str, str]:
    return {k: str(v) for k, v in form.multi_items() if k not in ("csrf",)}


@router.post("/penilaian/{appraisal_id}/skp")
async def save_skp(request: Request, appraisal_id: str) -> Response:
    """Save the draft (``do=save``), save and submit (``do=submit``), or add or remove a
    row of the editor (``do=add-rhk``, ``remove-rhk-<i>``, ``add-indicator-<i>``,
    ``remove-indicator-<i>-<j>``: the form again with its values, nothing saved)."""
    session = _session(request)
    form = await _form(request)
    editor = _editor_of(form)
    key = str(form.get("idempotency_key") or "")
    values = {"idempotency_key": key}
    action = _EDIT.match(str(form.get("do") or ""))
    if action:
        return await _appraisal_page(request, appraisal_id, failed="skp", values=values,
                                     editor=_edited(editor, action))
    try:
        stored = await _service(request).state(session.actor, appraisal_id)
    except NotFound:
        raise PageNotFound() from None
    editor = _compact(editor)
    data = _skp_data(editor, (stored.state.get("skp") or {}).get("annex"))
    submit = form.get("do") == "submit"

    def build(_: FormData) -> Command:
        return DraftTargets(skp=Skp.model_validate(data))

    shown = _shaped(editor)
    response = await _act(request, appraisal_id, "skp", build, values, form=form,
                          editor=shown)
    if submit and response.status_code == 303:
        return await _act(request, appraisal_id, "skp", lambda _: SubmitTargets(), values,
                          form=_with_key(form, f"{key}-submit" if key else ""), editor=shown)
    return response


def _with_key(form: FormData, key: str) -> FormData:
    items = [(k, v) for k, v in form.multi_items() if k != "idempotency_key"]
    return FormData([*items, ("idempotency_key", key)])


@router.post("/penilaian/{appraisal_id}/skp/ajukan")
async def submit_skp(request: Request, appraisal_id: str) -> Response:
    _session(request)
    form = await _form(request)
    return await _act(request, appraisal_id, "submit", lambda _: SubmitTargets(), form=form)


@router.post("/penilaian/{appraisal_id}/skp/setujui")
async def approve_skp(request: Request, appraisal_id: str) -> Response:
    _session(request)
    form = await _form(request)
    return await _act(request, appraisal_id, "approve", lambda _: ApproveTargets(), form=form)


@router.post("/penilaian/{appraisal_id}/skp/kembalikan")
async def return_skp(request: Request, appraisal_id: str) -> Response:
    _session(request)
    form = await _form(request)
    return await _act(request, appraisal_id, "return",
                      lambda f: ReturnTargets.model_validate({"reason": f.get("reason", "")}),
                      form=form)


@router.post("/penilaian/{appraisal_id}/kegiatan")
async def log_activity(request: Request, appraisal_id: str) -> Response:
    _session(request)
    form = await _form(request)

    def build(f: FormData) -> Command:
        minutes = str(f.get("minutes") or "").strip()
        activity = DailyActivity.model_validate({
            "day": str(f.get("day") or "") or date.today().isoformat(),
            "rhk_id": str(f.get("rhk_id") or ""),
            "description": str(f.get("description") or ""),
            "minutes": minutes or None,
        })
        return LogActivity(activity=activity)

    return await _act(request, appraisal_id, "activity", build, form=form)


@router.post("/penilaian/{appraisal_id}/tenggat-periodik")
async def extend_period_deadline(request: Request, appraisal_id: str) -> Response:
    """HR moves a period's review deadline to the end of the day chosen (in the
    appraisal's zone), with a reason: the API's command, the refusal beside its field."""
    session = _session(request)
    form = await _form(request)
    try:
        _, stored = await _service(request).summary_and_state(session.actor, appraisal_id)
    except NotFound:
        raise PageNotFound() from None
    offset = _offset(stored.state)

    def build(f: FormData) -> Command:
        data = nested(f)
        try:  # a day: its end in the agency's zone; anything else pydantic names
            data["due"] = end_of_day(date.fromisoformat(str(data.get("due"))), offset)
        except ValueError:
            pass
        return ExtendPeriodDeadline.model_validate(data)

    return await _act(request, appraisal_id, "period_deadline", build, form=form)


# --------------------------------------------------------------------------- the other steps
#
# Each form's fields are named after the command's own locations
# (``assessment.ratings.0.proposed``), so the domain's refusal names the field shown.
# An empty field is left out (a required one is then "missing").

_COMMANDS: dict[str, tuple[str, type[Command]]] = {
    "penilaian-mandiri": ("self_assessment", SubmitSelfAssessment),
    "umpan-balik": ("feedback", GiveFeedback),
    "nilai": ("review", SubmitReview),
    "periodik": ("period_review", ReviewPeriod),
    "umumkan": ("release", ReleaseResult),
    "terima": ("accept", AcceptResult),
    "keberatan": ("objection", FileObjection),
    "minta-penjelasan": ("ask", RequestExplanations),
    "penjelasan": ("explanation", GiveExplanation),
    "putuskan": ("decision", DecideObjection),
}


def nested(form: FormData) -> dict[str, Any]:
    """The form's fields as the command's JSON: dotted names become objects, numeric
    segments list items, a repeated name a list; empty values and the form's own fields
    (csrf, idempotency key) are left out."""
    root: dict[str, Any] = {}
    for name in dict.fromkeys(form.keys()):
        if name in ("csrf", "idempotency_key", "do"):
            continue
        values = [str(v).strip() for v in form.getlist(name) if str(v).strip()]
        if not values:
            continue
        parts = name.split(".")
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = values if len(form.getlist(name)) > 1 or name in _LISTS \
            else values[0]
    return _lists(root)


_LISTS = frozenset({"parties"})
"""Fields that are a list even with one value (checkboxes)."""


def _lists(node: Any) -> Any:
    if isinstance(node, dict):
        if node and all(k.isdigit() for k in node):
            return [_lists(node[k]) for k in sorted(node, key=int)]
        return {k: _lists(v) for k, v in node.items()}
    return node


@router.post("/penilaian/{appraisal_id}/capaian")
async def report_progress(request: Request, appraisal_id: str) -> Response:
    """Progress of a period: a realisation per indicator filled (those left empty are
    not reported), and the evidence files chosen (multipart field ``evidence``), each
    attached through :class:`services.evidence.EvidenceService` (the API's use case) and
    named in the report by its SHA-256. The report is checked before any file is stored."""
    session = _session(request)
    form = await _form(request)
    files = [f for f in form.getlist("evidence") if isinstance(f, UploadFile) and f.filename]
    fields = FormData([(k, v) for k, v in form.multi_items() if isinstance(v, str)])

    def build(f: FormData) -> ReportProgress:
        data = nested(f)
        report = data.get("report", {})
        report["realisations"] = [r for r in report.get("realisations", [])
                                  if isinstance(r, dict) and set(r) - {"indicator_id"}]
        return ReportProgress.model_validate(data)

    try:
        build(fields)
    except ValidationError:  # the refusal shown by _act; nothing stored
        return await _act(request, appraisal_id, "progress", build, form=fields)
    evidence: list[Evidence] = []
    try:
        for upload in files:
            stored = await _evidence(request).attach(session.actor, appraisal_id,
                                                     _given(upload))
            evidence.append(Evidence(kind="file", sha256=stored.sha256,
                                     description=stored.file_name))
    except NotFound:
        raise PageNotFound() from None
    except Invalid as invalid:
        return await _appraisal_page(request, appraisal_id, failed="progress",
                                     errors={"evidence": _file_refusal(request, invalid)},
                                     values=_plain(fields), status=invalid.status)
    except (Forbidden, CommandRefused) as refused:
        refusal = refused if isinstance(refused, CommandRefused) else \
            CommandRefused("forbidden", refused.reason)
        return await _appraisal_page(request, appraisal_id, failed="progress",
                                     errors=_refusal(request, refusal), values=_plain(fields),
                                     status=403 if isinstance(refused, Forbidden) else 409)
    finally:
        await form.close()

    def with_evidence(f: FormData) -> Command:
        command = build(f)
        report = command.report.model_copy(
            update={"evidence": (*command.report.evidence, *evidence)})
        return command.model_copy(update={"report": report})

    return await _act(request, appraisal_id, "progress", with_evidence, form=fields)


def _evidence(request: Request) -> EvidenceService:
    service: EvidenceService = request.app.state.kinerja.evidence
    return service


def _given(upload: UploadFile) -> Callable[[], Awaitable[UploadFile]]:
    async def given() -> UploadFile:
        return upload
    return given


def _file_refusal(request: Request, invalid: Invalid) -> str:
    """A refused evidence file, in the page's language."""
    gettext = web(request).translations(language_of(request)).gettext
    rule = invalid.broken[0].rule if invalid.broken else ""
    if rule == "max_bytes":
        limit = _evidence(request).max_bytes / (1024 * 1024)
        return gettext("This file is too large: at most %(size)s MB.") % {
            "size": Formats(language_of(request)).number(round(limit, 1))}
    if rule == "empty":
        return gettext("This file is empty.")
    return gettext("This file type is not accepted: send a PDF, a photo (JPEG, PNG) or an "
                   "office document (DOCX, XLSX, PPTX, ODT, ODS).")


@router.get("/penilaian/{appraisal_id}/bukti/{sha256}")
async def evidence_file(request: Request, appraisal_id: str, sha256: str) -> Response:
    """An evidence file the appraisal's events refer to, for whoever may read the
    appraisal (the same use case and answer as the API's download)."""
    session = _session(request)
    try:
        download = await _evidence(request).download(session.actor, appraisal_id, sha256)
    except NotFound:
        raise PageNotFound() from None
    parties = download.parties
    await record_read(request, session.actor, parties.agency, "appraisal-evidence",
                      personal=True, own=session.actor.is_person(parties.agency,
                                                                 parties.employee),
                      appraisal_id=appraisal_id, sha256=sha256)
    return file_response(download)


@router.post("/penilaian/{appraisal_id}/pratinjau")
async def preview_review(request: Request, appraisal_id: str) -> Response:
    """The predikat the review in the form would give (the domain's rule, nothing
    recorded): a fragment for htmx, or the whole page without JavaScript."""
    session = _session(request)
    form = await _form(request)
    service = _service(request)
    try:
        stored = await service.state(session.actor, appraisal_id)
    except NotFound:
        raise PageNotFound() from None
    result: dict[str, Any] = {}
    try:
        command = SubmitReview.model_validate(nested(form))
        state = AppraisalState.model_validate({**stored.state,
                                               "policy": POLICIES[stored.policy]})
        work, behaviour = suggested_ratings(state, command.ratings)
        result = {"suggested_work_result": work.value, "suggested_behaviour": behaviour.value}
        events = decide(state, command, actor=session.actor, at=datetime.now(UTC))
        reviewed = next(e for e in events if isinstance(e, ReviewSubmitted))
        result |= {"work_result": reviewed.work_result.value,
                   "behaviour": reviewed.behaviour.value,
                   "score": reviewed.score, "predikat": reviewed.predikat.value}
    except ValidationError as error:
        result |= {"errors": _validation_errors(request, error)}
    except CommandRefused as refused:
        result |= {"errors": _refusal(request, refused)}
    if request.headers.get("hx-request") == "true":
        return render(request, "preview.html", {"preview": result})
    return await _appraisal_page(request, appraisal_id, failed="review", values=_plain(form),
                                 preview=result)


@router.post("/penilaian/{appraisal_id}/{step}")
async def command_step(request: Request, appraisal_id: str, step: str) -> Response:
    if step not in _COMMANDS:
        raise PageNotFound()
    _session(request)
    form = await _form(request)
    form_name, model = _COMMANDS[step]
    return await _act(request, appraisal_id, form_name,
                      lambda f: model.model_validate(nested(f)), form=form)


# --------------------------------------------------------------------------- documents


def _documents(request: Request) -> DocumentService:
    service: DocumentService = request.app.state.kinerja.documents
    return service


def available_documents(phase: str, state: Mapping[str, Any]) -> list[str]:
    """The documents the appraisal has now (the links of its page); the rule itself is
    domain.documents.available, applied again when one is asked for."""
    kinds = []
    if state.get("skp") and state.get("targets_status") in ("approved", "set_by_hr"):
        kinds.append("skp")
    if state.get("review") and phase in ("objection_window", "objection_review", "final"):
        kinds.append("evaluasi")
    if (state.get("objection") or {}).get("decision"):
        kinds.append("keberatan")
    return kinds


@router.get("/penilaian/{appraisal_id}/dokumen/{kind}.pdf")
async def document_pdf(request: Request, appraisal_id: str, kind: str) -> Response:
    """A document of the appraisal for whoever may read it (404 page otherwise)."""
    session = _session(request)
    if kind not in {k.value for k in DocumentKind}:
        raise PageNotFound()
    try:
        document = await _documents(request).document(session.actor, appraisal_id,
                                                      DocumentKind(kind))
    except (NotFound, Invalid):
        raise PageNotFound() from None
    return Response(document.pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{document.filename}"',
        "Cache-Control": "private, no-store"})


_STATUS_TEXT = {
    "match": N_("This document matches the log: it is the current one."),
    "superseded": N_("This document was genuine, but a later event changed it: ask for "
                     "the current one."),
    "tampered": N_("This document does not match the log."),
}


@router.get("/verifikasi")
async def verify_page(request: Request, kode: str | None = None) -> Response:
    """Check a document by the code printed on it (no sign-in needed: the code names an
    appraisal and an event hash; the answer says only whether the log holds that event
    and whether a later one changed the document)."""
    if kode is None or not kode.strip():
        return render(request, "verify.html", {"code": "", "result": None, "error": None})
    return await _verified(request, kode, lambda: _documents(request).check_code(kode))


@router.post("/verifikasi")
async def verify_upload(request: Request) -> Response:
    """Check an uploaded PDF (its code is read from the file's metadata)."""
    form = await _form(request)
    upload = form.get("file")
    if upload is None or isinstance(upload, str):
        return render(request, "verify.html", {
            "code": "", "result": None, "error": _translated(request, N_("Choose a PDF file."))},
            422)
    data = await upload.read(MAX_PDF_BYTES + 1)
    return await _verified(request, "", lambda: _documents(request).check_pdf(data))


def _translated(request: Request, message: str) -> str:
    return web(request).translations(language_of(request)).gettext(message)


VERDICT_REASONS = (
    N_("the log has no event {version} of this appraisal with this hash"),
    N_("the log lacks version {version} of the appraisal"),
    N_("event {version} does not follow event {previous} in the chain"),
    N_("event {version}'s stored content does not give its hash (the log was altered)"),
    N_("event {version} ({type}) is in the log with this hash"),
    N_("the checkpoint names another signing key"),
    N_("the checkpoint's signature does not verify with the public key"),
    N_("the checkpoint's signature verifies"),
    N_("the log sealed event {version} at position {seq}, not {printed}"),
    N_("the event is not in the checkpoint's tree (inclusion proof fails)"),
    N_("the event is in the signed tree of {size} events"),
    N_("no {kind} document reflects event {version}"),
    N_("no {kind} document reflects event {version} (at that point it reflects event "
       "{other})"),
    N_("the document no longer exists"),
    N_("{later} changed this document; the current document reflects event {current}"),
    N_("{later} changed this document; the document no longer exists"),
)
"""The verdicts' reasons (``domain.documents.REASON_TEMPLATES``) for the catalogues: the
page says each in the reader's language."""


def reason_text(request: Request, reason: str) -> str:
    """A verdict's reason in the page's language (as it is when it has no template)."""
    template = getattr(reason, "template", None)
    if template is None:
        return str(reason)
    return _translated(request, template).format(**getattr(reason, "params", {}))


async def _verified(request: Request, code: str, check: Callable[[], Any]) -> Response:
    try:
        result = await check()
    except Invalid as invalid:
        message = {
            "bad-document-code": N_("This is not a Kinerja document code."),
            "no-document-code": N_("This file carries no Kinerja document code."),
            "file-too-large": N_("The file is too large."),
        }.get(invalid.kind, N_("This is not a Kinerja document code."))
        return render(request, "verify.html", {
            "code": code, "result": None, "error": _translated(request, message),
            "detail": invalid.detail}, 422)
    return render(request, "verify.html", {
        "code": code, "result": result, "error": None,
        "reasons": [reason_text(request, r) for r in result.verdict.reasons],
        "status_text": _translated(request, _STATUS_TEXT[result.verdict.status])})
