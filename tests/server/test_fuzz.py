"""Fuzzing the server with hypothesis: REST bodies, raw HTTP requests and WebSocket frames.

Every generated input must get an answer or a clean close. Afterwards the server must still serve a
canary client that was connected all along, must have logged nothing at ERROR (nor a WARNING of its
own), and its log must have stayed small. Each test runs one real server for all of its examples.

Hypothesis drives examples synchronously, so each test runs it in a worker thread that hands every
example to the event loop the server runs on. The default run generates over 1,000 inputs in a
few seconds; `scripts/test -m slow` runs twenty times as many.
"""

import asyncio
from collections import Counter
from collections.abc import AsyncGenerator, Callable, Coroutine
import json
import logging
import string
import struct
from typing import Any
from urllib.parse import quote

from aiohttp import ClientSession
from hypothesis import HealthCheck, given, settings, strategies as st
import orjson
import pytest

from smart_kitchen_server import ServerConfig, SmartKitchenServer
from tests.helpers import FakeClock

from .conftest import TIMEOUT, LogWatch, WsClient
from .wire import RawConnection, client_frame, server_frame, websocket_upgrade

# A check sends one input and returns what became of it, e.g. "400 bad_request" or "closed 1009".
type Check[T] = Callable[[T], Coroutine[Any, Any, str]]

SCALE = pytest.mark.parametrize(
    "scale", [1, pytest.param(20, marks=pytest.mark.slow)], ids=["quick", "long"]
)
REST_EXAMPLES = 400
RAW_HTTP_EXAMPLES = 300
WEBSOCKET_EXAMPLES = 400

DEVICE_IDS = ["oven-1", "fridge-1", "dishwasher-1", "fridge-2", "oven-2", "toaster-1"]
COMPARTMENTS = ["upper", "lower", "main", "fridge", "freezer"]
COMMANDS = [
    "set_target_temperature",
    "set_mode",
    "turn_off",
    "start",
    "pause",
    "resume",
    "cancel",
]
REST_ERROR_STATUSES = {400, 401, 403, 404, 405, 408, 409, 413, 429}


async def fuzz[T](
    examples: int, inputs: st.SearchStrategy[T], check: Check[T]
) -> Counter[str]:
    """Run `check` on the event loop for `examples` generated inputs; count their outcomes."""
    loop = asyncio.get_running_loop()
    outcomes: Counter[str] = Counter()

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(inputs)
    def run(value: T) -> None:
        outcomes[
            asyncio.run_coroutine_threadsafe(check(value), loop).result(TIMEOUT * 2)
        ] += 1

    await asyncio.to_thread(run)
    return outcomes


# Values: any JSON, and JSON shaped like the protocol's bodies and messages.

_INTEGERS = st.integers() | st.integers(min_value=-(2**70), max_value=2**70)
SCALARS = st.none() | st.booleans() | _INTEGERS | st.floats() | st.text(max_size=12)
JSON: st.SearchStrategy[Any] = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=5,
)


def _either(*choices: object) -> st.SearchStrategy[Any]:
    """Half the time one of the given values, else a JSON value of another type."""
    return st.sampled_from(choices) | SCALARS | st.lists(SCALARS, max_size=2)


SHAPED_BODY = st.fixed_dictionaries(
    {},
    optional={
        "username": _either("demo", "alice", "", "x" * 300),
        "password": _either("demo", "alice", "wrong"),
        "command": _either(*COMMANDS),
        "compartment": _either(None, *COMPARTMENTS),
        "args": st.fixed_dictionaries(
            {},
            optional={
                "value": _either(-24, -14, 1, 8, 30, 180, 300, 301, 2.5, True),
                "mode": _either("off", "bake", "convection", "grill", "defrost"),
                "program": _either("eco", "normal", "intensive", "quick"),
            },
        )
        | JSON,
        "open": _either(True, False),
        "type": _either("oven", "fridge", "dishwasher"),
        "name": _either("Cellar Fridge", "", " " * 5, "x" * 65),
    },
)


def _encode(value: object) -> bytes:
    """Serialize like any JSON library would, big integers and NaN included."""
    return json.dumps(value).encode()


