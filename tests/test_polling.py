"""The bounded poll every test waits with."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from tests.polling import poll, poll_async


def test_poll_returns_the_first_good_answer() -> None:
    counter = itertools.count()
    assert poll(lambda: next(counter), "the third answer", within=5, until=lambda n: n >= 3,
                every=0) == 3


def test_poll_names_what_it_awaited_how_long_and_the_last_answer() -> None:
    with pytest.raises(AssertionError, match=r"not within 0.05s: the moon \(asked \d+ times; "
                                             r"last answer 'cheese'\)"):
        poll(lambda: "cheese", "the moon", within=0.05, until=lambda a: a == "rock",
             every=0.01)


def test_poll_ignores_the_errors_it_is_told_to_until_the_deadline() -> None:
    def refused() -> bool:
        raise ConnectionRefusedError("nobody there")

    with pytest.raises(AssertionError, match="last error ConnectionRefusedError") as caught:
        poll(refused, "a listener", within=0.05, every=0.01, ignoring=(OSError,))
    assert isinstance(caught.value.__cause__, ConnectionRefusedError)
    with pytest.raises(ZeroDivisionError):  # any other error fails at once
        poll(lambda: 1 / 0, "a number", within=5)


async def test_poll_async_takes_sync_and_async_probes() -> None:
    answers = iter([0, 0, 7])

    async def probe() -> int:
        return next(answers)

    assert await poll_async(probe, "a non-zero answer", within=5, every=0) == 7
    assert await poll_async(lambda: "ready", "a sync answer", within=5) == "ready"


async def test_poll_async_bounds_a_probe_that_hangs() -> None:
    async def hangs() -> bool:
        await asyncio.sleep(3600)
        return True

    with pytest.raises(AssertionError, match="the last probe did not answer"):
        await poll_async(hangs, "an answer", within=0.05)
