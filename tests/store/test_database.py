"""The application's pools: the role they act as, and what release resets."""

from __future__ import annotations

from store.database import create_pool


async def test_app_role_survives_reset_and_pool_reuse(database_dsn: str) -> None:
    pool = await create_pool(database_dsn, min_size=1, max_size=1)
    try:
        async with pool.acquire() as connection:
            await connection.execute("RESET ROLE")
            assert await connection.fetchval("SELECT current_user") == "kinerja_app"
            await connection.execute("RESET ALL")
            assert await connection.fetchval("SELECT current_user") == "kinerja_app"
        async with pool.acquire() as connection:  # the same connection, after the pool's reset
            assert await connection.fetchval("SELECT current_user") == "kinerja_app"
    finally:
        await pool.close()


async def test_a_pool_without_role_acts_as_the_login_user(database_dsn: str) -> None:
    pool = await create_pool(database_dsn, role=None, min_size=1, max_size=1)
    try:
        assert await pool.fetchval("SELECT current_user = session_user")
    finally:
        await pool.close()


async def test_release_rolls_back_an_open_transaction(database_dsn: str) -> None:
    pool = await create_pool(database_dsn, role=None, min_size=1, max_size=1)
    try:
        connection = await pool.acquire()
        await connection.execute("CREATE TABLE scratch (x int)")
        await connection.execute("BEGIN; INSERT INTO scratch VALUES (1)")
        await pool.release(connection)
        async with pool.acquire() as again:
            assert not again.is_in_transaction()
            assert await again.fetchval("SELECT count(*) FROM scratch") == 0
    finally:
        await pool.close()


async def test_session_settings_survive_release_unless_full_reset(database_dsn: str) -> None:
    for full_reset, expected in ((False, "1234ms"), (True, "0")):
        pool = await create_pool(database_dsn, min_size=1, max_size=1, full_reset=full_reset)
        try:
            async with pool.acquire() as connection:
                await connection.execute("SET statement_timeout = 1234")
            async with pool.acquire() as connection:
                assert await connection.fetchval("SHOW statement_timeout") == expected
                assert await connection.fetchval("SELECT current_user") == "kinerja_app"
        finally:
            await pool.close()
