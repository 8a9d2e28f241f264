"""store.access_log on a real PostgreSQL: an access stream of 350 reads filtered by
reader, kind, appraisal and time and paged newest first by keyset, the same reads as
filtering the whole stream in Python, each once, with the total; and the service's page
refuses whoever may not read the stream."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.authorization import Actor, Role
from services.errors import Forbidden, NotFound
from services.inspection import AccessEntry, AccessFilter, InspectionService
from store.access_log import AccessLog, AccessQuery
from store.audit import access_stream
from store.event_log import EventLog, NewEvent

AGENCY = "pemkot-akses"
START = datetime(2026, 3, 1, tzinfo=UTC)
READERS = ("e-insp1", "e-insp2", "e-hr01")
KINDS = ("trail", "state", "verify", "roster", "cycle-results")


def _read(n: int) -> NewEvent:
    return NewEvent(
        "appraisal_read" if n % 2 else "list_read",
        {"what": KINDS[n % len(KINDS)],
         **({"appraisal_id": f"appraisal-{n % 7}"} if n % 3 else {})},
        metadata={"actor": READERS[n % len(READERS)], "roles": ["inspector"],
                  "request_id": f"r-{n}"},
        recorded_at=START + timedelta(minutes=n))


@pytest.fixture
async def stream(event_log: EventLog) -> list[AccessEntry]:
    for first in range(0, 350, 50):
        await event_log.append(access_stream(AGENCY), first,
                               [_read(n) for n in range(first, first + 50)])
    return [AccessEntry.of(e) for e in await event_log.read_stream(access_stream(AGENCY))]


QUERIES = [
    AccessQuery(),
    AccessQuery(actor="e-insp2"),
    AccessQuery(what="verify"),
    AccessQuery(appraisal_id="appraisal-3"),
    AccessQuery(actor="e-hr01", what="roster"),
    AccessQuery(since=START + timedelta(minutes=40), until=START + timedelta(minutes=260)),
    AccessQuery(actor="e-insp1", since=START + timedelta(minutes=100)),
    AccessQuery(actor="nobody"),
]


@pytest.mark.parametrize("query", QUERIES, ids=range(len(QUERIES)))
async def test_pages_hold_each_matching_read_once_newest_first(
        event_log: EventLog, stream: list[AccessEntry], query: AccessQuery) -> None:
    matching = AccessFilter(actor=query.actor, what=query.what,
                            appraisal_id=query.appraisal_id, since=query.since,
                            until=query.until)
    expected = [e.version for e in reversed(stream) if matching.matches(e)]
    log = AccessLog(event_log)
    seen: list[int] = []
    before = None
    pages = 0
    while True:
        page = await log.page(access_stream(AGENCY), query, before=before, limit=40)
        assert page.total == len(expected)
        assert len(page.events) <= 40
        seen += [e.version for e in page.events]
        pages += 1
        if page.older is None:
            break
        assert page.older == page.events[-1].version
        before = page.older
    assert seen == expected
    assert pages == max(1, -(-len(expected) // 40))


async def test_the_service_pages_for_inspectors_in_scope_only(
        event_log: EventLog, stream: list[AccessEntry]) -> None:
    from store.appraisals import AppraisalReadModel
    from store.audit import Auditor

    service = InspectionService(AppraisalReadModel(event_log.pool), event_log,
                                Auditor(event_log.pool))
    inspector = Actor(subject="e-insp1", roles=frozenset({Role.INSPECTOR}),
                      agencies=frozenset({AGENCY}))
    entries, total, older = await service.access_page(
        inspector, AGENCY, AccessFilter(what="verify"), limit=30)
    assert total == 70 and len(entries) == 30 and older == entries[-1].version
    assert all(e.what == "verify" for e in entries)
    assert [e.version for e in entries] == sorted((e.version for e in entries), reverse=True)
    elsewhere = Actor(subject="e-insp9", roles=frozenset({Role.INSPECTOR}),
                      agencies=frozenset({"pemkot-lain"}))
    with pytest.raises(NotFound):
        await service.access_page(elsewhere, AGENCY, AccessFilter())
    employee = Actor(subject="e-0001", roles=frozenset({Role.EMPLOYEE}), agency=AGENCY)
    with pytest.raises(Forbidden):
        await service.access_page(employee, AGENCY, AccessFilter())