# A command that is often valid, so that inputs get past the shape checks to the appliances.
COMMAND_BODY = st.fixed_dictionaries(
    {"command": st.sampled_from(COMMANDS)},
    optional={
        "compartment": st.sampled_from([None, *COMPARTMENTS]),
        "args": st.fixed_dictionaries(
            {},
            optional={
                "value": st.integers(-30, 320) | SCALARS,
                "mode": st.sampled_from(["off", "bake", "convection", "grill", "x"]),
                "program": st.sampled_from(
                    ["eco", "normal", "intensive", "quick", "x"]
                ),
            },
        ),
    },
)
BODIES = (
    COMMAND_BODY.map(_encode)
    | SHAPED_BODY.map(_encode)
    | JSON.map(_encode)
    | st.binary(max_size=80)
    # Cut short: JSON that ends in the middle.
    | st.builds(
        lambda body, cut: body[:cut], SHAPED_BODY.map(_encode), st.integers(0, 40)
    )
)


# REST bodies


DEMO_IDS = ["oven-1", "fridge-1", "dishwasher-1"]
# Endpoints with the body each expects most; any other body is tried on each too.
ENDPOINTS = [
    ("POST", "/api/login", SHAPED_BODY),
    ("POST", "/api/devices/{}/commands", COMMAND_BODY),
    ("POST", "/api/devices/{}/commands", COMMAND_BODY),
    (
        "POST",
        "/api/simulation/devices/{}/door",
        st.fixed_dictionaries(
            {"open": st.booleans()},
            optional={"compartment": st.sampled_from([None, *COMPARTMENTS])},
        ),
    ),
    (
        "POST",
        "/api/simulation/devices",
        st.fixed_dictionaries(
            {
                "type": st.sampled_from(["oven", "fridge", "dishwasher", "toaster"]),
                "name": st.text(max_size=70),
            }
        ),
    ),
    ("DELETE", "/api/simulation/devices/{}", st.just(None)),
    ("GET", "/api/devices", st.just(None)),
    ("PUT", "/api/devices/{}/commands", COMMAND_BODY),
]


@st.composite
def rest_requests(draw: st.DrawFn) -> tuple[str, str, str, bytes]:
    """Return method, path, which token to send, and body."""
    method, template, expected = draw(st.sampled_from(ENDPOINTS))
    body = draw(
        expected.map(lambda value: b"" if value is None else _encode(value)) | BODIES
    )
    # Removing demo's own appliances would leave nothing to command: remove installed ones.
    ids = (
        ["oven-2", "fridge-3", "dishwasher-2", "fridge-2"]
        if method == "DELETE"
        else DEVICE_IDS
    )
    device_id = draw(
        st.sampled_from(DEMO_IDS) | st.sampled_from(ids) | st.text(max_size=20)
    )
    token = draw(st.sampled_from(["demo", "demo", "demo", "demo", "none", "junk"]))
    return method, template.format(quote(device_id, safe="")), token, body


@pytest.fixture(autouse=True)
async def production_loop(enable_event_loop_debug: None) -> None:
    """Run the loop out of debug mode, as the server runs for real.

    Home Assistant's test plugin turns debug mode on for every test; it records a stack trace for
    every callback and future, which makes a fuzz run several times slower.
    """
    asyncio.get_running_loop().set_debug(False)


@pytest.fixture
async def server(
    production_loop: None, config: ServerConfig, clock: FakeClock
) -> AsyncGenerator[SmartKitchenServer]:
    """Run a server whose body timeout ends the wait for a body that was declared longer quickly."""
    async with SmartKitchenServer(
        config, clock=clock, header_timeout=1.0, body_timeout=0.05
    ) as server:
        yield server


class Canary:
    """A client connected through the whole fuzzing, reading all along (which answers pings)."""

    def __init__(self, client: WsClient, token: str) -> None:
        """Start reading a subscribed client's socket."""
        self.token = token
        self._ws = client.ws
        self._messages: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        """Queue every message until the socket closes, then say it closed."""
        async for msg in self._ws:
            self._messages.put_nowait(orjson.loads(msg.data))
        self._messages.put_nowait({"type": "closed", "code": self._ws.close_code})

    async def receive(self) -> dict[str, Any]:
        """Return the next message."""
        async with asyncio.timeout(TIMEOUT):
            return await self._messages.get()

    async def stop(self) -> None:
        """Stop reading."""
        self._reader.cancel()
        await asyncio.gather(self._reader, return_exceptions=True)


