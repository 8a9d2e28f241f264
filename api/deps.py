"""The routes' one way to the use cases: the :class:`services.bootstrap.Kinerja` that
``create_app`` built (``Use`` in a route's signature)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.bootstrap import Kinerja


def kinerja(request: Request) -> Kinerja:
    return request.app.state.kinerja  # type: ignore[no-any-return]


Use = Annotated[Kinerja, Depends(kinerja)]
