"""What a use case answers besides its result. Each door maps these to its own form: the
API to problem+json (``api.problems``), the CLI to a message and an exit code.
A refusal by the rules is :class:`domain.appraisal.CommandRefused` itself."""

from __future__ import annotations

from dataclasses import dataclass


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
