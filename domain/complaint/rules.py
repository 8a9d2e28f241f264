"""The rules of a complaint (pengaduan) or suggestion (saran) about a unit's service.

A complaint is a stream of events of its own in the log (``complaint-<agency>-<code>``):
``complaint_filed`` (the text, the service, a *reference* to the contact, never the
contact itself, and the deadline) and ``complaint_answered`` (the answer, who answered,
the response time) and ``complaint_hidden`` (moderation: the text is no longer shown to
the public; hiding is itself an event, nothing is deleted). The contact is personal
data: kept apart from the log, shown only to the unit, and erasable without touching the
chain.

Choices (no source the project can cite; policy data here, a line in the README):
the unit answers by the end of the 14th calendar day after filing, in the agency's zone, by
default (an agency may set its own in
``response_days``), a text of 10 to 2,000 characters, a contact of at most 200.
"""

from __future__ import annotations

import base64
import hashlib
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from domain.complaint.metadata import Malformed, without_metadata
from domain.evidence import detect
from domain.policy import (
    COMPLAINT_PHOTO_MEDIA_TYPES,
    DEFAULT_UTC_OFFSET_HOURS,
    end_of_days_after,
)
from domain.survey.response import ServiceKey
from domain.text import Clean

CODE_PATTERN = r"^PGD-[A-Z2-7]{4}-[A-Z2-7]{4}$"


class ComplaintKind(StrEnum):
    COMPLAINT = "pengaduan"
    SUGGESTION = "saran"