@pytest.fixture
async def canary(
    connect: Callable[..., Any], login: Callable[..., Any]
) -> AsyncGenerator[Canary]:
    """Connect alice, subscribed to her fridge: the client that must keep being served."""
    token: str = await login("alice")
    client: WsClient = await connect(token)
    await client.subscribe(["fridge-2"])
    canary = Canary(client, token)
    yield canary
    await canary.stop()


async def assert_canary_served(http: ClientSession, canary: Canary) -> None:
    """Change the canary's fridge and see the update reach it."""
    response = await http.post(
        "/api/simulation/devices/fridge-2/door",
        json={"compartment": "fridge", "open": True},
        headers={"Authorization": f"Bearer {canary.token}"},
    )
    assert response.status == 200
    update = await canary.receive()
    assert (update["type"], update.get("deviceId"), update.get("compartment")) == (
        "device_update",
        "fridge-2",
        "fridge",
    )
    assert update["state"]["doorOpen"] is True


def assert_log_quiet(log_watch: LogWatch, inputs: int) -> None:
    """No ERROR anywhere, no WARNING of the server's, no long line, and a small log overall."""
    assert not [r for r in log_watch.records if r.levelno >= logging.ERROR]
    assert not [r for r in log_watch.server_records() if r.levelno >= logging.WARNING]
    assert not [r for r in log_watch.server_records() if len(r.getMessage()) > 300]
    assert log_watch.size() < inputs * 300


@SCALE
async def test_fuzz_rest_bodies(
    http: ClientSession,
    token: str,
    canary: Canary,
    log_watch: LogWatch,
    *,
    scale: int,
) -> None:
    """Any body on any endpoint gets a protocol answer: a result or the error envelope, never 500."""
    tokens = {"demo": token, "junk": "not-a-token"}

    async def check(request: tuple[str, str, str, bytes]) -> str:
        method, path, token_kind, body = request
        headers = (
            {"Authorization": f"Bearer {tokens[token_kind]}"}
            if token_kind in tokens
            else {}
        )
        async with http.request(method, path, data=body, headers=headers) as response:
            status, payload = response.status, await response.read()
        if status in REST_ERROR_STATUSES:
            error = orjson.loads(payload)["error"]
            assert isinstance(error["code"], str), error
            assert isinstance(error["message"], str), error
            return f"{status} {error['code']}"
        if status in {200, 201}:
            assert isinstance(orjson.loads(payload), dict)
        else:
            assert status == 204, (status, payload)
        return str(status)

    examples = REST_EXAMPLES * scale
    outcomes = await fuzz(examples, rest_requests(), check)

    # The inputs reached the handlers, not only the body checks in front of them.
    assert {
        "200",
        "400 bad_request",
        "400 invalid_command",
        "401 unauthorized",
        "404 unknown_device",
    } <= set(outcomes), outcomes

    await assert_canary_served(http, canary)
    assert_log_quiet(log_watch, examples)


# Raw HTTP requests

_PRINTABLE = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=16
)
HEADER_NAMES = [
    "Host",
    "Content-Length",
    "Transfer-Encoding",
    "Connection",
    "Upgrade",
    "Authorization",
    "Expect",
    "Content-Type",
    "Content-Encoding",
    "Sec-WebSocket-Key",
    "Sec-WebSocket-Version",
]
HEADER_VALUES = [
    "0",
    "5",
    "-1",
    "99999999999",
    "chunked",
    "gzip",
    "deflate, chunked",
    "close",
    "keep-alive",
    "websocket",
    "Upgrade",
    "100-continue",
    "Bearer x",
    "application/json",
    "dGhlIHNhbXBsZSBub25jZQ==",
    "13",
]


RAW_PATHS = [
    "/api/info",
    "/api/login",
    "/api/devices",
    "/api/devices/oven-1/commands",
    "/api/simulation/devices",
    "/ws",
    "/nothing",
]
# What may be broken in a request; each input breaks up to three of these.
FAULTS = [
    "method",
    "target",
    "version",
    "host",
    "header",
    "newline",
    "length",
    "chunks",
    "encoding",
]


