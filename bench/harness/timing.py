"""Timing: a function timed over repeats with its spread, stopwatches, percentiles."""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass
class Timing:
    """The seconds of each repeat of one piece of work (the warm-ups left out)."""

    seconds: list[float] = field(default_factory=list)
    result: Any = None
    """What the last repeat returned."""

    @property
    def min(self) -> float:
        return min(self.seconds)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def max(self) -> float:
        return max(self.seconds)

    @property
    def spread(self) -> float:
        """(max - min) / median: how much the repeats disagree."""
        return (self.max - self.min) / self.median if self.median else 0.0

    def rate(self, items: float) -> float:
        """``items`` per second at the median repeat."""
        return items / self.median

    def describe(self) -> str:
        return (f"min {self.min * 1000:.2f} ms, median {self.median * 1000:.2f} ms, "
                f"max {self.max * 1000:.2f} ms ({len(self.seconds)} repeats, "
                f"spread {self.spread:.0%})")


def timed(work: Callable[[], T]) -> tuple[T, float]:
    """``work()`` and the seconds it took."""
    started = time.perf_counter()
    result = work()
    return result, time.perf_counter() - started


async def atimed(work: Callable[[], Awaitable[T]]) -> tuple[T, float]:
    """``await work()`` and the seconds it took."""
    started = time.perf_counter()
    result = await work()
    return result, time.perf_counter() - started


def repeat(work: Callable[[], Any], repeats: int = 3, warmups: int = 1) -> Timing:
    """``work`` run ``warmups`` times untimed, then ``repeats`` times timed."""
    if repeats < 1:
        raise ValueError("at least one repeat")
    for _ in range(warmups):
        work()
    timing = Timing()
    for _ in range(repeats):
        timing.result, seconds = timed(work)
        timing.seconds.append(seconds)
    return timing


async def arepeat(work: Callable[[], Awaitable[Any]], repeats: int = 3,
                  warmups: int = 1) -> Timing:
    """``repeat`` for async work."""
    if repeats < 1:
        raise ValueError("at least one repeat")
    for _ in range(warmups):
        await work()
    timing = Timing()
    for _ in range(repeats):
        timing.result, seconds = await atimed(work)
        timing.seconds.append(seconds)
    return timing


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0-100) of ``values``, linearly interpolated; NaN if empty."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