class ComplaintStatus(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"


class ComplaintPolicy(BaseModel):
    model_config = ConfigDict(frozen=True)

    response_days: int = Field(ge=1, le=365)
    """Calendar days from filing to the answer's deadline."""
    text_min: int
    text_max: int
    contact_max: int
    answer_max: int
    per_client: int
    """Complaints from one client address per unit ..."""
    window_seconds: int
    """... in this many seconds."""
    photo_max_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    """The largest photo a complaint may carry (JPEG or PNG)."""
    duplicate_window_seconds: int = Field(default=86400, ge=0)
    """The same text (``text_key``) sent to the same unit again within this many seconds
    is a duplicate: refused, the first one stands (0: not checked)."""
    per_unit: int = Field(default=30, ge=1)
    """Complaints to one unit from every address together in ``window_seconds``: a flood
    from many addresses waits, the unit's queue stays readable."""


COMPLAINT_POLICY = ComplaintPolicy(response_days=14, text_min=10, text_max=2000,
                                   contact_max=200, answer_max=4000, per_client=3,
                                   window_seconds=3600, photo_max_bytes=5 * 1024 * 1024,
                                   per_unit=30)


@dataclass(frozen=True)
class Photo:
    """A complaint's photo as its bytes show it: kept apart from the log (personal data,
    erasable), the filing event names only its SHA-256."""

    sha256: str
    media_type: str
    content: bytes


class PhotoRefused(ValueError):
    """Why a photo is refused: ``rule`` is ``file_too_large`` or ``file_type``."""

    def __init__(self, rule: str) -> None:
        super().__init__(rule)
        self.rule = rule


def photo_of(data: bytes, policy: ComplaintPolicy = COMPLAINT_POLICY) -> Photo:
    """The photo ``data`` is, judged by its bytes (never its name or declared type): a
    JPEG or a PNG (``COMPLAINT_PHOTO_MEDIA_TYPES``) of at most ``policy.photo_max_bytes``,
    kept without its metadata (``domain.complaint.metadata``: no location, no camera, no
    time); else :class:`PhotoRefused` (``file_type`` also for bytes that do not hold
    together as such an image)."""
    if len(data) > policy.photo_max_bytes:
        raise PhotoRefused("file_too_large")
    found = detect(data)
    if found is None or found.media_type not in COMPLAINT_PHOTO_MEDIA_TYPES:
        raise PhotoRefused("file_type")
    try:
        kept = without_metadata(data, found.media_type)
    except Malformed:
        raise PhotoRefused("file_type") from None
    return Photo(hashlib.sha256(kept).hexdigest(), found.media_type, kept)


class FileComplaint(BaseModel):
    """What the public sends (the contact optional)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: ComplaintKind
    service: ServiceKey | None = None
    text: Annotated[str, Field(min_length=COMPLAINT_POLICY.text_min,
                               max_length=COMPLAINT_POLICY.text_max), Clean]
    contact: Annotated[str, Field(max_length=COMPLAINT_POLICY.contact_max), Clean] | None = None


def tracking_code(nonce: uuid.UUID) -> str:
    """The complaint's tracking code from the form's nonce (the same form sent twice is
    the same complaint): ``PGD-`` and eight base32 characters, easy to read aloud."""
    letters = base64.b32encode(nonce.bytes).decode()[:8]
    return f"PGD-{letters[:4]}-{letters[4:]}"


def text_key(text: str) -> str:
    """The key two complaints with the same text share: the SHA-256 of the text with its
    Unicode normalised (NFKC), its case folded and its runs of spaces as one."""
    normal = " ".join(unicodedata.normalize("NFKC", text).casefold().split())
    return hashlib.sha256(normal.encode()).hexdigest()


def complaint_stream(agency: str, code: str) -> str:
    return f"complaint-{agency}-{code}"


def deadline_of(filed_at: datetime, policy: ComplaintPolicy = COMPLAINT_POLICY,
                utc_offset_hours: int = DEFAULT_UTC_OFFSET_HOURS) -> datetime:
    """When the unit must have answered: the end of the ``response_days``-th calendar day
    after the day of filing in the agency's zone (filed on 2 March at 23:30 WITA, 14 days:
    the end of 16 March WITA), as every deadline shown to people is the end of a day
    (``domain.policy.end_of_days_after``)."""
    return end_of_days_after(filed_at, policy.response_days, utc_offset_hours)


class ComplaintView(BaseModel):
    """A complaint as its events make it (never the contact)."""

    model_config = ConfigDict(frozen=True)

    code: str
    agency: str
    unit: str
    kind: ComplaintKind
    service: str | None
    text: str
    filed_at: datetime
    deadline: datetime
    status: ComplaintStatus
    answer: str | None = None
    answered_at: datetime | None = None
    response_seconds: int | None = None
    contact_ref: str | None = None
    photo_sha256: str | None = None
    """The SHA-256 of the complaint's photo (its bytes kept apart, erasable)."""
    hidden: bool = False
    """Hidden from public view by moderation (abusive text); the event stays in the log."""
    hidden_reason: str | None = None
    reminded_at: datetime | None = None
    escalated_at: datetime | None = None
    escalated_to: str | None = None
    """The unit's head the late complaint was escalated to (a key of the roster)."""

    def late(self, now: datetime) -> bool:
        """Not answered by its deadline (or answered after it)."""
        end = self.answered_at or now
        return end > self.deadline


def fold(events: list[tuple[str, dict[str, Any], datetime]]) -> ComplaintView | None:
    """The complaint from its events (type, data, recorded_at), oldest first."""
    view: ComplaintView | None = None
    for kind, data, moment in events:
        if kind == "complaint_filed":
            view = ComplaintView(
                code=data["code"], agency=data["agency"], unit=data["unit"],
                kind=ComplaintKind(data["kind"]), service=data.get("service"),
                text=data["text"], filed_at=moment,
                deadline=datetime.fromisoformat(data["deadline"]),
                status=ComplaintStatus.OPEN, contact_ref=data.get("contact_ref"),
                photo_sha256=data.get("photo_sha256"))
        elif kind == "complaint_answered" and view is not None:
            view = view.model_copy(update={
                "status": ComplaintStatus.ANSWERED, "answer": data["text"],
                "answered_at": moment,
                "response_seconds": int((moment - view.filed_at).total_seconds())})
        elif kind == "complaint_reminded" and view is not None:
            view = view.model_copy(update={"reminded_at": moment})
        elif kind == "complaint_escalated" and view is not None:
            view = view.model_copy(update={"escalated_at": moment,
                                           "escalated_to": data.get("escalated_to")})
        elif kind == "complaint_hidden" and view is not None:
            view = view.model_copy(update={"hidden": True, "hidden_reason": data["reason"]})
    return view
