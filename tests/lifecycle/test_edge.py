"""The HTTP edge on the real app (PostgreSQL and Temporal): inputs that must be a 4xx
problem+json naming the field (or a 503), never a 500; the request id on every response;
body and header limits; the connection kept after an error, closed when idle."""

from __future__ import annotations

import asyncio
import copy
import json
import socket
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import httpx
import jwt
import pytest
import uvicorn
from fastapi import FastAPI

from api.app import Services, create_app
from api.auth import TokenVerifier
from api.edge import EdgeLimits
from kinerja.serving import uvicorn_config
from kinerja.settings import Settings

from .conftest import SKP, TOKENS, Stack, open_body

PROBLEM = "application/problem+json"


def _assert_problem(response: httpx.Response, status: int, field: str | None = None,
                    rule: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.headers.get("x-request-id"), "every response carries a request id"
    document: dict[str, Any] = response.json()
    if field is not None:
        errors = document.get("errors") or []
        assert any(e["field"] == field and (rule is None or e["rule"] == rule)
                   for e in errors), document
    return document


def _inspector(stack: Stack) -> dict[str, str]:
    return stack.headers("i-1", "inspector", agencies=("*",))


# --------------------------------------------------------------------------- control chars


@pytest.mark.parametrize(("url", "field"), [
    ("/v1/appraisals/abc%00def", "path.appraisal_id"),
    ("/v1/appraisals/abc%00def/events", "path.appraisal_id"),
    ("/v1/cycles/pemkot%00demo", "path.cycle_id"),
    ("/v1/audit/verify?stream=a%00b", "query.stream"),
    ("/v1/appraisals?cycle=x%00y", "query.cycle"),
    ("/v1/audit/exports?cycle=x%00y", "query.cycle"),
    ("/v1/appraisals?cycle=x%1by", "query.cycle"),
])
async def test_a_control_character_in_a_parameter_is_a_422_naming_it(
    stack: Stack, url: str, field: str,
) -> None:
    headers = stack.headers("e-hr", "employee", "hr", "inspector", agencies=("*",))
    response = await stack.http.get(url, headers=headers)
    _assert_problem(response, 422, field, "control_character")


async def test_a_nul_in_a_json_body_is_a_422_naming_the_field(stack: Stack) -> None:
    """It used to be accepted, then the append of its event failed in PostgreSQL (no NUL in
    jsonb) and was retried without end: the request never returned."""
    hr = stack.headers("e-hr", "employee", "hr", agencies=(stack.agency,), key="open")
    created = await stack.http.post("/v1/appraisals", json=open_body(stack.agency), headers=hr)
    appraisal = created.json()["appraisal"]["id"]
    skp = copy.deepcopy(SKP)
    skp["rhk"][0]["description"] = "Layanan\u0000informasi"
    response = await asyncio.wait_for(stack.http.put(
        f"/v1/appraisals/{appraisal}/targets", json=skp,
        headers=stack.headers("e-emp", key="nul")), 30)
    _assert_problem(response, 422, "rhk.0.description", "control_character")
    activity = await stack.http.post(
        f"/v1/appraisals/{appraisal}/activities", headers=stack.headers("e-emp", key="k"),
        json={"date": "2026-01-05", "description": "a\nb\tc", "x\u0000": 1})
    _assert_problem(activity, 422, "x?", "control_character")
    # A backslash-u0000 spelled out (an escaped backslash) is text, not a NUL.
    skp["rhk"][0]["description"] = "Layanan \\u0000"
    fine = await stack.http.put(f"/v1/appraisals/{appraisal}/targets", json=skp,
                                headers=stack.headers("e-emp", key="text"))
    assert fine.status_code == 200, fine.text


# --------------------------------------------------------------------------- integer bounds


@pytest.mark.parametrize(("url", "field"), [
    ("/v1/appraisals/a-1/events?from_version=2147483648", "query.from_version"),
    ("/v1/appraisals?offset=100000000000000000000", "query.offset"),
    ("/v1/audit/appraisals/a-1/state?version=1000000000000", "query.version"),
    ("/v1/audit/appraisals/a-1/diff?from_version=2147483648", "query.from_version"),
    ("/v1/audit/proofs/inclusion?appraisal=a-1&version=2147483648", "query.version"),
    ("/v1/audit/proofs/consistency?old_size=9223372036854775808", "query.old_size"),
    ("/v1/audit/access?agency=a&from_version=2147483648", "query.from_version"),
])
async def test_an_integer_beyond_its_column_is_a_422_naming_it(
    stack: Stack, url: str, field: str,
) -> None:
    headers = stack.headers("e-hr", "employee", "hr", "inspector", agencies=("*",))
    response = await stack.http.get(url, headers=headers)
    _assert_problem(response, 422, field, "less_than_equal")


async def test_every_integer_parameter_has_bounds(stack: Stack) -> None:
    schema = (await stack.http.get("/openapi.json")).json()
    unbounded = [
        f"{method.upper()} {path} {parameter['name']}"
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        for parameter in operation.get("parameters", [])
        for variant in [parameter["schema"], *parameter["schema"].get("anyOf", [])]
        if variant.get("type") == "integer" and "maximum" not in variant
    ]
    assert unbounded == []


# --------------------------------------------------------------------------- database down


async def test_postgresql_down_over_its_unix_socket_is_a_503(stack: Stack) -> None:
    with tempfile.TemporaryDirectory() as nowhere:  # a socket directory without a socket
        pool = await asyncpg.create_pool(f"postgresql://kinerja@/kinerja?host={nowhere}",
                                         min_size=0)
        try:
            app = create_app(Services(pool=pool, temporal=stack.client,
                                      token_verifier=TokenVerifier(TOKENS), task_queue="none"))
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                         base_url="http://kinerja.test") as http:
                response = await http.get("/v1/me/appraisals", headers=stack.headers("e-emp"))
        finally:
            await pool.close()
    document = _assert_problem(response, 503)
    assert document["code"] == "unavailable" and response.headers["retry-after"].isdigit()


