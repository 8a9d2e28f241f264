"""Where a bundle's replays run: batches of appraisal streams on an executor.

The domain (:mod:`domain.bundle`) checks a bundle and replays each appraisal
stream with pure functions; whether those replays run inline or on threads or
worker processes beside the checks is this layer's choice.
:class:`ExecutorReplays` is the :class:`domain.bundle.ReplayScheduler` that
sends closed streams, in batches of about :data:`REPLAY_BATCH` events, to
:func:`domain.bundle.replay_streams` on an executor, and hands the results
back in the order the streams were submitted.
"""

from __future__ import annotations

from concurrent.futures import Executor, Future

from domain.bundle import ReplayResult, replay_streams

REPLAY_BATCH = 4_000
"""Events per batch sent to an executor."""


class ExecutorReplays:
    """Replays of closed streams on ``executor``, in batches of ``batch_events`` events."""

    def __init__(self, executor: Executor, *, batch_events: int = REPLAY_BATCH) -> None:
        self._executor = executor
        self._batch_events_max = batch_events
        self._batch: list[tuple[str, list[bytes]]] = []
        self._batch_events = 0
        self._keep_states = True
        self._futures: list[Future[list[tuple[str, ReplayResult]]]] = []

    def submit(self, stream_id: str, events: list[bytes], keep_state: bool) -> None:
        if self._batch and keep_state != self._keep_states:
            self._flush()
        self._keep_states = keep_state
        self._batch.append((stream_id, events))
        self._batch_events += len(events)
        if self._batch_events >= self._batch_events_max:
            self._flush()

    def collect(self) -> list[tuple[str, ReplayResult]]:
        self._flush()
        futures, self._futures = self._futures, []
        return [item for future in futures for item in future.result()]

    def _flush(self) -> None:
        if self._batch:
            self._futures.append(self._executor.submit(replay_streams, self._batch,
                                                       self._keep_states))
        self._batch, self._batch_events = [], 0
