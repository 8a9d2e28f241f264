"""Survey responses sent at the same time: each is stored once with its event (one
statement each), a form sent twice at the same moment is one response, and a response
the database refuses fails alone, its event not stored either."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import asyncpg

from domain.authorization import Actor, Role
from domain.survey import ELEMENTS, PublicService, SurveyResponse, survey_stream
from services.public import PublicVoiceService
from store.public import PublicStore

AGENCY, UNIT = "pemkot-batch", "disdukcapil"


def _response(answer: int) -> SurveyResponse:
    return SurveyResponse(service="ktp-el", answers=dict.fromkeys(ELEMENTS, answer),
                          age_group="30_39", sex="perempuan", education="sma",
                          occupation="swasta", comment=None)


async def test_responses_at_once_are_each_stored_once_and_a_refused_one_fails_alone(
        app_pool: asyncpg.Pool) -> None:
    await PublicVoiceService(PublicStore(app_pool)).define_unit(
        Actor(subject="e-hr", roles=frozenset({Role.HR}), agencies=frozenset({AGENCY})),
        AGENCY, UNIT, "Disdukcapil", [PublicService(key="ktp-el", name="KTP-el")], 100)
    store = PublicStore(app_pool)
    now = datetime.now(UTC)
    ids = [uuid.uuid4() for _ in range(40)]
    sent = [*enumerate(ids), *enumerate(ids[:5])]  # five forms sent twice, at once
    results = await asyncio.gather(*(
        store.add_response(i, AGENCY, UNIT, "2026-S2", _response(1 + n % 4), now)
        for n, i in sent))
    assert sum(results) == 40 and results.count(False) == 5
    again = await store.add_response(ids[0], AGENCY, UNIT, "2026-S2", _response(2), now)
    assert again is False

    lost = uuid.uuid4()
    unknown = store.add_response(lost, AGENCY, "no-such-unit", "2026-S2",
                                 _response(3), now)  # no such unit: the database refuses it
    others = [store.add_response(uuid.uuid4(), AGENCY, UNIT, "2026-S2", _response(4), now)
              for _ in range(10)]
    outcome = await asyncio.gather(unknown, *others, return_exceptions=True)
    assert isinstance(outcome[0], asyncpg.ForeignKeyViolationError)
    assert outcome[1:] == [True] * 10
    assert await app_pool.fetchval("SELECT count(*) FROM survey_responses") == 50
    answers = await app_pool.fetchval(
        "SELECT sum(u1) FROM survey_responses WHERE response_id = ANY($1::uuid[])", ids)
    assert answers == sum(1 + n % 4 for n in range(40))  # each row its own answers
    assert await app_pool.fetchval(
        "SELECT count(*) FROM events WHERE type = 'survey_responded'") == 50
    assert await app_pool.fetchval("SELECT count(*) FROM events WHERE stream_id = $1",
                                   survey_stream(AGENCY, "no-such-unit", str(lost))) == 0
