"""A lean HTTP/1.1 client for benchmarks that load a server from another process.

A benchmark whose clients run in the server's own process (httpx over the ASGI
transport) charges the server with the clients' cost: there, about as much CPU went to
httpx building and parsing requests as to the application answering them. Browsers are
elsewhere; so a benchmark of what a serving process can take runs its clients in a
separate process, and this client keeps their own cost small: one keep-alive connection
per concurrent client, requests written as bytes, responses read by their
``Content-Length`` (or chunks), nothing else.

Not a general client: no TLS, no redirects, no cookies, no compression.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from urllib.parse import urlencode


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[bytes, bytes]
    """Header names in lower case; a repeated header keeps its last value."""
    body: bytes


class Connection:
    """One keep-alive HTTP/1.1 connection; one request at a time."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str
    ) -> None:
        self._reader, self._writer, self._host = reader, writer, host.encode()

    @classmethod
    async def open(cls, host: str, port: int) -> Connection:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer, f"{host}:{port}")

    async def close(self) -> None:
        self._writer.close()
        await self._writer.wait_closed()

    async def get(self, target: str, headers: dict[str, str] | None = None) -> Answer:
        return await self.request("GET", target, headers)

    async def post_form(
        self, target: str, fields: dict[str, str], headers: dict[str, str] | None = None
    ) -> Answer:
        return await self.request(
            "POST",
            target,
            {**(headers or {}), "Content-Type": "application/x-www-form-urlencoded"},
            urlencode(fields).encode(),
        )

    async def request(
        self, method: str, target: str, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> Answer:
        head = [f"{method} {target} HTTP/1.1".encode(), b"Host: " + self._host]
        head += [f"{name}: {value}".encode() for name, value in (headers or {}).items()]
        if body or method in ("POST", "PUT", "PATCH"):
            head.append(b"Content-Length: %d" % len(body))
        self._writer.write(b"\r\n".join(head) + b"\r\n\r\n" + body)
        return await self._answer()

    async def _answer(self) -> Answer:
        raw = await self._reader.readuntil(b"\r\n\r\n")
        lines = raw[:-4].split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        headers: dict[bytes, bytes] = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        if b"content-length" in headers:
            body = await self._reader.readexactly(int(headers[b"content-length"]))
        elif headers.get(b"transfer-encoding", b"").lower() == b"chunked":
            body = await self._chunks()
        else:
            body = b""
        return Answer(status, headers, body)

    async def _chunks(self) -> bytes:
        parts = []
        while True:
            size = int((await self._reader.readuntil(b"\r\n")).split(b";")[0], 16)
            chunk = await self._reader.readexactly(size + 2)
            if size == 0:
                return b"".join(parts)
            parts.append(chunk[:-2])
