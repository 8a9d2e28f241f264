"""The demo unit serves the public once the demo roster is in: ``make run`` shows its
survey address, and its head (Rina, the roster's leader of diskominfo) may read it."""

from __future__ import annotations

import asyncpg

from kinerja.demo import AGENCY, UNIT, seed_demo_public_unit, seed_demo_roster
from store.public import PublicStore


async def test_the_demo_unit_serves_the_public_and_its_head_is_rina(
        app_pool: asyncpg.Pool) -> None:
    await seed_demo_roster(app_pool)
    await seed_demo_public_unit(app_pool)
    await seed_demo_public_unit(app_pool)  # a second start leaves it as it is
    store = PublicStore(app_pool)
    unit = await store.unit(AGENCY, UNIT)
    assert unit is not None and unit.population == 1200
    assert [s.key for s in unit.services] == ["ppid", "wifi"]
    assert await store.unit_leader(AGENCY, UNIT) == "e-0003"