# --------------------------------------------------------------------------- token claims


@pytest.mark.parametrize(("claim", "value"), [
    ("roles", 5), ("roles", "hr"), ("roles", ["hr", 5]), ("roles", None),
    ("agencies", 7), ("agencies", "pemkot"), ("agencies", [["x"]]),
    ("agency", 3), ("unit", ["u"]),
])
async def test_a_token_with_a_malformed_claim_is_a_401_naming_it(
    stack: Stack, claim: str, value: object,
) -> None:
    claims: dict[str, Any] = {"sub": "e-1", "roles": ["employee", "hr"], "agencies": ["a"],
                              "iss": TOKENS.issuer, "aud": TOKENS.audience,
                              "exp": int(time.time()) + 60, claim: value}
    token = jwt.encode(claims, TOKENS.secret, algorithm="HS256")
    response = await stack.http.get("/v1/appraisals",
                                    headers={"Authorization": f"Bearer {token}"})
    document = _assert_problem(response, 401)
    assert f"'{claim}'" in document["detail"], document


# --------------------------------------------------------------------------- request id


@pytest.fixture
async def booby_trapped(stack: Stack) -> FastAPI:
    """The real app with one extra route that fails with an unexpected exception."""
    app = create_app(Services(pool=stack.pool, temporal=stack.client,
                              token_verifier=TokenVerifier(TOKENS), task_queue=stack.task_queue))

    @app.get("/boom", include_in_schema=False)
    async def boom() -> None:
        raise RuntimeError("a bug")

    return app


async def test_every_error_response_carries_the_request_id(
    stack: Stack, booby_trapped: FastAPI,
) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=booby_trapped),
                                 base_url="http://kinerja.test") as http:
        for method, url, status in [("GET", "/boom", 500), ("GET", "/nowhere", 404),
                                    ("GET", "/v1/appraisals", 401),
                                    ("GET", "/v1/appraisals?limit=0", 422),
                                    ("POST", "/v1/appraisals", 422)]:
            auth = {} if status == 401 else stack.headers("e-hr", "hr",
                                                          agencies=(stack.agency,))
            response = await http.request(method, url, headers={**auth, "X-Request-Id": "r-1"},
                                          content=b"{" if method == "POST" else None)
            assert response.status_code == status, (url, response.text)
            assert response.headers["content-type"] == PROBLEM, url
            assert response.headers["x-request-id"] == "r-1", url


