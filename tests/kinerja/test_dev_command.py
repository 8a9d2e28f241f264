"""``kinerja dev`` end to end, in a process of its own: embedded PostgreSQL in a fresh data
directory, the Temporal development server, the worker, the API and the demo; Ctrl-C
(SIGINT) stops what it started; a second start on the same data finds the demo again,
and SIGTERM stops it as cleanly."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil
import pytest

from tests.polling import poll

from .helpers import free_ports, gone, port_answers, port_bindable, processes_mentioning

START_WITHIN = 90.0
STOP_WITHIN = 60.0
DEMO_ROLES = {"employee", "appraiser", "superior", "hr", "inspector"}
TOKEN_LINE = re.compile(r"^  (\w+)\s+(eyJ[\w-]+\.[\w-]+\.[\w-]+)\s*$")
JWT = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]+")


class Lines:
    """A process's stdout, read by a thread so that every wait on it has a bound."""

    def __init__(self, stream: object) -> None:
        self.seen: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._closed = False
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream: object) -> None:
        for line in stream:  # type: ignore[attr-defined]
            self._queue.put(line)
        self._queue.put(None)

    def text(self) -> str:
        return "".join(self.seen)

    def until(self, marker: str, deadline: float) -> None:
        """Read until a line containing ``marker``; fail at ``deadline`` or at the end."""
        while not any(marker in line for line in self.seen):
            assert not self._closed, f"output ended before {marker!r}:\n{self.text()}"
            try:
                line = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no {marker!r} in time:\n{self.text()}") from None
            if line is None:
                self._closed = True
            else:
                self.seen.append(line)

    def rest(self, deadline: float) -> str:
        """Everything up to the end of the output (fails at ``deadline``)."""
        while not self._closed:
            try:
                line = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"the output did not end:\n{self.text()}") from None
            if line is None:
                self._closed = True
            else:
                self.seen.append(line)
        return self.text()


@dataclass
class Running:
    process: subprocess.Popen[str]
    out: Lines
    stderr_file: Path
    api: str
    tokens: dict[str, str] = field(default_factory=dict)
    appraisal: str = ""

    def stderr(self) -> str:
        return self.stderr_file.read_text()


@contextmanager
def kinerja_dev(env: dict[str, str], api_port: int, stderr_file: Path) -> Iterator[Running]:
    """``kinerja dev`` started and up (the demo printed); killed if a test leaves it running."""
    kinerja = Path(sys.executable).parent / "kinerja"
    with stderr_file.open("w") as err:
        process = subprocess.Popen([str(kinerja), "dev"], env=env, stdout=subprocess.PIPE,
                                   stderr=err, stdin=subprocess.DEVNULL, text=True,
                                   start_new_session=True)
    try:
        out = Lines(process.stdout)
        deadline = time.monotonic() + START_WITHIN
        try:
            out.until("Kinerja is running", deadline)
            out.until("Try:", deadline)  # the tokens come between the two
        except AssertionError as failed:
            raise AssertionError(f"{failed}\nexit code: {process.poll()}\nstderr:\n"
                                 f"{stderr_file.read_text()[-4000:]}") from None
        running = Running(process=process, out=out, stderr_file=stderr_file,
                          api=f"http://127.0.0.1:{api_port}")
        after = out.seen[next(i for i, line in enumerate(out.seen)
                              if "Kinerja is running" in line):]
        running.tokens = {m[1]: m[2] for line in after if (m := TOKEN_LINE.match(line))}
        appraisal = re.search(r"Demo appraisal\s+(\S+)", out.text())
        assert appraisal is not None, out.text()
        running.appraisal = appraisal[1]
        yield running
    finally:
        if process.poll() is None:  # a failed test: do not leave the stack behind
            process.send_signal(signal.SIGINT)
            try:
                process.wait(STOP_WITHIN)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _stop(running: Running, signum: int = signal.SIGINT, *, group: bool = False) -> str:
    """SIGINT or SIGTERM to the command alone, or (``group``) to its whole process group as
    a terminal's Ctrl-C is; its remaining output."""
    if group:
        os.killpg(running.process.pid, signum)
    else:
        running.process.send_signal(signum)
    deadline = time.monotonic() + STOP_WITHIN
    try:
        running.process.wait(STOP_WITHIN)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"kinerja dev did not stop within {STOP_WITHIN:.0f}s of "
                             f"signal {signum}:\n{running.stderr()}") from None
    return running.out.rest(deadline)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    """The test's data directory; whatever still runs on it at the end (a failed test) is
    stopped, after the test had its chance to see it."""
    data_dir = tmp_path / "data"
    yield data_dir
    leftovers = processes_mentioning(str(data_dir.resolve()))
    for process in leftovers:
        process.terminate()
    psutil.wait_procs(leftovers, timeout=15)


