"""Survey responses sent at the same time are stored together (one INSERT per batch):
each is stored once, a form sent twice (even in the same batch) is one response, and a
response the database refuses fails alone while the others of its batch are stored."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import asyncpg
import pytest

from domain.authorization import Actor, Role
from domain.survey import ELEMENTS, PublicService, SurveyResponse
from services.public import PublicVoiceService
from store.public import PublicStore

AGENCY, UNIT = "pemkot-batch", "disdukcapil"


def _response(answer: int) -> SurveyResponse:
    return SurveyResponse(service="ktp-el", answers=dict.fromkeys(ELEMENTS, answer),
                          age_group="30_39", sex="perempuan", education="sma",
                          occupation="swasta", comment=None)


@pytest.mark.parametrize("batched", [True, False])
async def test_responses_at_once_are_each_stored_once_and_a_refused_one_fails_alone(
        app_pool: asyncpg.Pool, batched: bool) -> None:
    await PublicVoiceService(PublicStore(app_pool)).define_unit(
        Actor(subject="e-hr", roles=frozenset({Role.HR}), agencies=frozenset({AGENCY})),
        AGENCY, UNIT, "Disdukcapil", [PublicService(key="ktp-el", name="KTP-el")], 100)
    store = PublicStore(app_pool, batched=batched)
    now = datetime.now(UTC)
    ids = [uuid.uuid4() for _ in range(40)]
    sent = [*ids, *ids[:5]]  # five forms sent twice, at the same moment
    results = await asyncio.gather(*(
        store.add_response(i, AGENCY, UNIT, "2026-S2", _response(1 + n % 4), now)
        for n, i in enumerate(sent)))
    assert sum(results) == 40 and results.count(False) == 5
    again = await store.add_response(ids[0], AGENCY, UNIT, "2026-S2", _response(2), now)
    assert again is False

    unknown = store.add_response(uuid.uuid4(), AGENCY, "no-such-unit", "2026-S2",
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
