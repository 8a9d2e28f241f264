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

log = structlog.get_logger("kinerja.metrics")

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
DATABASE_SCRAPE_ERRORS = Counter(
    "kinerja_database_scrape_errors", "Refreshes of the database gauges that failed")

_OUTCOMES = {400: "invalid", 403: "forbidden", 404: "not_found", 409: "refused",
             422: "invalid", 503: "unavailable"}

P = ParamSpec("P")
R = TypeVar("R")


def outcome_of(error: BaseException | None) -> str:
    """The ``outcome`` label of a command: ok, or what its problem's status means."""
    if error is None:
        return "ok"
    status = getattr(error, "status", None)
    if isinstance(status, int):
        return _OUTCOMES.get(status, "refused" if 400 <= status < 500 else "error")
    return "error"


def counted_command(parameter: str) -> Callable[[Callable[P, Awaitable[R]]],
                                                Callable[P, Awaitable[R]]]:
    """Count and time each call of a gateway method by the class name of its argument
    ``parameter`` (the command or intent) and its outcome."""

    def decorate(method: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        signature = inspect.signature(method)

        @functools.wraps(method)
        async def counted(*args: P.args, **kwargs: P.kwargs) -> R:
            command = signature.bind(*args, **kwargs).arguments.get(parameter)
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

_LAST_SEALED = "SELECT tx_id, stream_id, version FROM seals ORDER BY seq DESC LIMIT 1"
_BACKLOG = """
SELECT count(*) AS n,
       coalesce(greatest(0, extract(epoch FROM now() - min(recorded_at))), 0) AS oldest_age
FROM events
WHERE (tx_id, stream_id, version) > ($1::xid8, $2::text, $3::integer)
"""
_CHECKPOINT = """
SELECT (SELECT count(*) FROM seals) AS tree_size,
       (SELECT extract(epoch FROM now() - max(signed_at)) FROM checkpoints) AS checkpoint_age
"""
_CYCLES = "SELECT agency, status, count(*) AS n FROM cycles GROUP BY agency, status"
_CYCLE_MEMBERS = """
SELECT c.agency, c.cycle_id, count(m.seq) AS n
FROM cycles c LEFT JOIN cycle_members m ON m.cycle_id = c.cycle_id
WHERE c.status <> 'closed' GROUP BY c.agency, c.cycle_id
"""
_CYCLE_PHASES = """
SELECT c.agency, c.cycle_id, s.phase, count(*) AS n
FROM cycles c JOIN appraisal_summaries s ON s.cycle_id = c.cycle_id
WHERE c.status <> 'closed' GROUP BY c.agency, c.cycle_id, s.phase
"""
_CYCLE_OVERDUE = """
SELECT c.agency, c.cycle_id, count(s.appraisal_id) AS n
FROM cycles c LEFT JOIN appraisal_summaries s
  ON s.cycle_id = c.cycle_id AND s.next_deadline_at < now()
WHERE c.status <> 'closed' GROUP BY c.agency, c.cycle_id
"""
"""Only cycles not closed: the labels stay bounded by the running cycles (one per agency
and year), not by history."""


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
        async with self._pool.acquire(timeout=self._timeout) as connection, \
                connection.transaction(isolation="repeatable_read", readonly=True):
            await connection.execute(
                f"SET LOCAL statement_timeout = {int(self._timeout * 1000)}")
            last = await connection.fetchrow(_LAST_SEALED)
            backlog = await connection.fetchrow(
                _BACKLOG, *((last["tx_id"], last["stream_id"], last["version"])
                            if last else (0, "", 0)))
            seal = await connection.fetchrow(_CHECKPOINT)
            metrics: list[Metric] = [
                _gauge("kinerja_sealer_unsealed_events",
                       "Committed events not sealed yet", float(backlog["n"])),
                _gauge("kinerja_sealer_oldest_unsealed_age_seconds",
                       "Age of the oldest unsealed event (0 when none)",
                       float(backlog["oldest_age"])),
                _gauge("kinerja_sealer_tree_size", "Sealed events (Merkle tree size)",
                       float(seal["tree_size"])),
            ]
            age = seal["checkpoint_age"]
            metrics.append(_gauge("kinerja_sealer_last_checkpoint_age_seconds",
                                  "Age of the latest signed checkpoint (NaN: none yet)",
                                  float(age) if age is not None else math.nan))
            if self._cycles:
                metrics += await _cycle_metrics(connection)
        return metrics

    def collect(self) -> Iterator[Metric]:
        yield from self._snapshot


async def _cycle_metrics(connection: asyncpg.Connection) -> list[Metric]:
    cycles = GaugeMetricFamily("kinerja_cycles", "Cycles by agency and status",
                               labels=["agency", "status"])
    for row in await connection.fetch(_CYCLES):
        cycles.add_metric([row["agency"], row["status"]], float(row["n"]))
    members = GaugeMetricFamily("kinerja_cycle_members",
                                "Employees in the frozen roster of each running cycle",
                                labels=["agency", "cycle"])
    for row in await connection.fetch(_CYCLE_MEMBERS):
        members.add_metric([row["agency"], row["cycle_id"]], float(row["n"]))
    phases = GaugeMetricFamily("kinerja_cycle_appraisals",
                               "Appraisals of each running cycle by phase",
                               labels=["agency", "cycle", "phase"])
    for row in await connection.fetch(_CYCLE_PHASES):
        phases.add_metric([row["agency"], row["cycle_id"], row["phase"]], float(row["n"]))
    overdue = GaugeMetricFamily("kinerja_cycle_overdue_appraisals",
                                "Appraisals of each running cycle past their next deadline",
                                labels=["agency", "cycle"])
    for row in await connection.fetch(_CYCLE_OVERDUE):
        overdue.add_metric([row["agency"], row["cycle_id"]], float(row["n"]))
    return [cycles, members, phases, overdue]


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)