@st.composite
def raw_requests(draw: st.DrawFn) -> bytes:
    """Return the bytes of a valid request with up to three faults in its line, headers or framing."""
    method = draw(st.sampled_from(["GET", "POST", "POST", "DELETE", "PUT", "HEAD"]))
    target = draw(st.sampled_from(RAW_PATHS))
    version = "HTTP/1.1"
    headers = [("Host", "kitchen")]
    if draw(st.booleans()):
        headers.append(("Authorization", "Bearer {token}"))  # the check fills in demo's
    body = draw(BODIES | st.just(b""))
    framing = draw(st.sampled_from(["length", "length", "chunked", "none"]))
    newline = "\r\n"
    for fault in sorted(draw(st.sets(st.sampled_from(FAULTS), max_size=3))):
        if fault == "method":
            method = draw(
                st.text(alphabet=string.ascii_letters + string.punctuation, max_size=8)
            )
        elif fault == "target":
            target = draw(
                st.sampled_from(["*", "", "//", "/%zz", "http://x/y", "/api/../ws"])
                | _PRINTABLE.map(lambda text: "/" + text)
            )
        elif fault == "version":
            version = draw(
                st.sampled_from(["HTTP/1.0", "HTTP/1.2", "HTTP/2", "http/1.1", ""])
            )
        elif fault == "host":
            headers = []
        elif fault == "header":
            headers.append(
                draw(
                    st.tuples(
                        st.sampled_from(HEADER_NAMES) | _PRINTABLE,
                        st.sampled_from(HEADER_VALUES)
                        | _INTEGERS.map(str)
                        | _PRINTABLE,
                    )
                )
            )
        elif fault == "newline":
            newline = "\n"
        elif fault == "length":
            framing = "wrong length"
        elif fault == "chunks":
            framing = "broken chunks"
        else:
            # A body that claims a compression it does not have (or one nobody knows).
            encodings = ["gzip", "deflate", "br", "zstd", "identity", "x"]
            headers.append(("Content-Encoding", draw(st.sampled_from(encodings))))
    if framing == "length":
        headers.append(("Content-Length", str(len(body))))
    elif framing == "wrong length":
        # Mostly refused at once; one longer than the body waits for the body timeout.
        lengths = ["-1", "1 2", "0x10", "+5", "99999999999", str(len(body) + 1)]
        headers.append(("Content-Length", draw(st.sampled_from(lengths))))
    elif framing == "chunked":
        headers.append(("Transfer-Encoding", "chunked"))
        body = (b"%x\r\n%s\r\n" % (len(body), body) if body else b"") + b"0\r\n\r\n"
    elif framing == "broken chunks":
        headers.append(("Transfer-Encoding", "chunked"))
        body = draw(st.sampled_from([b"zz\r\n", b"5\r\nab\r\n0\r\n\r\n", b"-1\r\n"]))
    lines = [f"{method} {target} {version}", *(f"{n}: {v}" for n, v in headers)]
    return (newline.join(lines) + newline * 2).encode() + body


async def read_answer(connection: RawConnection, head_request: bool) -> str:
    """Read the final response (after any 100 Continue) or the server's close; reject 500."""
    while True:
        try:
            head = await connection.reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as err:
            partial = err.partial
            assert partial == b"", partial  # closed: cleanly, not mid-response
            return "closed"
        except ConnectionResetError:
            return "reset"  # closed while the rest of our request was unread
        status_line, _, header_block = head.decode("latin-1").partition("\r\n")
        assert status_line.startswith(("HTTP/1.1 ", "HTTP/1.0 ")), status_line
        status = int(status_line.split()[1])
        assert status < 500 or status in {501, 505}, head
        if status == 100:
            continue
        headers = dict(
            line.lower().split(": ", 1) for line in header_block.strip().split("\r\n")
        )
        if "content-length" in headers and not head_request:
            await connection.reader.readexactly(int(headers["content-length"]))
        if headers.get("connection") == "close":
            # Wait for the close, so that no handler outlives the test.
            await connection.closed_by_server()
        return str(status)


