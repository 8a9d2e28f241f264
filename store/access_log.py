"""An agency's access stream (``access-<agency>``) read a page at a time, filtered in
PostgreSQL: by reader, kind of read, appraisal and time, newest first, with keyset paging
on the stream's version (``before``: the oldest version of the page already shown). The
filters read the event's canonical JSON (``metadata.actor``, ``data.what``,
``data.appraisal_id``) and the ``recorded_at`` column; only the page's rows leave the
database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from store.event_log import EventLog, RecordedEvent, _decode

__all__ = ["AccessLog", "AccessPage", "AccessQuery"]


@dataclass(frozen=True)
class AccessQuery:
    """Which recorded reads (None: any)."""

    actor: str | None = None
    what: str | None = None
    appraisal_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class AccessPage:
    """One page of matching reads, newest first; ``total`` of all matching; ``older``: the
    ``before`` of the next page (None on the last)."""

    events: list[RecordedEvent]
    total: int
    older: int | None


_MATCHING = """
FROM events
CROSS JOIN LATERAL (SELECT convert_from(canonical, 'UTF8')::jsonb AS doc) d
WHERE stream_id = $1
  AND ($2::timestamptz IS NULL OR recorded_at >= $2)
  AND ($3::timestamptz IS NULL OR recorded_at <= $3)
  AND ($4::text IS NULL OR d.doc #>> '{metadata,actor}' = $4)
  AND ($5::text IS NULL OR d.doc #>> '{data,what}' = $5)
  AND ($6::text IS NULL OR d.doc #>> '{data,appraisal_id}' = $6)
"""
_PAGE = f"""
SELECT canonical, prev_hash, hash, tx_id {_MATCHING}
  AND ($7::integer IS NULL OR version < $7)
ORDER BY version DESC
LIMIT $8
"""
_COUNT = f"SELECT count(*) {_MATCHING}"


class AccessLog:
    """Pages of access streams over the event log's pool."""

    def __init__(self, event_log: EventLog) -> None:
        self._pool = event_log.pool

    async def page(self, stream_id: str, query: AccessQuery, *, before: int | None = None,
                   limit: int = 100) -> AccessPage:
        """The newest ``limit`` reads of ``stream_id`` matching ``query`` older than the
        version ``before``, and how many match in all."""
        args = (stream_id, query.since, query.until, query.actor, query.what,
                query.appraisal_id)
        async with self._pool.acquire() as connection, connection.transaction(
                isolation="repeatable_read", readonly=True):
            rows = await connection.fetch(_PAGE, *args, before, limit + 1)
            total = int(await connection.fetchval(_COUNT, *args))
        events = [_decode(*row) for row in rows[:limit]]
        older = events[-1].version if len(rows) > limit else None
        return AccessPage(events=events, total=total, older=older)
