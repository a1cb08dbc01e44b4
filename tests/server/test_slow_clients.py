"""Slow and vanishing clients: header and body timeouts, bad bodies, and what reaches the log."""

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable
import logging

from aiohttp import ClientSession, WSMsgType
import orjson
import pytest

from smart_kitchen_server import ServerConfig, SmartKitchenServer
from tests.helpers import FakeClock

from .conftest import LogWatch, WsClient
from .wire import RawConnection, client_frame, request, websocket_upgrade

# Small limits keep these tests fast; the defaults are 10 s each.
HEADER_TIMEOUT = 0.2
BODY_TIMEOUT = 0.2
HEARTBEAT = 0.5  # longer than HEADER_TIMEOUT, to show a WebSocket is not cut by it
MAX_BODY = 64 * 1024
# What aiohttp logs at DEBUG about clients that left, only when the event loop runs in debug mode
# (as Home Assistant's test plugin runs it).
AIOHTTP_DEBUG_MODE_NOTES = {
    "Ignored premature client disconnection",
    "Ignored premature client disconnection.",
    "Ignored premature client disconnection 2",
}


@pytest.fixture
async def server(
    config: ServerConfig, clock: FakeClock
) -> AsyncGenerator[SmartKitchenServer]:
    """Run a server with short header and body timeouts."""
    async with SmartKitchenServer(
        config,
        clock=clock,
        heartbeat=HEARTBEAT,
        header_timeout=HEADER_TIMEOUT,
        body_timeout=BODY_TIMEOUT,
    ) as server:
        yield server


@pytest.fixture
def raw(server: SmartKitchenServer) -> Callable[[], Awaitable[RawConnection]]:
    """Open raw connections to the server."""

    async def _open() -> RawConnection:
        return await RawConnection.open(server.port)

    return _open


type Raw = Callable[[], Awaitable[RawConnection]]


def test_timeouts_must_be_positive() -> None:
    """Zero or negative timeouts are refused."""
    with pytest.raises(ValueError, match="header_timeout"):
        SmartKitchenServer(ServerConfig.demo(), header_timeout=0)
    with pytest.raises(ValueError, match="body_timeout"):
        SmartKitchenServer(ServerConfig.demo(), body_timeout=-1)


# Slow request heads


async def test_unfinished_heads_are_cut_off(raw: Raw) -> None:
    """Connections that never finish their request head are closed, unanswered."""
    connections = [await raw() for _ in range(100)]
    for connection in connections:
        await connection.send(b"GET /api/info HTTP/1.1\r\nHo")

    for connection in connections:
        assert await connection.closed_by_server() == b""


async def test_dribbled_head_is_cut_off(raw: Raw) -> None:
    """A head sent a byte at a time never completes, so the timeout ends it however busy it keeps us."""
    connection = await raw()
    await connection.send(b"GET /api/info HTTP/1.1\r\nX-Slow: ")

    async def dribble() -> None:
        while not connection.writer.is_closing():
            await connection.send(b"a")
            # The client's pace, not a wait for the server: a byte every 20 ms.
            await asyncio.sleep(0.02)

    dribbler = asyncio.create_task(dribble())
    assert await connection.closed_by_server() == b""
    dribbler.cancel()


async def test_slow_head_on_a_kept_alive_connection(raw: Raw) -> None:
    """After a response, the next request's head has the same time limit as the first."""
    connection = await raw()
    await connection.send(request("GET", "/api/info"))
    response = await connection.response()
    assert response.status == 200
    assert response.headers.get("connection") != "close"

    await connection.send(b"GET /api/info HTTP/1.1\r\n")

    assert await connection.closed_by_server() == b""


async def test_websocket_is_not_cut_by_the_header_timeout(
    http: ClientSession, token: str
) -> None:
    """An open WebSocket lives past the header timeout: the first ping comes later and it still works."""
    ws = await http.ws_connect(
        "/ws", headers={"Authorization": f"Bearer {token}"}, autoping=False
    )
    client = WsClient(ws)
    assert (await client.receive())["type"] == "connected"

    async with asyncio.timeout(5):
        ping = await ws.receive()
    assert ping.type is WSMsgType.PING
    await ws.pong(ping.data)

    await client.barrier()
    await ws.close()


# Bodies


