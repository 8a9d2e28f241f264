"""Connection pools of the application."""

from __future__ import annotations

from typing import Any

import asyncpg

APP_ROLE = "kinerja_app"
"""The role the application acts as: SELECT and INSERT on the event log, no more."""


async def _keep_session(connection: asyncpg.Connection) -> None:
    """Pool reset hook that sends nothing (asyncpg has already rolled back)."""


async def create_pool(
    dsn: str,
    *,
    role: str | None = APP_ROLE,
    min_size: int = 2,
    max_size: int = 16,
    full_reset: bool = False,
    **kwargs: Any,
) -> asyncpg.Pool:
    """An asyncpg pool on ``dsn`` whose every connection acts as ``role``.

    The role is set when each connection opens, as the startup parameter
    ``role`` (the same as ``SET ROLE`` at connect time, but it is also the
    session's reset value, so neither ``RESET ALL`` nor a stray ``RESET ROLE``
    drops back to the login user). The login user must be
    a member of ``role`` (a superuser always is). With ``role=None`` the pool
    acts as the login user: for migrations and administration only.

    A released connection has any transaction left open rolled back (asyncpg
    always does that). With ``full_reset=False`` (the default) that is all:
    asyncpg's reset query (``RESET ALL; UNLISTEN *; CLOSE ALL;
    pg_advisory_unlock_all()``) costs a round trip on EVERY release, about a
    quarter of a single-event append. So pooled code must not leave session
    state behind: use ``SET LOCAL`` inside a transaction, not ``SET``, and no
    ``LISTEN`` or session advisory locks on pooled connections (or pass
    ``full_reset=True``).

    No JSON codecs are registered: the event log stores canonical bytes, and
    other stores pass JSON text with an explicit ``::jsonb`` cast.
    Other keyword arguments go to :func:`asyncpg.create_pool`.
    """
    if not full_reset and "reset" not in kwargs:
        kwargs["reset"] = _keep_session
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
