"""The one bounded poll of the tests: ask again until an answer is good, for a bounded time.

``poll`` (sync) and ``poll_async`` call ``probe`` until ``until(answer)`` holds (by
default: the answer is truthy) and return that answer. After ``within`` seconds the
test fails with an ``AssertionError`` that names what was awaited, how long, how many
times it was asked and the last answer (or the last error of ``ignoring``).
``poll_async`` takes a sync or an async probe and never blocks the event loop; an async
probe still under way at the deadline may answer for at most ``within`` more seconds, so
a probe that hangs fails the test too. An answer that arrives after the deadline counts.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")


def _truthy(answer: object) -> bool:
    return bool(answer)


def _failure(what: str, within: float, asked: int, last: object,
             error: BaseException | None, note: str = "") -> AssertionError:
    seen = f"last error {error!r}" if error is not None else f"last answer {last!r}"
    seen = f"{note}; {seen}" if note else seen
    if len(seen) > 300:
        seen = seen[:300] + "..."
    return AssertionError(f"not within {within:g}s: {what} (asked {asked} times; {seen})")


def poll(probe: Callable[[], T], what: str, within: float, *,
         until: Callable[[T], object] = _truthy, every: float = 0.05,
         ignoring: tuple[type[BaseException], ...] = ()) -> T:
    """``probe()`` once ``until`` holds for it; fails the test after ``within`` seconds."""
    deadline = time.monotonic() + within
    asked, last, error = 0, None, None
    while True:
        asked += 1
        try:
            answer = probe()
        except ignoring as caught:
            error = caught
        else:
            last, error = answer, None
            if until(answer):
                return answer
        if time.monotonic() > deadline:
            raise _failure(what, within, asked, last, error) from error
        time.sleep(every)


async def poll_async(probe: Callable[[], T | Awaitable[T]], what: str, within: float, *,
                     until: Callable[[T], object] = _truthy, every: float = 0.05,
                     ignoring: tuple[type[BaseException], ...] = ()) -> T:
    """``poll`` for async tests: ``probe`` may be sync or async; the loop keeps running."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    asked: int = 0
    last: Any = None
    error: BaseException | None = None
    while True:
        asked += 1
        try:
            answer = probe()
            if inspect.isawaitable(answer):
                # A probe under way at the deadline may still answer (and its answer
                # counts), for at most ``within`` more: a probe that hangs ends the poll.
                bound = asyncio.timeout(deadline + within - loop.time())
                try:
                    async with bound:
                        answer = await answer
                except TimeoutError:
                    if not bound.expired():
                        raise
                    raise _failure(what, within, asked, last, error,
                                   "the last probe did not answer") from None
        except ignoring as caught:
            error = caught
        else:
            last, error = answer, None
            if until(answer):  # type: ignore[arg-type]
                return answer  # type: ignore[return-value]
        if loop.time() > deadline:
            raise _failure(what, within, asked, last, error) from error
        await asyncio.sleep(every)