@pytest.mark.parametrize("given", [b"x" * 60_000, b"a b", "id\u00e9".encode(), b"x" * 129,
                                   b"", b"a/b", b"<script>"])
async def test_an_unsafe_or_long_request_id_is_replaced(stack: Stack, given: bytes) -> None:
    response = await stack.http.get("/healthz", headers={"X-Request-Id": given})
    echoed = response.headers["x-request-id"]
    assert echoed.encode() != given and len(echoed) == 32 and echoed.isalnum()


async def test_a_safe_request_id_is_echoed(stack: Stack) -> None:
    given = "Ab9._-" + "z" * 122
    response = await stack.http.get("/healthz", headers={"X-Request-Id": given})
    assert response.headers["x-request-id"] == given


# --------------------------------------------------------------------------- body limits


async def _chunks(total: int, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    sent = 0
    while sent < total:
        sent += size
        yield b" " * size


async def test_a_body_above_the_limit_is_a_413_before_it_is_read(stack: Stack) -> None:
    hr = stack.headers("e-hr", "employee", "hr", agencies=(stack.agency,))
    body = json.dumps(open_body(stack.agency)).encode() + b" " * (1024 * 1024)
    response = await stack.http.post("/v1/appraisals", content=body, headers=hr)
    _assert_problem(response, 413, "body", "max_bytes")


async def test_a_chunked_body_is_counted_as_it_streams(stack: Stack) -> None:
    hr = stack.headers("e-hr", "employee", "hr", agencies=(stack.agency,))
    received = 0
    limit = EdgeLimits().max_body_bytes

    async def endless() -> AsyncIterator[bytes]:
        nonlocal received
        async for chunk in _chunks(100 * 1024 * 1024):
            received += len(chunk)
            yield chunk

    response = await stack.http.post("/v1/appraisals", content=endless(),
                                     headers={**hr, "Content-Type": "application/json"})
    _assert_problem(response, 413, "body", "max_bytes")
    assert received < limit + 2 * 64 * 1024, "the body was read beyond its limit"


async def test_the_roster_upload_has_its_own_larger_limit(stack: Stack) -> None:
    hr = stack.headers("e-hr", "employee", "hr", agencies=(stack.agency,))
    two_mib = b"nip;nama\n" + b"x" * (2 * 1024 * 1024)
    response = await stack.http.post(f"/v1/roster/imports?agency={stack.agency}",
                                     content=two_mib, headers=hr)
    assert response.status_code == 422, response.text  # read and checked: not a 413
    too_big = await stack.http.post(f"/v1/roster/imports?agency={stack.agency}",
                                    headers={**hr, "Content-Length": str(21 * 1024 * 1024)},
                                    content=b"")
    _assert_problem(too_big, 413, "body", "max_bytes")


# --------------------------------------------------------------------------- header limits


async def test_too_many_headers_or_header_bytes_are_a_431(stack: Stack) -> None:
    auth = stack.headers("e-emp")
    many = [(f"x-h{i}", "1") for i in range(5000)]
    response = await stack.http.get("/v1/me/appraisals",
                                    headers=[*auth.items(), *many])
    _assert_problem(response, 431)
    large = await stack.http.get("/v1/me/appraisals",
                                 headers={**auth, "X-Large": "a" * (1024 * 1024)})
    _assert_problem(large, 431)
    ok = await stack.http.get("/v1/me/appraisals", headers=auth)
    assert ok.status_code == 200, ok.text


# --------------------------------------------------------------------------- real server


@asynccontextmanager
async def _serving(app: FastAPI, **settings: Any) -> AsyncIterator[int]:
    """``app`` on a real uvicorn (the configuration ``kinerja api`` uses) on a free port,
    in this event loop. The socket listens before serving starts, so a client connecting
    at once is queued by the kernel until uvicorn accepts it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    port = int(sock.getsockname()[1])
    server = uvicorn.Server(uvicorn_config(app, Settings(api_port=port, **settings)))
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        yield port
    finally:
        server.should_exit = True
        await serving
        sock.close()


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                    target: str, headers: dict[str, str]) -> tuple[int, dict[str, str]]:
    """One HTTP/1.1 GET on an open connection: its status and headers (body read)."""
    lines = [f"GET {target} HTTP/1.1", "Host: kinerja.test",
             *(f"{k}: {v}" for k, v in headers.items()), "", ""]
    writer.write("\r\n".join(lines).encode())
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    parsed = {k.lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines if h)}
    await asyncio.wait_for(reader.readexactly(int(parsed["content-length"])), 30)
    return int(status_line.split()[1]), parsed


async def test_an_error_keeps_the_connection_alive(stack: Stack,
                                                   booby_trapped: FastAPI) -> None:
    auth = stack.headers("e-hr", "employee", "hr", "inspector", agencies=("*",))
    async with _serving(booby_trapped) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for target, status in [("/v1/appraisals/abc%00def", 422),
                                   ("/v1/appraisals?offset=100000000000000000000", 422),
                                   ("/boom", 500), ("/nowhere", 404), ("/healthz", 200)]:
                got, headers = await _exchange(reader, writer, target, auth)
                assert got == status, target
                assert headers.get("connection") != "close", target
                assert headers["x-request-id"], target
        finally:
            writer.close()


async def test_an_idle_connection_is_closed(stack: Stack) -> None:
    app = create_app(Services(pool=stack.pool, temporal=stack.client,
                              token_verifier=TokenVerifier(TOKENS), task_queue=stack.task_queue))
    async with _serving(app, keep_alive_seconds=0.2, header_timeout_seconds=0.2) as port:
        # After a response: the keep-alive timeout.
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        status, _ = await _exchange(reader, writer, "/healthz", {})
        assert status == 200
        assert await asyncio.wait_for(reader.read(), 10) == b"", "closed by the server"
        writer.close()
        # Connected, nothing sent; and a request head that never ends: the header timeout.
        for sent in [b"", b"GET /healthz HTTP/1.1\r\nHost: x\r\n"]:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(sent)
            await writer.drain()
            assert await asyncio.wait_for(reader.read(), 10) == b"", sent
            writer.close()


async def test_a_request_head_larger_than_the_server_reads_is_a_431(stack: Stack) -> None:
    app = create_app(Services(pool=stack.pool, temporal=stack.client,
                              token_verifier=TokenVerifier(TOKENS), task_queue=stack.task_queue))
    async with _serving(app) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        # 1 MiB of one header that never ends: refused once the head passes the limit.
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (1024 * 1024))
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 30)  # up to the server's EOF
        writer.close()
        assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
        assert b"application/problem+json" in answer and b"headers-too-large" in answer
        # A head within the limits is still served.
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        status, _ = await _exchange(reader, writer, "/healthz", {"X-Ok": "b" * 20_000})
        writer.close()
        assert status == 200


def test_one_function_configures_uvicorn_from_the_settings() -> None:
    app = FastAPI()
    config = uvicorn_config(app, Settings(api_host="0.0.0.0", api_port=8123,
                                          keep_alive_seconds=7, header_timeout_seconds=3))
    assert (config.host, config.port, config.timeout_keep_alive) == ("0.0.0.0", 8123, 7)
    assert config.http.header_timeout == 3  # type: ignore[union-attr]


# --------------------------------------------------------------------------- documented


async def test_a_body_that_is_not_utf8_is_a_documented_400_naming_the_body(stack: Stack) -> None:
    hr = stack.headers("e-hr", "employee", "hr", agencies=(stack.agency,))
    response = await stack.http.post("/v1/appraisals", content=b'{"a": "\xff\xfe"}',
                                     headers={**hr, "Content-Type": "application/json"})
    _assert_problem(response, 400, "body", "malformed")
    schema = (await stack.http.get("/openapi.json")).json()
    documented = schema["paths"]["/v1/appraisals"]["post"]["responses"]
    for status in ("400", "413", "422", "431"):
        assert list(documented[status]["content"]) == [PROBLEM], status
        assert documented[status]["content"][PROBLEM]["schema"] == {
            "$ref": "#/components/schemas/ProblemDocument"}


def test_the_edge_limits_default_to_the_settings_defaults() -> None:
    from kinerja.serving import edge_limits

    assert edge_limits(Settings()) == EdgeLimits()