async def test_declared_oversized_body_is_refused_unread(raw: Raw) -> None:
    """A head declaring 99 GB gets 413 at once, before a single body byte, and the connection closes."""
    connection = await raw()
    await connection.send(
        b"POST /api/login HTTP/1.1\r\nHost: kitchen\r\n"
        b"Content-Type: application/json\r\nContent-Length: 99000000000\r\n\r\n"
    )

    response = await connection.response()

    assert response.status == 413
    assert response.headers["connection"] == "close"
    assert response.json() == {
        "error": {
            "code": "payload_too_large",
            "message": "request bodies are limited to 65536 bytes",
        }
    }
    assert await connection.closed_by_server() == b""


@pytest.mark.parametrize("path", ["/api/login", "/api/devices/oven-1/commands"])
async def test_slow_body_times_out(raw: Raw, path: str) -> None:
    """A body that stops arriving gets 408 request_timeout, and the connection closes."""
    connection = await raw()
    await connection.send(
        f"POST {path} HTTP/1.1\r\nHost: kitchen\r\nContent-Length: 100\r\n\r\n".encode()
        + b'{"username": '
    )

    response = await connection.response()

    assert response.status == 408
    assert response.headers["connection"] == "close"
    assert response.json() == {
        "error": {
            "code": "request_timeout",
            "message": f"the body did not arrive within {BODY_TIMEOUT:g} s",
        }
    }
    assert await connection.closed_by_server() == b""


async def test_chunked_body_over_the_limit(raw: Raw) -> None:
    """A chunked body declares no length: it is refused as soon as it grows past 64 KiB."""
    connection = await raw()
    chunk = b"x" * 8192
    await connection.send(
        b"POST /api/login HTTP/1.1\r\nHost: kitchen\r\nTransfer-Encoding: chunked\r\n\r\n"
        + (b"%x\r\n%s\r\n" % (len(chunk), chunk)) * 9
    )

    response = await connection.response()

    assert response.status == 413
    assert response.headers["connection"] == "close"
    assert await connection.closed_by_server() == b""


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
async def test_undecodable_body(raw: Raw, log_watch: LogWatch, encoding: str) -> None:
    """A body that is not what its Content-Encoding says gets 400 bad_request, not a 500 and ERRORs."""
    connection = await raw()
    await connection.send(
        request("POST", "/api/login", b"not compressed", {"Content-Encoding": encoding})
    )

    response = await connection.response()

    assert response.status == 400
    assert response.headers["connection"] == "close"
    assert response.json() == {
        "error": {"code": "bad_request", "message": "the body could not be decoded"}
    }
    assert await connection.closed_by_server() == b""
    # aiohttp, dropping the rest of the body after the answer, meets the error again: DEBUG too.
    assert not log_watch.problems()
    assert "Unhandled exception: RequestPayloadError" in log_watch.messages(
        "smart_kitchen_server.server.http"
    )


async def test_body_in_pieces_within_the_time(raw: Raw) -> None:
    """A body that arrives in several pieces in time is read as usual."""
    body = orjson.dumps({"username": "demo", "password": "demo"})
    connection = await raw()
    await connection.send(request("POST", "/api/login", body)[: -len(body) + 5])
    await connection.send(body[5:])

    response = await connection.response()

    assert response.status == 200


async def test_body_at_the_limit_is_read(raw: Raw) -> None:
    """Exactly 64 KiB is allowed (and then judged as JSON)."""
    connection = await raw()
    await connection.send(request("POST", "/api/login", b" " * MAX_BODY))

    response = await connection.response()

    assert response.status == 400


# Clients that leave mid-request


async def test_clients_leaving_mid_body(raw: Raw, log_watch: LogWatch) -> None:
    """Each client that leaves mid-body costs one short DEBUG line, not an ERROR with a traceback."""
    for _ in range(50):
        connection = await raw()
        await connection.send(
            b"POST /api/devices/oven-1/commands HTTP/1.1\r\nHost: kitchen\r\n"
            b"Content-Length: 100\r\n\r\n{"
        )
        connection.abort()

    await log_watch.wait_for(
        lambda records: sum("left before" in r.getMessage() for r in records) == 50
    )

    assert not log_watch.problems()
    ours = [line for line in log_watch.messages() if "left before" in line]
    assert set(ours) == {
        "127.0.0.1 left before sending the body of POST '/api/devices/oven-1/commands'"
    }
    # Besides, only aiohttp's own notes, which it writes because the tests run the loop in debug mode.
    assert {
        line for line in log_watch.messages() if "left before" not in line
    } <= AIOHTTP_DEBUG_MODE_NOTES
    for record in log_watch.server_records():
        assert (record.levelno, record.exc_info) == (logging.DEBUG, None)


