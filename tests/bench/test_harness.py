"""The benchmarks' harness: its timer and JSON writer, and every benchmark's ``--help``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.harness import Figure, Timing, percentile, repeat, write_json
from bench.harness.servers import ROOT

BENCHES = sorted(p.stem for p in (ROOT / "bench").glob("*.py") if p.stem != "__init__")


def test_the_timer_repeats_after_warming_up_and_gives_the_spread() -> None:
    calls: list[int] = []

    def work() -> int:
        calls.append(1)
        return sum(range(1000))

    timing = repeat(work, repeats=5, warmups=2)
    assert len(calls) == 7 and len(timing.seconds) == 5
    assert timing.result == sum(range(1000))
    assert 0 < timing.min <= timing.median <= timing.max
    assert timing.spread == (timing.max - timing.min) / timing.median
    assert timing.rate(1000) == 1000 / timing.median
    assert Timing([1.0, 3.0, 2.0]).median == 2.0
    assert "3 repeats" in Timing([1.0, 3.0, 2.0]).describe()
    with pytest.raises(ValueError):
        repeat(work, repeats=0)


def test_percentiles_are_interpolated() -> None:
    assert percentile([4.0, 1.0, 3.0, 2.0], 50) == 2.5
    assert percentile([1.0, 2.0], 100) == 2.0
    assert percentile([], 50) != percentile([], 50)  # NaN


def test_the_json_writer_computes_each_ratio_against_its_baseline(tmp_path: Path) -> None:
    timing = repeat(lambda: sum(range(100)), repeats=3, warmups=0)
    figures = [
        Figure("sum, 100 items", timing.rate(100), "items/s", baseline=timing.rate(100) / 2),
        Figure("alone", 7.0, "ms"),
        Figure("baseline zero", 7.0, "ms", baseline=0.0),
    ]
    path = tmp_path / "out.json"
    write_json(path, figures)
    written = json.loads(path.read_text(encoding="utf-8"))
    assert [set(f) for f in written] == [{"name", "value", "unit", "baseline", "ratio"}] * 3
    assert written[0]["ratio"] == 2.0
    assert written[0]["value"] == round(timing.rate(100), 3)
    assert (written[1]["baseline"], written[1]["ratio"]) == (None, None)
    assert written[2]["ratio"] is None
    write_json(None, figures)  # no --json: nothing written, no error


def test_the_benchmarks_are_found() -> None:
    assert BENCHES == ["audit", "cycle", "documents", "event_log", "evidence", "exports",
                       "lifecycle", "monitoring", "notifications", "public", "roster", "web"]


@pytest.mark.parametrize("bench", BENCHES)
def test_every_benchmark_answers_help(bench: str, tmp_path: Path) -> None:
    # From elsewhere than the project's directory: the installed package, no sys.path edit.
    done = subprocess.run([sys.executable, "-m", f"bench.{bench}", "--help"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "--json" in done.stdout
