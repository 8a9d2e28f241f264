"""When Temporal or PostgreSQL cannot be reached: 503 with Retry-After, nothing changed."""

from __future__ import annotations

import httpx
from fastapi import Request, Response
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from api.app import Services, create_app
from api.auth import TokenVerifier
from store.database import create_pool

from .conftest import SKP, TOKENS, Stack, open_body


async def test_temporal_down_is_a_503_and_changes_nothing(stack: Stack) -> None:
    hr = stack.headers("e-hr", "employee", "hr", agencies=(stack.agency,))
    created = await stack.http.post("/v1/appraisals", json=open_body(stack.agency), headers=hr)
    appraisal = created.json()["appraisal"]["id"]
    nowhere = await Client.connect("127.0.0.1:9", lazy=True,
                                   data_converter=pydantic_data_converter)
    app = create_app(Services(pool=stack.pool, temporal=nowhere,
                              token_verifier=TokenVerifier(TOKENS), task_queue="none"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://kinerja.test") as http:
        response = await http.put(f"/v1/appraisals/{appraisal}/targets", json=SKP,
                                  headers=stack.headers("e-emp"))
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"].isdigit()
    assert response.headers["content-type"] == "application/problem+json"
    assert await stack.pool.fetchval(
        "SELECT count(*) FROM events WHERE stream_id = $1", appraisal) == 1


async def test_database_down_is_a_503(stack: Stack, database_dsn: str) -> None:
    pool = await create_pool(database_dsn)
    await pool.close()
    app = create_app(Services(pool=pool, temporal=stack.client,
                              token_verifier=TokenVerifier(TOKENS), task_queue="none"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://kinerja.test") as http:
        response = await http.get("/v1/me/appraisals", headers=stack.headers("e-emp"))
    assert response.status_code == 503, response.text
    assert response.json()["code"] == "unavailable"


async def test_a_missing_page_template_is_our_error_not_the_databases(stack: Stack) -> None:
    """``jinja2.TemplateNotFound`` is an ``OSError`` too: it must not read as the database
    being down (503, "retry later") when it is a bug of ours."""
    from jinja2 import TemplateNotFound

    app = create_app(Services(pool=stack.pool, temporal=stack.client,
                              token_verifier=TokenVerifier(TOKENS), task_queue="none"))

    @app.get("/broken-page")
    async def broken(request: Request) -> Response:
        raise TemplateNotFound("no-such-template.html")  # what a page's render raises

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://kinerja.test") as http:
        response = await http.get("/broken-page")
    assert response.status_code == 500, response.text
    assert response.json()["code"] == "internal"
