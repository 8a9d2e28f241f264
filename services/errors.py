"""What a use case answers besides its result. Each door maps these to its own form: the
API to problem+json (``api.problems``), the CLI to a message and an exit code.
A refusal by the rules is :class:`domain.appraisal.CommandRefused` itself."""

from __future__ import annotations

from dataclasses import dataclass

from domain.appraisal import CommandRefused
from workflows.appraisal.client import (
    AppraisalEnded,
    AppraisalNotFound,
    ContentNotStorable,
    OutcomeUnknown,
    TemporalUnavailable,
)


class ServiceError(Exception):
    """Base of every answer that is not a result."""


class NotFound(ServiceError):
    """Unknown, or outside the caller's scope: the same answer, so nothing leaks."""

    def __init__(self, what: str = "appraisal") -> None:
        super().__init__(f"no {what} with this id is visible to you")
        self.what = what


class Forbidden(ServiceError):
    """The caller sees the thing but may not do this to it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Broken:
    """One broken rule of an input: where, which rule, in words."""

    field: str
    rule: str
    message: str


class Invalid(ServiceError):
    """An input breaks a rule (a file that cannot be read, rows rejected)."""

    def __init__(self, kind: str, title: str, detail: str,
                 broken: list[Broken] | None = None, *, status: int = 422) -> None:
        super().__init__(detail)
        self.kind, self.title, self.detail = kind, title, detail
        self.broken = broken or []
        self.status = status
        """422 for a rule broken; 404 for a thing named that is not there, 409 for one
        not in the state asked."""


class Conflict(ServiceError):
    """The state moved under the request (another import meanwhile); try again."""

    def __init__(self, kind: str, title: str, detail: str) -> None:
        super().__init__(detail)
        self.kind, self.title, self.detail = kind, title, detail


class Unavailable(ServiceError):
    """A service the use case needs did not answer. ``outcome_unknown``: a command was
    sent and may or may not be recorded (repeat it with the same key); otherwise
    nothing was changed."""

    def __init__(self, service: str, *, outcome_unknown: bool = False) -> None:
        super().__init__(service)
        self.service = service
        self.outcome_unknown = outcome_unknown


SENDING_FAILURES: tuple[type[Exception], ...] = (
    CommandRefused, AppraisalEnded, AppraisalNotFound, ContentNotStorable, OutcomeUnknown,
    TemporalUnavailable)
"""What a Temporal client (``workflows.*.client``) raises when a command does not go
through."""


def answer_to(failure: Exception, *, what: str, ended: str) -> Exception:
    """The use case's answer to one of :data:`SENDING_FAILURES` of a command to ``what``
    (``appraisal``, ``cycle``); ``ended``: the refusal when its workflow has ended."""
    if isinstance(failure, CommandRefused):
        return failure
    if isinstance(failure, AppraisalEnded):
        return CommandRefused("phase", ended)
    if isinstance(failure, AppraisalNotFound):
        return NotFound(what)
    if isinstance(failure, ContentNotStorable):
        return CommandRefused("invalid", "the log cannot store this content; nothing was "
                                         "changed")
    if isinstance(failure, OutcomeUnknown):
        return Unavailable(f"the {what}'s workflow", outcome_unknown=True)
    return Unavailable("the workflow service")
