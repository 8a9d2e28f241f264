"""Prometheus metrics of Kinerja: what each process counts, and the gauges read from
PostgreSQL when scraped (sealer lag, cycle progress).

Process metrics live in prometheus-client's default registry (with its process and
platform collectors). The database gauges are a collector per pool
(:class:`DatabaseCollector`), refreshed asynchronously by the ``/metrics`` handler
before it renders (at most once every ``refresh_seconds``, so a scrape from each of
several replicas costs a few queries, not a scan each), and rendered from that snapshot.

Names (the Grafana dashboard in ``deploy/`` uses these; ``tests/deploy`` checks it):

- ``kinerja_http_requests_total{method,route,status}``,
  ``kinerja_http_request_duration_seconds{method,route}``: the API, by route template
- ``kinerja_commands_total{kind,outcome}``, ``kinerja_command_duration_seconds{kind}``:
  commands sent to workflows (``api.gateway``)
- ``kinerja_sealer_unsealed_events``, ``kinerja_sealer_oldest_unsealed_age_seconds``,
  ``kinerja_sealer_tree_size``, ``kinerja_sealer_last_checkpoint_age_seconds``
- ``kinerja_cycle_members{agency,cycle}``, ``kinerja_cycle_appraisals{agency,cycle,phase}``,
  ``kinerja_cycle_overdue_appraisals{agency,cycle}``, ``kinerja_cycles{agency,status}``
- ``kinerja_database_scrape_errors_total``: refreshes that failed (the gauges then keep
  their last values)
"""

from __future__ import annotations

import functools
import inspect
import math
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import ParamSpec, TypeVar

import asyncpg
import structlog
from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from store.telemetry import Gauges, read_gauges

log = structlog.get_logger("telemetry.metrics")

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

HTTP_REQUESTS = Counter(
    "kinerja_http_requests", "HTTP requests answered, by route template and status",
    ["method", "route", "status"])
HTTP_DURATION = Histogram(
    "kinerja_http_request_duration_seconds", "Time to answer an HTTP request",
    ["method", "route"], buckets=LATENCY_BUCKETS)
COMMANDS = Counter(
    "kinerja_commands", "Commands sent to workflows, by kind and outcome", ["kind", "outcome"])
COMMAND_DURATION = Histogram(
    "kinerja_command_duration_seconds", "Time from sending a command to its answer",
    ["kind"], buckets=LATENCY_BUCKETS)
REMINDERS = Counter(
    "kinerja_reminders", "Reminders handled by the reminder activity, by outcome "
    "(sent, failed: refused for good, retry: tried again later, skipped: another holds it)",
    ["outcome"])
DATABASE_SCRAPE_ERRORS = Counter(
    "kinerja_database_scrape_errors", "Refreshes of the database gauges that failed")

_OUTCOMES = {400: "invalid", 403: "forbidden", 404: "not_found", 409: "refused",
             422: "invalid", 503: "unavailable"}

P = ParamSpec("P")
R = TypeVar("R")


_NAMED_OUTCOMES = {"CommandRefused": None, "NotFound": "not_found", "Forbidden": "forbidden",
                   "Invalid": "invalid", "Conflict": "refused", "Unavailable": "unavailable"}
_REFUSAL_OUTCOMES = {"forbidden": "forbidden", "phase": "refused", "invalid": "invalid"}


def outcome_of(error: BaseException | None) -> str:
    """The ``outcome`` label of a command: ok, or what its answer means (a use case's
    answer by its kind, a refusal by its code, anything with a status by the status)."""
    if error is None:
        return "ok"
    name = type(error).__name__
    if name in _NAMED_OUTCOMES:
        named = _NAMED_OUTCOMES[name]
        return named or _REFUSAL_OUTCOMES.get(str(getattr(error, "code", "")), "refused")
    status = getattr(error, "status", None)
    if isinstance(status, int):
        return _OUTCOMES.get(status, "refused" if 400 <= status < 500 else "error")
    return "error"


