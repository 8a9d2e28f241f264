"""Encryption of Temporal payloads (AES-256-GCM), so that Temporal's histories hold no
clear text: the inputs, update arguments, results and activity payloads of every
workflow are encrypted by the client and the worker before they leave the process.

Each encrypted payload names its key (metadata ``encryption-key-id``); the data is the
12-byte nonce followed by the ciphertext of the whole original payload (its metadata
too), authenticated with the key id as associated data. Rotation: add a new key and make
it the current one (``KINERJA_PAYLOAD_KEY_ID``); payloads written with an older key stay
readable while that key is configured. Payloads without the encrypted encoding pass
through unchanged (histories written before the codec was turned on).

Temporal's UI shows them through the codec endpoint of the API (``api/codec.py``), to a
bearer of the ``operator`` role.
Failure messages are not payloads and stay in clear text: Kinerja's refusals name rules,
never people.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping, Sequence

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
NONCE_BYTES = 12


class PayloadEncryptionCodec(PayloadCodec):
    """AES-GCM with named keys: encrypts with ``current``, decrypts with any of ``keys``."""

    def __init__(self, keys: Mapping[str, bytes], current: str) -> None:
        if current not in keys:
            raise ValueError(f"the current payload key {current!r} is not among the keys")
        for key_id, key in keys.items():
            if len(key) != 32:
                raise ValueError(f"payload key {key_id!r} is {len(key)} bytes; "
                                 "AES-256 needs 32")
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys.items()}
        self._current = current

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        cipher = self._ciphers[self._current]
        aad = self._current.encode()
        encoded = []
        for payload in payloads:
            nonce = os.urandom(NONCE_BYTES)
            sealed = cipher.encrypt(nonce, payload.SerializeToString(), aad)
            encoded.append(Payload(metadata={"encoding": ENCODING, KEY_ID: aad},
                                   data=nonce + sealed))
        return encoded

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        decoded = []
        for payload in payloads:
            if payload.metadata.get("encoding") != ENCODING:
                decoded.append(payload)
                continue
            key_id = payload.metadata.get(KEY_ID, b"").decode()
            cipher = self._ciphers.get(key_id)
            if cipher is None:
                raise ValueError(f"payload encrypted with key {key_id!r}, which is not "
                                 "configured (KINERJA_PAYLOAD_KEYS)")
            data = payload.data
            plain = cipher.decrypt(data[:NONCE_BYTES], data[NONCE_BYTES:], key_id.encode())
            decoded.append(Payload.FromString(plain))
        return decoded


def parse_keys(text: str) -> dict[str, bytes]:
    """``id=base64,id=base64`` (each key 32 bytes, base64 or URL-safe base64) as a map."""
    keys: dict[str, bytes] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key_id, separator, encoded = item.partition("=")
        if not separator or not key_id.strip():
            raise ValueError("KINERJA_PAYLOAD_KEYS is id=base64key[,id=base64key...]")
        raw = encoded.strip()
        key = base64.urlsafe_b64decode(raw.replace("+", "-").replace("/", "_")
                                       + "=" * (-len(raw) % 4))
        keys[key_id.strip()] = key
    return keys


def new_key() -> str:
    """A fresh key, base64 (for ``KINERJA_PAYLOAD_KEYS``)."""
    return base64.b64encode(AESGCM.generate_key(bit_length=256)).decode()