def test_kinerja_dev_serves_the_demo_and_ctrl_c_stops_what_it_started(
        tmp_path: Path, data_dir: Path) -> None:
    api_port, temporal_port, ui_port = free_ports(3)
    env = {key: value for key, value in os.environ.items() if not key.startswith("KINERJA_")}
    env.update({"KINERJA_DATA_DIR": str(data_dir), "KINERJA_API_PORT": str(api_port),
                "KINERJA_TEMPORAL_PORT": str(temporal_port),
                "KINERJA_TEMPORAL_UI_PORT": str(ui_port), "KINERJA_LOG_FORMAT": "json",
                # Wide enough that rich crops none of the panel's values (a pipe is 80 wide).
                "COLUMNS": "250"})

    with kinerja_dev(env, api_port, tmp_path / "first.err") as first:
        output = first.out.text()
        assert f"http://127.0.0.1:{api_port}/docs" in output
        assert f"http://127.0.0.1:{ui_port}" in output
        assert f"127.0.0.1:{temporal_port}" in output
        assert str(data_dir.resolve()) in output
        assert re.search(r"PostgreSQL\s+postgresql://", output), output
        assert set(first.tokens) == DEMO_ROLES, output

        mine = httpx.get(f"{first.api}/v1/me/appraisals",
                         headers=_bearer(first.tokens["employee"]), timeout=10)
        assert mine.status_code == 200, mine.text
        [appraisal] = mine.json()
        assert appraisal["id"] == first.appraisal
        assert appraisal["parties"]["employee"] == "e-0001"
        assert appraisal["phase"] == "target_setting"
        # The appraiser has no appraisal of their own; without a token there is nothing.
        theirs = httpx.get(f"{first.api}/v1/me/appraisals",
                           headers=_bearer(first.tokens["appraiser"]), timeout=10)
        assert theirs.status_code == 200 and theirs.json() == []
        assert httpx.get(f"{first.api}/v1/me/appraisals", timeout=10).status_code == 401

        schema = httpx.get(f"{first.api}/openapi.json", timeout=10)
        assert schema.status_code == 200
        assert "/v1/appraisals/{appraisal_id}/targets" in schema.json()["paths"]

        # What it started: a Temporal server (its child) and PostgreSQL on this data dir.
        children = psutil.Process(first.process.pid).children(recursive=True)
        temporal = [p for p in children if p.cmdline()[1:3] == ["server", "start-dev"]]
        assert len(temporal) == 1, [p.cmdline() for p in children]
        postgres = processes_mentioning(str(data_dir.resolve() / "postgres"))
        assert postgres, "no PostgreSQL runs on the data directory"

        # Ctrl-C in a terminal: SIGINT to the foreground process group. The Temporal server
        # is not in it: kinerja stops the API and the worker first, then the server, so the
        # SDK has no failed call to warn about.
        rest = _stop(first, group=True)
        assert first.process.returncode == 0, first.stderr()
        assert "stopped" in rest
        assert "temporalio_sdk_core" not in first.out.text() + first.stderr(), rest

    poll(lambda: gone(temporal), "the Temporal server exits", within=15)
    poll(lambda: gone(postgres), "PostgreSQL of the data directory exits", within=15)
    assert processes_mentioning(str(data_dir.resolve())) == []
    poll(lambda: port_bindable(temporal_port), f"Temporal's port {temporal_port} frees", within=15)
    assert not port_answers(api_port) and not port_answers(ui_port)
    # KINERJA_LOG_FORMAT=json: every line on stderr is a JSON log record.
    records = [json.loads(line) for line in first.stderr().splitlines() if line.strip()]
    assert records and all({"event", "level", "timestamp"} <= set(r) for r in records)
    assert not any(JWT.search(line) for line in first.stderr().splitlines())

    # A second start on the same data: the same database and Temporal history, the demo
    # appraisal found open rather than opened twice. This time SIGTERM, as a service
    # manager or a container runtime stops it.
    with kinerja_dev(env, api_port, tmp_path / "second.err") as second:
        assert second.appraisal == first.appraisal
        again = httpx.get(f"{second.api}/v1/me/appraisals",
                          headers=_bearer(second.tokens["employee"]), timeout=10)
        assert again.status_code == 200, again.text
        [same] = again.json()
        assert (same["id"], same["version"]) == (appraisal["id"], appraisal["version"])
        rest = _stop(second, signal.SIGTERM)
        assert second.process.returncode == 0, second.stderr()
        assert "stopped" in rest
    poll(lambda: processes_mentioning(str(data_dir.resolve())) == [],
         "nothing of the data directory runs after the second stop",
         within=15)


