"""The codec endpoint of Temporal's UI: ``POST /codec/decode`` and ``/codec/encode`` in the
remote codec protocol (a JSON body ``{"payloads": [...]}`` of Temporal payloads), so an
operator can read in the UI what the payload encryption (``workflows.codec``) hides.

Only a bearer of the ``operator`` role (``domain.authorization.may_decode_payloads``);
point the UI at it with ``TEMPORAL_CODEC_ENDPOINT=<api>/codec`` and
``TEMPORAL_CODEC_PASS_ACCESS_TOKEN=true``, and allow the UI's origin in
``KINERJA_CODEC_CORS_ORIGINS``. Without payload keys the endpoint is a 404.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request, Response
from google.protobuf.json_format import MessageToDict, ParseDict, ParseError
from temporalio.api.common.v1 import Payloads
from temporalio.converter import PayloadCodec

from api.auth import CurrentActor
from api.problems import FieldError, Problem
from domain.authorization import may_decode_payloads

router = APIRouter(prefix="/codec", include_in_schema=False)


def _codec(request: Request) -> PayloadCodec:
    codec: PayloadCodec | None = getattr(request.app.state, "payload_codec", None)
    if codec is None:
        raise Problem(404, "not-found", "Not found", "payloads are not encrypted here")
    return codec


def _cors(request: Request, response: Response) -> None:
    origin = request.headers.get("origin")
    allowed: frozenset[str] = getattr(request.app.state, "codec_origins", frozenset())
    if origin and origin in allowed:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Credentials"] = "true"
        response.headers["Access-Control-Allow-Headers"] = \
            "Authorization, Content-Type, X-Namespace"
        response.headers["Access-Control-Allow-Methods"] = "POST, OPTIONS"
        response.headers["Vary"] = "Origin"


async def _payloads(request: Request) -> Payloads:
    try:
        body: Any = await request.json()
        return ParseDict(body, Payloads())
    except (ValueError, ParseError) as error:
        raise Problem(422, "validation", "The request breaks a rule", str(error),
                      errors=[FieldError(field="payloads", rule="payloads",
                                         message="a JSON object {\"payloads\": [...]}")]
                      ) from None


async def _code(request: Request, actor: Any, decode: bool) -> Response:
    codec = _codec(request)
    if not may_decode_payloads(actor):
        raise Problem(403, "forbidden", "Not allowed", "only an operator reads payloads")
    payloads = await _payloads(request)
    coded = await (codec.decode if decode else codec.encode)(list(payloads.payloads))
    response = Response(json.dumps(MessageToDict(Payloads(payloads=coded))),
                        media_type="application/json")
    _cors(request, response)
    return response


@router.options("/decode")
@router.options("/encode")
async def preflight(request: Request) -> Response:
    response = Response(status_code=204)
    _cors(request, response)
    return response


@router.post("/decode")
async def decode(request: Request, actor: CurrentActor) -> Response:
    return await _code(request, actor, decode=True)


@router.post("/encode")
async def encode(request: Request, actor: CurrentActor) -> Response:
    return await _code(request, actor, decode=False)