async def test_clients_leaving_mid_websocket(
    raw: Raw,
    server: SmartKitchenServer,
    token: str,
    http: ClientSession,
    log_watch: LogWatch,
) -> None:
    """Clients vanishing from a WebSocket while updates flow each cost a few short INFO lines."""
    response = await http.post(
        "/api/devices/dishwasher-1/commands",
        json={"command": "start", "args": {"program": "quick"}},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status == 200
    subscribe = client_frame(
        orjson.dumps({"type": "subscribe", "deviceIds": ["dishwasher-1"]})
    )
    for _ in range(30):
        connection = await raw()
        await connection.send(websocket_upgrade(token) + subscribe)
        # The upgrade answer and `connected`: the server has the connection.
        await connection.reader.readuntil(b"connected")
        connection.abort()
        # The server sends the update into a socket the client has left.
        await server.tick()
    await server.wait_until(lambda: server.connection_count == 0)

    assert not log_watch.problems()
    lines = log_watch.messages()
    assert lines.count("demo disconnected (close code 1006)") == 30
    assert all(len(line) < 120 for line in lines)
    # connected, subscribed and disconnected: three short lines for each of the 30.
    assert log_watch.size() < 30 * 4 * 120


async def test_malformed_http_is_one_debug_line(raw: Raw, log_watch: LogWatch) -> None:
    """HTTP aiohttp cannot parse gets its plain 400 and costs one DEBUG line, not a traceback."""
    for _ in range(20):
        connection = await raw()
        await connection.send(b"GET /api/info HTTP/1.1\r\nBad Header\r\n\r\n")
        assert (await connection.response()).status == 400
        connection.close()

    lines = log_watch.messages("smart_kitchen_server.server.http")
    assert lines == ["Error handling request from 127.0.0.1: BadHttpMessage"] * 20
    assert not log_watch.problems()
    assert not any(record.exc_info for record in log_watch.records)


@pytest.mark.parametrize(
    "data",
    [
        # aiohttp quotes the start of the head in its message, headers included.
        b"t` /ws HTTP/1.1\nHost: kitchen\nAuthorization: Bearer {token}\n\n",
        # ...and the whole URL when it cannot parse it.
        b"GET http://[/ws?token={token} HTTP/1.1\r\nHost: kitchen\r\n\r\n",
    ],
    ids=["header", "url"],
)
async def test_malformed_http_logs_nothing_of_the_request(
    raw: Raw, token: str, log_watch: LogWatch, data: bytes
) -> None:
    """The DEBUG line of a malformed request names the error only: the request may hold a token."""
    connection = await raw()
    await connection.send(data.replace(b"{token}", token.encode()))

    assert (await connection.response()).status == 400
    (line,) = log_watch.messages("smart_kitchen_server.server.http")
    # Not even part of it: aiohttp's message would hold the first characters of the token.
    assert token[:8] not in line
    assert line.startswith("Error handling request from 127.0.0.1: ")


async def test_malformed_http_is_not_logged_at_info(
    raw: Raw, caplog: pytest.LogCaptureFixture
) -> None:
    """At INFO (the command line's level) a malformed request leaves no line at all."""
    caplog.set_level(logging.INFO)
    connection = await raw()
    await connection.send(b"GET /\x00 HTTP/1.1\r\n\r\n")

    assert (await connection.response()).status == 400
    assert not [r for r in caplog.records if r.name.endswith(".http")]


def test_server_errors_keep_their_traceback(log_watch: LogWatch) -> None:
    """Only the client's faults are demoted: the server's own errors stay ERROR with a traceback."""
    logger = logging.getLogger("smart_kitchen_server.server.http")
    for error in (ConnectionResetError("Connection lost"), ValueError("a bug")):
        # What aiohttp's logger.exception() inside its `except` produces.
        logger.error("Error handling request from %s", "127.0.0.1", exc_info=error)

    gone, bug = log_watch.records
    assert (gone.levelno, gone.getMessage(), gone.exc_info) == (
        logging.DEBUG,
        "Error handling request from 127.0.0.1: ConnectionResetError",
        None,
    )
    assert bug.levelno == logging.ERROR
    assert bug.exc_info is not None