def counted_command(parameter: str) -> Callable[[Callable[P, Awaitable[R]]],
                                                Callable[P, Awaitable[R]]]:
    """Count and time each call of a use case by the class name of its argument
    ``parameter`` (the command or intent) and its outcome."""

    def decorate(method: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        # Where the argument sits, found once: binding the signature on every call
        # would cost more than the counting.
        position = list(inspect.signature(method).parameters).index(parameter)

        @functools.wraps(method)
        async def counted(*args: P.args, **kwargs: P.kwargs) -> R:
            command = kwargs[parameter] if parameter in kwargs else args[position]
            kind = type(command).__name__
            started = time.perf_counter()
            error: BaseException | None = None
            try:
                return await method(*args, **kwargs)
            except Exception as raised:
                error = raised
                raise
            finally:
                COMMANDS.labels(kind, outcome_of(error)).inc()
                COMMAND_DURATION.labels(kind).observe(time.perf_counter() - started)

        return counted

    return decorate


# ------------------------------------------------------------------ gauges from the database

class DatabaseCollector(Collector):
    """Sealer lag and cycle progress, read from PostgreSQL by :meth:`refresh` and given to
    Prometheus from the last snapshot by :meth:`collect` (which must not block)."""

    def __init__(self, pool: asyncpg.Pool, *, refresh_seconds: float = 15.0,
                 cycles: bool = True, timeout: float = 5.0) -> None:
        self._pool = pool
        self._refresh_seconds = refresh_seconds
        self._cycles = cycles
        self._timeout = timeout
        self._snapshot: list[Metric] = []
        self._refreshed_at: float | None = None

    async def refresh(self, *, force: bool = False) -> None:
        """Read the gauges again unless the snapshot is younger than ``refresh_seconds``;
        a failure is counted and logged, and the previous snapshot stays."""
        now = time.monotonic()
        if not force and self._refreshed_at is not None \
                and now - self._refreshed_at < self._refresh_seconds:
            return
        try:
            self._snapshot = await self._read()
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            DATABASE_SCRAPE_ERRORS.inc()
            log.warning("database gauges not refreshed", error=str(error))
        self._refreshed_at = now

    async def _read(self) -> list[Metric]:
        gauges = await read_gauges(self._pool, statement_timeout=self._timeout,
                                   cycles=self._cycles)
        age = gauges.last_checkpoint_age_seconds
        metrics: list[Metric] = [
            _gauge("kinerja_sealer_unsealed_events",
                   "Committed events not sealed yet", float(gauges.unsealed_events)),
            _gauge("kinerja_sealer_oldest_unsealed_age_seconds",
                   "Age of the oldest unsealed event (0 when none)",
                   gauges.oldest_unsealed_age_seconds),
            _gauge("kinerja_sealer_tree_size", "Sealed events (Merkle tree size)",
                   float(gauges.tree_size)),
            _gauge("kinerja_sealer_last_checkpoint_age_seconds",
                   "Age of the latest signed checkpoint (NaN: none yet)",
                   age if age is not None else math.nan),
        ]
        if self._cycles:
            metrics += _cycle_metrics(gauges)
        return metrics

    def collect(self) -> Iterator[Metric]:
        yield from self._snapshot


def _cycle_metrics(gauges: Gauges) -> list[Metric]:
    cycles = GaugeMetricFamily("kinerja_cycles", "Cycles by agency and status",
                               labels=["agency", "status"])
    for agency, status, n in gauges.cycles:
        cycles.add_metric([agency, status], float(n))
    members = GaugeMetricFamily("kinerja_cycle_members",
                                "Employees in the frozen roster of each running cycle",
                                labels=["agency", "cycle"])
    for agency, cycle, n in gauges.members:
        members.add_metric([agency, cycle], float(n))
    phases = GaugeMetricFamily("kinerja_cycle_appraisals",
                               "Appraisals of each running cycle by phase",
                               labels=["agency", "cycle", "phase"])
    for agency, cycle, phase, n in gauges.phases:
        phases.add_metric([agency, cycle, phase], float(n))
    overdue = GaugeMetricFamily("kinerja_cycle_overdue_appraisals",
                                "Appraisals of each running cycle past their next deadline",
                                labels=["agency", "cycle"])
    for agency, cycle, n in gauges.overdue:
        overdue.add_metric([agency, cycle], float(n))
    return [cycles, members, phases, overdue]


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)

