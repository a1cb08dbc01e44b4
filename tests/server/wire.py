"""Test helpers below aiohttp's client: raw HTTP on a socket, WebSocket frames by hand, a log watch."""

import asyncio
import contextlib
from dataclasses import dataclass
import os
import struct
from typing import Self

import orjson

from .conftest import TIMEOUT


@dataclass(frozen=True, slots=True)
class RawResponse:
    """A response read off the socket."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> object:
        """Decode the body."""
        return orjson.loads(self.body)


class RawConnection:
    """A TCP connection to the server that sends whatever bytes it is given."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        """Wrap an open connection."""
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, port: int) -> Self:
        """Connect to the server on 127.0.0.1."""
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def send(self, data: bytes) -> None:
        """Write bytes (a peer that already closed is not an error here)."""
        self.writer.write(data)
        with contextlib.suppress(ConnectionError):
            await self.writer.drain()

    async def response(self) -> RawResponse:
        """Read one HTTP response: head, then a body of Content-Length bytes (or up to EOF)."""
        async with asyncio.timeout(TIMEOUT):
            head = await self.reader.readuntil(b"\r\n\r\n")
            status_line, *lines = head.decode("latin-1").split("\r\n")
            headers = {}
            for line in lines:
                if line:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
            if "content-length" in headers:
                body = await self.reader.readexactly(int(headers["content-length"]))
            else:
                body = await self.reader.read()
        return RawResponse(int(status_line.split()[1]), headers, body)

    async def closed_by_server(self) -> bytes:
        """Wait until the server closes the connection; return what it sent before."""
        async with asyncio.timeout(TIMEOUT):
            try:
                return await self.reader.read()
            except ConnectionResetError:
                return b""

    def abort(self) -> None:
        """Vanish without a goodbye, like a client whose network went away."""
        self.writer.transport.abort()

    def close(self) -> None:
        """Close politely."""
        self.writer.close()


def request(
    method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> bytes:
    """Build an HTTP/1.1 request with a Content-Length that matches the body."""
    lines = [f"{method} {path} HTTP/1.1", "Host: kitchen"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def websocket_upgrade(token: str | None = None, *, path: str = "/ws") -> bytes:
    """Build a WebSocket upgrade request."""
    headers = {
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version": "13",
    }
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return request("GET", path, headers=headers)


def client_frame(
    payload: bytes,
    opcode: int = 0x1,
    *,
    fin: bool = True,
    rsv: int = 0,
    masked: bool = True,
) -> bytes:
    """Build a client frame (RFC 6455 section 5.2); the flags allow frames a client must not send."""
    mask = os.urandom(4) if masked else b""
    length = len(payload)
    head = bytes([(0x80 if fin else 0) | (rsv & 0x7) << 4 | opcode & 0xF])
    mask_bit = 0x80 if masked else 0
    if length < 126:
        head += bytes([mask_bit | length])
    elif length < 2**16:
        head += bytes([mask_bit | 126]) + struct.pack("!H", length)
    else:
        head += bytes([mask_bit | 127]) + struct.pack("!Q", length)
    if masked:
        payload = bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))
    return head + mask + payload


async def server_frame(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """Read one (unmasked) server frame; return its opcode and payload."""
    first, second = await reader.readexactly(2)
    length = second & 0x7F
    if length == 126:
        (length,) = struct.unpack("!H", await reader.readexactly(2))
    elif length == 127:
        (length,) = struct.unpack("!Q", await reader.readexactly(8))
    return first & 0xF, await reader.readexactly(length)