def _dev_process(env: dict[str, str], stderr_file: Path) -> subprocess.Popen[str]:
    kinerja = Path(sys.executable).parent / "kinerja"
    with stderr_file.open("w") as err:
        return subprocess.Popen([str(kinerja), "dev"], env=env, stdout=subprocess.PIPE,
                                stderr=err, stdin=subprocess.DEVNULL, text=True,
                                start_new_session=True)


def _dev_env(data_dir: Path, **extra: str) -> dict[str, str]:
    api_port, temporal_port, ui_port = free_ports(3)
    env = {key: value for key, value in os.environ.items() if not key.startswith("KINERJA_")}
    env.update({"KINERJA_DATA_DIR": str(data_dir), "KINERJA_API_PORT": str(api_port),
                "KINERJA_TEMPORAL_PORT": str(temporal_port),
                "KINERJA_TEMPORAL_UI_PORT": str(ui_port), "KINERJA_LOG_FORMAT": "json",
                "COLUMNS": "250", **extra})
    return env


def test_ctrl_c_while_starting_stops_what_was_already_started(
        tmp_path: Path, data_dir: Path) -> None:
    stderr_file = tmp_path / "dev.err"
    process = _dev_process(_dev_env(data_dir), stderr_file)
    try:
        # The Temporal server is spawned; the embedded PostgreSQL is being initialised.
        poll(lambda: "temporal server starting" in stderr_file.read_text(),
             "kinerja dev spawns the Temporal server",
             within=START_WITHIN)
        os.killpg(process.pid, signal.SIGINT)
        out, _ = process.communicate(timeout=STOP_WITHIN)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode == 130, (out, stderr_file.read_text())
    assert "interrupted while starting" in out
    assert "Kinerja is running" not in out
    poll(lambda: processes_mentioning(str(data_dir.resolve())) == [],
         "nothing of the data directory runs after an interrupted start",
         within=15)


def test_a_killed_kinerja_dev_leaves_no_temporal_server_behind(
        tmp_path: Path, data_dir: Path, empty_database: str) -> None:
    process = _dev_process(_dev_env(data_dir, KINERJA_DATABASE_URL=empty_database),
                           tmp_path / "dev.err")
    try:
        def temporal_children() -> list[psutil.Process]:
            return [p for p in psutil.Process(process.pid).children()
                    if p.cmdline()[1:3] == ["server", "start-dev"]]

        poll(lambda: bool(temporal_children()), "kinerja dev spawns the Temporal server",
             within=START_WITHIN)
        temporal = temporal_children()
        process.kill()  # SIGKILL: no ``finally`` runs in kinerja
        process.wait(STOP_WITHIN)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    poll(lambda: gone(temporal), "the orphaned Temporal server exits", within=15)
