"""Payload encryption: the codec round-trips, rotates keys, refuses an unknown one; with it
on, a workflow's history in Temporal holds no clear text of what the commands carried."""

from __future__ import annotations

import base64
import dataclasses

import asyncpg
import pytest
from temporalio.api.common.v1 import Payload
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from domain.appraisal import Phase
from kinerja.settings import Settings
from kinerja.worker import data_converter
from workflows.codec import ENCODING, PayloadEncryptionCodec, new_key, parse_keys

from .conftest import api_over

NAME = "Siti Rahmawati"


def payload(text: str) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=f'"{text}"'.encode())


async def test_round_trip_and_rotation() -> None:
    old, new = base64.b64decode(new_key()), base64.b64decode(new_key())
    before = PayloadEncryptionCodec({"k1": old}, "k1")
    sealed = await before.encode([payload(NAME)])
    assert sealed[0].metadata["encoding"] == ENCODING
    assert sealed[0].metadata["encryption-key-id"] == b"k1"
    assert NAME.encode() not in sealed[0].SerializeToString()
    rotated = PayloadEncryptionCodec({"k1": old, "k2": new}, "k2")
    assert await rotated.decode(sealed) == [payload(NAME)]  # old payloads stay readable
    resealed = await rotated.encode([payload(NAME)])
    assert resealed[0].metadata["encryption-key-id"] == b"k2"
    assert await rotated.decode(resealed) == [payload(NAME)]
    with pytest.raises(ValueError, match="k2"):
        await before.decode(resealed)  # a key not configured is named
    plain = [payload("written before the codec")]
    assert await before.decode(plain) == plain  # unencrypted payloads pass through


async def test_a_changed_byte_is_refused() -> None:
    codec = PayloadEncryptionCodec({"k": bytes(32)}, "k")
    sealed = (await codec.encode([payload(NAME)]))[0]
    tampered = Payload(metadata=sealed.metadata,
                       data=sealed.data[:-1] + bytes([sealed.data[-1] ^ 1]))
    with pytest.raises(Exception):  # noqa: B017 - cryptography's InvalidTag
        await codec.decode([tampered])


def test_keys_setting() -> None:
    key = new_key()
    assert parse_keys(f"a={key}, b={key.rstrip('=')}") == {"a": base64.b64decode(key),
                                                            "b": base64.b64decode(key)}
    with pytest.raises(ValueError):
        parse_keys("no-separator")
    with pytest.raises(ValueError, match="32"):
        PayloadEncryptionCodec({"short": b"x" * 16}, "short")
    assert data_converter(Settings()).payload_codec is None
    converter = data_converter(Settings(payload_keys=f"old={new_key()},new={new_key()}",
                                        payload_key_id="new"))
    assert isinstance(converter.payload_codec, PayloadEncryptionCodec)


def test_one_payload_converter_per_process() -> None:
    """The SDK makes a data converter for every workflow activation (with its context):
    each is given the same payload converter, which round-trips the project's models."""
    from workflows.appraisal.contract import CommandResult

    converter = data_converter(Settings())
    per_activation = dataclasses.replace(converter)  # as the SDK's, field by field
    assert per_activation.payload_converter_class() is converter.payload_converter_class()
    result = CommandResult(appraisal_id="a", version=3, phase=Phase.REVIEW, events=["X"])
    payloads = per_activation.payload_converter.to_payloads([result])
    assert converter.payload_converter.from_payloads(payloads, [CommandResult]) == [result]


async def test_history_holds_no_clear_text(temporal_dev: WorkflowEnvironment,
                                           app_pool: asyncpg.Pool) -> None:
    settings = Settings(payload_keys=f"k1={new_key()}")
    client = await Client.connect(temporal_dev.client.service_client.config.target_host,
                                  namespace=temporal_dev.client.namespace,
                                  data_converter=data_converter(settings))
    async for api in api_over(client, app_pool):
        body = api.open_body()
        created = await api.http.post("/v1/appraisals", json=body,
                                      headers=api.headers("e-hr", "employee", "hr", key="c1"))
        assert created.status_code == 201, created.text
        appraisal = created.json()["appraisal"]["id"]
        targets = {"approach": "kuantitatif", "rhk": [
            {"id": "rhk-1", "kind": "utama", "description": f"Pendampingan {NAME}",
             "indicators": [{"id": "ind-1", "description": "Sesi", "aspect": "kuantitas",
                             "target": {"value": "4", "unit": "sesi"}}]}]}
        saved = await api.http.put(f"/v1/appraisals/{appraisal}/targets", json=targets,
                                   headers=api.headers("e-emp", key="t1"))
        assert saved.status_code == 200, saved.text
        shown = await api.http.get(f"/v1/appraisals/{appraisal}", headers=api.headers("e-emp"))
        assert NAME in shown.text  # the command carried it; Kinerja reads it back
        history = await temporal_dev.client.get_workflow_handle(appraisal).fetch_history()
    raw = b"".join(event.SerializeToString() for event in history.events)
    assert ENCODING in raw
    assert NAME.encode() not in raw
    assert b"Pendampingan" not in raw and b"rhk-1" not in raw


async def test_the_codec_endpoint_decodes_for_an_operator_only(app_pool: asyncpg.Pool) -> None:
    """Temporal's UI sends encrypted payloads to /codec/decode and gets them in clear, for
    a bearer of the operator role; anyone else gets a 403, and a browser of an allowed
    origin gets its CORS headers."""
    import base64 as b64

    import httpx
    from temporalio.api.common.v1 import Payload

    from api.app import Services, create_app
    from api.auth import TokenSettings, TokenVerifier, mint_token

    tokens = TokenSettings(secret="codec-test-" + "x" * 32)
    codec = PayloadEncryptionCodec(parse_keys(f"k1={new_key()}"), "k1")
    (sealed,) = await codec.encode([Payload(metadata={"encoding": b"json/plain"},
                                            data=b'{"name": "Siti Rahmawati"}')])
    body = {"payloads": [{"metadata": {k: b64.b64encode(v).decode()
                                       for k, v in sealed.metadata.items()},
                          "data": b64.b64encode(sealed.data).decode()}]}
    app = create_app(Services(pool=app_pool, temporal=None,  # type: ignore[arg-type]
                              token_verifier=TokenVerifier(tokens), task_queue="codec",
                              payload_codec=codec,
                              codec_origins=frozenset({"http://ui.example"})))

    def bearer(*roles: str) -> dict[str, str]:
        return {"Authorization": "Bearer " + mint_token(tokens, subject="op-1", roles=roles),
                "Origin": "http://ui.example"}

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://kinerja.test") as http:
        decoded = await http.post("/codec/decode", json=body, headers=bearer("operator"))
        assert decoded.status_code == 200, decoded.text
        (clear,) = decoded.json()["payloads"]
        assert b64.b64decode(clear["data"]) == b'{"name": "Siti Rahmawati"}'
        assert decoded.headers["access-control-allow-origin"] == "http://ui.example"
        for roles in (("hr",), ("inspector",), ("employee",)):
            refused = await http.post("/codec/decode", json=body, headers=bearer(*roles))
            assert refused.status_code == 403, (roles, refused.text)
        unauthenticated = await http.post("/codec/decode", json=body)
        assert unauthenticated.status_code == 401
        malformed = await http.post("/codec/decode", json={"payloads": 7},
                                    headers=bearer("operator"))
        assert malformed.status_code == 422
