"""The replay of a bundle's appraisal streams: pure per stream, settled in bundle order."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from pydantic import ValidationError

from domain.appraisal import AppraisalState, Event, event_from_canonical, fold
from domain.bundle.format import (
    APPRAISAL_STREAM_PREFIX,
    _fail,
    _Failed,
)


@dataclass(frozen=True)
class ReplayedState:
    """What a replay of one appraisal stream came to, as JSON: cheap to send between
    processes (pickling a whole state costs more than the replay itself)."""

    version: int
    phase: str
    predikat: str | None
    state_json: bytes | None = field(default=None, repr=False)
    """The whole state, when kept (``keep_states``)."""

    @classmethod
    def of(cls, state: AppraisalState, *, keep_state: bool = True) -> ReplayedState:
        return cls(state.version, state.phase.value,
                   state.review.predikat.value if state.review else None,
                   state.model_dump_json().encode("utf-8") if keep_state else None)

    def state(self) -> AppraisalState:
        """The replayed state itself (kept only with ``keep_states``)."""
        if self.state_json is None:
            raise LookupError("the replayed state was not kept (keep_states=False)")
        return AppraisalState.model_validate_json(self.state_json)


ReplayResult = ReplayedState | tuple[int, str]
"""What a stream's events replay to, or (version, reason) of the first that does not replay."""


def replay_stream(events: Sequence[bytes], *, keep_state: bool = True) -> ReplayResult:
    """Fold one appraisal stream's events (their canonical JSON bytes, from version 1 in
    order) through :func:`domain.appraisal.fold`, each validated straight from its bytes
    (:func:`domain.appraisal.event_from_canonical`)."""
    evolved = 0

    def stream() -> Iterator[Event]:
        nonlocal evolved
        for canonical in events:
            yield event_from_canonical(canonical)
            evolved += 1  # resumed: the event before was evolved

    try:
        state = fold(stream())
    except (ValidationError, KeyError, TypeError, ValueError) as error:
        return evolved + 1, f"replay failed: {error}".splitlines()[0]
    return ReplayedState.of(state, keep_state=keep_state)


def replay_streams(batch: Sequence[tuple[str, Sequence[bytes]]], keep_states: bool = True
                   ) -> list[tuple[str, ReplayResult]]:
    """:func:`replay_stream` of each ``(stream_id, [canonical bytes])``: a batch a
    :class:`ReplayScheduler` may run elsewhere (it is picklable by reference)."""
    return [(stream_id, replay_stream(events, keep_state=keep_states))
            for stream_id, events in batch]


class ReplayScheduler(Protocol):
    """Where the replays of closed streams run, when not inline: the caller's choice
    (threads, processes; see ``kinerja.bundle_replay``). The domain only settles the
    results in bundle order."""

    def submit(self, stream_id: str, events: list[bytes], keep_state: bool) -> None:
        """Replay one closed stream, given its events' canonical bytes in version order."""

    def collect(self) -> list[tuple[str, ReplayResult]]:
        """Every stream submitted so far and not yet collected, with its result, in the
        order submitted (waits for them)."""


class _Replays:
    """The replays of a bundle's appraisal streams: each stream inline as it closes, or
    submitted to a scheduler, settled in bundle order."""

    def __init__(self, final_states: dict[str, ReplayedState],
                 scheduler: ReplayScheduler | None, keep_states: bool) -> None:
        self._final_states = final_states
        self._keep_states = keep_states
        self._scheduler = scheduler
        self._stream: str | None = None
        self._events: list[bytes] = []

    def open(self, stream_id: str) -> None:
        self._stream = stream_id if stream_id.startswith(APPRAISAL_STREAM_PREFIX) else None
        self._events = []

    def add(self, canonical: bytes) -> None:
        """One more event of the open stream: its canonical bytes, from which the replay
        (inline or where a scheduler runs it) validates the event in one pass."""
        if self._stream is not None:
            self._events.append(canonical)

    def close(self) -> None:
        stream, self._stream = self._stream, None
        if stream is None:
            return
        if self._scheduler is None:
            self._settle(stream, replay_stream(self._events, keep_state=self._keep_states))
            return
        self._scheduler.submit(stream, self._events, self._keep_states)

    def finish(self) -> None:
        """Settle every closed stream's replay in bundle order; raises the first failure."""
        if self._scheduler is not None:
            for stream, result in self._scheduler.collect():
                self._settle(stream, result)

    def first_failure_before(self, failed: _Failed) -> _Failed:
        """What to report when a check failed: a replay failure of an earlier stream, or of
        an earlier event of the open stream, else ``failed``."""
        try:
            self.finish()
        except _Failed as earlier:
            return earlier
        if self._stream is not None and self._events:
            result = replay_stream(self._events, keep_state=False)
            if not isinstance(result, ReplayedState):
                return _fail(result[1], stream_id=self._stream, version=result[0])
        return failed

    def _settle(self, stream: str, result: ReplayResult) -> None:
        if isinstance(result, ReplayedState):
            self._final_states[stream] = result
        else:
            raise _fail(result[1], stream_id=stream, version=result[0])
