"""Replays in a bundle check: inline or on an executor, the same results and the same first
failure (a replay that fails earlier in the bundle is reported before a later check)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

import kinerja.audit
from bench.harness.builders import EMPLOYEE, HR, Run, open_command
from domain.appraisal import SubmitTargets, event_data
from domain.bundle import verify_bundle
from domain.replay import TrailEntry, replay
from kinerja.audit import verify_bundle_file
from kinerja.bundle_replay import ExecutorReplays
from tests.audit.bundles import MOMENT, Trail, build_bundle


def appraisal_trail() -> Trail:
    """(type, data) of a real appraisal's first events, as the domain makes them."""
    from bench.harness.builders import sample_skp
    from domain.appraisal import DraftTargets

    run = Run()
    run.do(open_command(), HR)
    run.do(DraftTargets(skp=sample_skp()), EMPLOYEE)
    run.do(SubmitTargets(), EMPLOYEE)
    return [(event.type, event_data(event)) for event in run.events]


def bundle(streams: dict[str, Trail]) -> list[str]:
    """A format-2 bundle of ``streams``, every event sealed."""
    return build_bundle(streams, fmt=2)


def broken_data(trail: Trail, index: int) -> Trail:
    """The trail with event ``index`` (0-based) given data its type cannot take."""
    changed = list(trail)
    changed[index] = (trail[index][0], {"no_such_field": 1})
    return changed


def with_changed_canonical(lines: list[str], stream: str, version: int) -> list[str]:
    """The bundle with one event's canonical bytes changed in place (its hash now wrong)."""
    changed = [line.replace('"metadata":{}', '"metadata":{"x":1}')
               if f'"stream_id":"{stream}"' in line and f',"version":{version}}}}}' in line
               else line for line in lines]
    assert changed != lines
    return changed


@pytest.fixture(params=["inline", "executor"])
def run_check(request: pytest.FixtureRequest) -> Iterator[Callable[[list[str]], Any]]:
    if request.param == "inline":
        yield lambda lines: verify_bundle(lines)
        return
    with ThreadPoolExecutor(2) as executor:
        yield lambda lines: verify_bundle(lines, scheduler=ExecutorReplays(executor))


TRAIL = appraisal_trail()


def test_every_appraisal_stream_replays_to_its_state(run_check: Callable[..., Any]) -> None:
    streams = {f"appraisal-{n}": TRAIL for n in range(5)}
    streams["access-x"] = [("InspectorRead", {"what": "trail"})]
    report = run_check(bundle(streams))
    assert report.ok, report.failure
    assert set(report.final_states) == {f"appraisal-{n}" for n in range(5)}
    expected = replay(TrailEntry(v, t, d, MOMENT) for v, (t, d) in enumerate(TRAIL, start=1))
    for replayed in report.final_states.values():
        assert (replayed.version, replayed.phase) == (3, expected.phase.value)
        assert replayed.state() == expected


def test_a_replay_failure_in_an_earlier_stream_comes_first(run_check: Callable[..., Any]
                                                           ) -> None:
    lines = bundle({"appraisal-a": TRAIL, "appraisal-b": broken_data(TRAIL, 1),
                    "appraisal-c": TRAIL})
    assert str(run_check(lines).failure).startswith(
        "stream appraisal-b, version 2: replay failed")
    later_damage = with_changed_canonical(lines, "appraisal-c", 1)
    assert str(run_check(later_damage).failure).startswith(
        "stream appraisal-b, version 2: replay failed")
    earlier_damage = with_changed_canonical(lines, "appraisal-a", 3)
    assert str(run_check(earlier_damage).failure) == (
        "stream appraisal-a, version 3: hash is not sha256(prev_hash || canonical)")


def test_within_a_stream_the_earlier_version_fails_first(run_check: Callable[..., Any]) -> None:
    lines = bundle({"appraisal-a": TRAIL, "appraisal-b": broken_data(TRAIL, 0)})
    damaged = with_changed_canonical(lines, "appraisal-b", 3)
    assert str(run_check(damaged).failure).startswith(
        "stream appraisal-b, version 1: replay failed")
    lines = bundle({"appraisal-a": TRAIL, "appraisal-b": broken_data(TRAIL, 2)})
    damaged = with_changed_canonical(lines, "appraisal-b", 2)
    assert str(run_check(damaged).failure).startswith("stream appraisal-b, version 2: hash is not")


def test_a_large_bundle_file_replays_in_worker_processes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[ProcessPoolExecutor] = []

    class Recording(ProcessPoolExecutor):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            started.append(self)

    monkeypatch.setattr(kinerja.audit, "PARALLEL_REPLAY_BYTES", 0)
    monkeypatch.setattr(kinerja.audit, "ProcessPoolExecutor", Recording)
    path = tmp_path / "bundle.jsonl"
    path.write_text("".join(line + "\n" for line in bundle(
        {"appraisal-a": TRAIL, "appraisal-b": broken_data(TRAIL, 1)})), encoding="utf-8")
    report, failure = verify_bundle_file(path)
    assert started, "no worker processes were started"
    assert str(failure).startswith("stream appraisal-b, version 2: replay failed")
    assert set(report.final_states) == {"appraisal-a"}


def test_kinerja_verify_counts_many_appraisals_and_lists_them_on_request(tmp_path: Path
                                                                          ) -> None:
    from typer.testing import CliRunner

    from kinerja.cli import LISTED_APPRAISALS, app

    path = tmp_path / "bundle.jsonl"
    many = LISTED_APPRAISALS + 5
    lines = bundle({f"appraisal-{n:03d}": TRAIL for n in range(many)})
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    counted = CliRunner().invoke(app, ["verify", str(path)], catch_exceptions=False)
    assert counted.exit_code == 0, counted.output
    output = " ".join(counted.output.split())
    assert f"{many} appraisals replayed; by phase: target_setting {many}" in output
    assert "appraisal-000:" not in output
    listed = CliRunner().invoke(app, ["verify", str(path), "--list"], catch_exceptions=False)
    assert listed.exit_code == 0, listed.output
    lines = [line for line in listed.output.splitlines() if line.startswith("  appraisal-")]
    assert len(lines) == many
    assert "appraisal-000: version 3, phase target_setting" in lines[0]