@SCALE
async def test_fuzz_raw_http(
    server: SmartKitchenServer,
    http: ClientSession,
    token: str,
    canary: Canary,
    log_watch: LogWatch,
    *,
    scale: int,
) -> None:
    """Broken request lines, headers and framing get an answer or a close, never a 500 or a hang."""

    async def check(data: bytes) -> str:
        connection = await RawConnection.open(server.port)
        await connection.send(data.replace(b"{token}", token.encode()))
        async with asyncio.timeout(TIMEOUT):
            outcome = await read_answer(connection, data.startswith(b"HEAD "))
        connection.close()
        return outcome

    examples = RAW_HTTP_EXAMPLES * scale
    outcomes = await fuzz(examples, raw_requests(), check)

    assert {"200", "400", "404"} <= set(outcomes), outcomes
    await assert_canary_served(http, canary)
    assert_log_quiet(log_watch, examples)


# WebSocket frames

MESSAGES = st.fixed_dictionaries(
    {"type": _either("subscribe", "unsubscribe", "ping", "")},
    optional={
        "deviceIds": st.lists(
            st.sampled_from(DEVICE_IDS) | st.text(max_size=10), max_size=5
        )
        | JSON,
        "lastAlertId": _INTEGERS | JSON,
    },
)
BARRIER = {"type": "unsubscribe", "deviceIds": []}
FRAMES = st.lists(
    MESSAGES.map(lambda message: client_frame(_encode(message)))
    | JSON.map(lambda value: client_frame(_encode(value)))
    | st.binary(max_size=64).map(lambda payload: client_frame(payload, 0x1))
    | st.binary(max_size=64).map(lambda payload: client_frame(payload, 0x2))
    | st.builds(
        client_frame,
        st.binary(max_size=140),
        st.sampled_from([0x0, 0x3, 0x8, 0x9, 0xA, 0xB, 0xF]),
        fin=st.booleans(),
        rsv=st.integers(0, 7),
        masked=st.booleans(),
    ),
    min_size=1,
    max_size=3,
)


class WebSocketFuzzer:
    """One raw WebSocket at a time, reopened whenever the server closed the last one."""

    def __init__(self, port: int, token: str) -> None:
        """Connect lazily to the server as the token's user."""
        self._port = port
        self._token = token
        self._connection: RawConnection | None = None

    async def _open(self) -> RawConnection:
        """Open an authenticated socket and read past `connected`."""
        connection = await RawConnection.open(self._port)
        await connection.send(websocket_upgrade(self._token))
        head = await connection.reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101 "), head
        opcode, payload = await server_frame(connection.reader)
        assert (opcode, orjson.loads(payload)["type"]) == (0x1, "connected")
        return connection

    async def check(self, frames: list[bytes]) -> str:
        """Send the frames and a barrier; the barrier's answer or a close must follow."""
        if self._connection is None:
            self._connection = await self._open()
        connection = self._connection
        await connection.send(b"".join(frames) + client_frame(_encode(BARRIER)))
        async with asyncio.timeout(TIMEOUT):
            while True:
                try:
                    opcode, payload = await server_frame(connection.reader)
                except asyncio.IncompleteReadError, ConnectionError:
                    # Closed without a close frame (a broken frame of ours may have been the last
                    # straw), or while we were still writing.
                    outcome = "dropped"
                    break
                if opcode == 0x8:
                    code = struct.unpack("!H", payload[:2])[0] if payload else None
                    assert code in {None, 1000, 1002, 1003, 1007, 1008, 1009}, payload
                    outcome = f"closed {code}"
                    break
                if opcode == 0x1:
                    message = orjson.loads(payload)
                    assert isinstance(message.get("type"), str), message
                    if message == {"type": "unsubscribed", "deviceIds": []}:
                        return "answered"
        connection.abort()
        self._connection = None
        return outcome

    def close(self) -> None:
        """Close the current socket, if any."""
        if self._connection is not None:
            self._connection.close()


@SCALE
async def test_fuzz_websocket_frames(
    server: SmartKitchenServer,
    http: ClientSession,
    token: str,
    canary: Canary,
    log_watch: LogWatch,
    *,
    scale: int,
) -> None:
    """Messages of any shape and frames a client must not send get an answer or a clean close."""
    fuzzer = WebSocketFuzzer(server.port, token)

    examples = WEBSOCKET_EXAMPLES * scale
    outcomes = await fuzz(examples, FRAMES, fuzzer.check)
    fuzzer.close()
    assert {"answered", "closed 1002"} <= set(outcomes), outcomes

    await assert_canary_served(http, canary)
    await server.wait_until(lambda: server.connection_count == 1)
    assert_log_quiet(log_watch, examples)
