"""Connection pools of the application."""

from __future__ import annotations

from typing import Any

import asyncpg

APP_ROLE = "kinerja_app"
"""The role the application acts as: SELECT and INSERT on the event log, no more."""


async def create_pool(
    dsn: str,
    *,
    role: str | None = APP_ROLE,
    min_size: int = 2,
    max_size: int = 16,
    **kwargs: Any,
) -> asyncpg.Pool:
    """An asyncpg pool on ``dsn`` whose every connection acts as ``role``.

    The role is set when each connection opens, as the startup parameter
    ``role`` (the same as ``SET ROLE`` at connect time, but it is also the
    session's reset value, so neither the pool's ``RESET ALL`` on release nor a
    stray ``RESET ROLE`` drops back to the login user). The login user must be
    a member of ``role`` (a superuser always is). With ``role=None`` the pool
    acts as the login user: for migrations and administration only.

    No JSON codecs are registered: the event log stores canonical bytes, and
    other stores pass JSON text with an explicit ``::jsonb`` cast.
    Other keyword arguments go to :func:`asyncpg.create_pool`.
    """
    server_settings = dict(kwargs.pop("server_settings", None) or {})
    if role is not None:
        server_settings["role"] = role
    pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        server_settings=server_settings,
        **kwargs,
    )
    assert pool is not None
    return pool
