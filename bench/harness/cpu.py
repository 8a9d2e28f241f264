"""CPU seconds of the processes a benchmark runs: this one (by thread if asked), each
named process with its descendants, read with psutil."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import psutil

Finder = Callable[[], list[int]]
"""The process ids a name stands for, looked up at each snapshot."""


def command_line_containing(needle: str) -> Finder:
    """The topmost processes whose command line contains ``needle`` (a server started by a
    wrapper is counted once, with its wrapper)."""
    def find() -> list[int]:
        found: dict[int, int] = {}
        for process in psutil.process_iter(["pid", "ppid", "cmdline"]):
            if needle in " ".join(process.info["cmdline"] or ()):
                found[process.info["pid"]] = process.info["ppid"]
        return [pid for pid, parent in found.items() if parent not in found]
    return find


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def thread_kinds() -> Callable[[int], str]:
    """This process's threads by kind: the main thread's event loop, Temporal's workflow
    activation threads, and the others (the SDK's Rust core, executors)."""
    def kind(tid: int) -> str:
        if tid == threading.main_thread().native_id:
            return "event loop thread"
        if any(t.native_id == tid and t.name.startswith("temporal_workflow_")
               for t in threading.enumerate()):
            return "workflow threads"
        return "other threads"
    return kind


@dataclass
class CpuMeter:
    """CPU seconds (user + system) of named processes, each with its descendants that no
    other name claims; this process is ``this process`` (with its children)."""

    this_process: str = "this process"
    by_thread: Callable[[int], str] | None = None
    """Also this process's threads, grouped by this function of the thread id."""
    roots: dict[str, Finder] = field(default_factory=dict)

    def __post_init__(self) -> None:
        me = os.getpid()
        self.roots = {self.this_process: lambda: [me], **self.roots}

    def watch(self, name: str, find: Finder | int) -> None:
        """Count the processes ``find`` returns (or the process id) as ``name``."""
        self.roots[name] = (lambda pid=find: [pid]) if isinstance(find, int) else find

    def snapshot(self) -> dict[str, float]:
        """CPU seconds by name so far; thread keys are ``"  <kind>#<tid>"``."""
        claimed = {pid: name for name, find in self.roots.items() for pid in find()}
        children: dict[int, list[int]] = {}
        for process in psutil.process_iter(["pid", "ppid"]):
            children.setdefault(process.info["ppid"], []).append(process.info["pid"])
        totals = dict.fromkeys(self.roots, 0.0)
        for root, name in claimed.items():
            stack = [root]
            while stack:  # the root and its descendants, down to another name's root
                pid = stack.pop()
                try:
                    totals[name] += _cpu(psutil.Process(pid))
                except psutil.Error:  # ended meanwhile
                    continue
                stack.extend(c for c in children.get(pid, ()) if c not in claimed)
        if self.by_thread is not None:
            for thread in psutil.Process().threads():
                totals[f"  {self.by_thread(thread.id)}#{thread.id}"] = (
                    thread.user_time + thread.system_time)
        return totals

    @staticmethod
    def delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
        """CPU seconds between two snapshots, threads summed by kind (an ended thread drops
        out, as it does from /proc)."""
        used: dict[str, float] = {}
        for key, seconds in after.items():
            name = key.split("#")[0]
            used[name] = used.get(name, 0.0) + seconds - before.get(key, 0.0)
        return used

    @contextmanager
    def measure(self) -> Iterator[dict[str, float]]:
        """A dict filled, on leaving the block, with the CPU seconds used inside it."""
        used: dict[str, float] = {}
        before = self.snapshot()
        try:
            yield used
        finally:
            used.update(self.delta(before, self.snapshot()))
