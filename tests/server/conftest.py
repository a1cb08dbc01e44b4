"""Fixtures for the reference server's tests: a real server on 127.0.0.1 and real clients."""

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator
from datetime import UTC, datetime
import logging
from typing import Any

from aiohttp import ClientSession, ClientWebSocketResponse, WSMsgType
import orjson
import pytest

from smart_kitchen_server import ServerConfig, SmartKitchenServer
from tests.helpers import FakeClock

# Every wait is bounded: a missing message fails the test quickly instead of hanging it.
TIMEOUT = 5.0
# Where the server's clock stands in these tests.
START = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


class WsClient:
    """A protocol client on top of aiohttp's WebSocket, with bounded waits."""

    def __init__(self, ws: ClientWebSocketResponse) -> None:
        """Wrap an open WebSocket."""
        self.ws = ws

    async def send(self, message: dict[str, Any]) -> None:
        """Send one JSON message."""
        await self.ws.send_str(orjson.dumps(message).decode())

    async def receive(self) -> dict[str, Any]:
        """Return the next JSON message."""
        async with asyncio.timeout(TIMEOUT):
            msg = await self.ws.receive()
        assert msg.type is WSMsgType.TEXT, msg
        message: dict[str, Any] = orjson.loads(msg.data)
        return message

    async def receive_many(self, count: int) -> list[dict[str, Any]]:
        """Return the next `count` messages."""
        return [await self.receive() for _ in range(count)]

    async def receive_until(
        self, predicate: Callable[[dict[str, Any]], bool]
    ) -> list[dict[str, Any]]:
        """Return every message up to and including the first one matching the predicate."""
        received = []
        while True:
            message = await self.receive()
            received.append(message)
            if predicate(message):
                return received

    async def subscribe(
        self,
        device_ids: list[str],
        last_alert_id: int | None = None,
        snapshot: int | None = None,
    ) -> list[dict[str, Any]]:
        """Subscribe; return the `subscribed` answer and the snapshot (demo sizes unless given)."""
        message: dict[str, Any] = {"type": "subscribe", "deviceIds": device_ids}
        if last_alert_id is not None:
            message["lastAlertId"] = last_alert_id
        await self.send(message)
        received = await self.receive_until(lambda m: m["type"] == "subscribed")
        if snapshot is None:
            snapshot = sum(
                1 if device_id.startswith("dishwasher") else 2
                for device_id in received[-1]["deviceIds"]
            )
        return received + await self.receive_many(snapshot)

    async def subscribe_with_status(
        self, device_ids: list[str], snapshot: int
    ) -> list[dict[str, Any]]:
        """Subscribe asking for device_status; return `subscribed` (the first answer) and the snapshot."""
        await self.send(
            {"type": "subscribe", "deviceIds": device_ids, "deviceStatus": True}
        )
        subscribed = await self.receive()
        assert subscribed["type"] == "subscribed"
        return [subscribed, *await self.receive_many(snapshot)]

    async def barrier(self) -> None:
        """Prove nothing else is queued: an empty unsubscribe's answer must be the next message."""
        await self.send({"type": "unsubscribe", "deviceIds": []})
        assert await self.receive() == {"type": "unsubscribed", "deviceIds": []}

    async def closed(self) -> tuple[int | None, str]:
        """Wait for the server to close the socket; return the close code and reason."""
        async with asyncio.timeout(TIMEOUT):
            while True:
                msg = await self.ws.receive()
                if msg.type is WSMsgType.CLOSE:
                    return msg.data, msg.extra or ""
                if msg.type in (WSMsgType.CLOSED, WSMsgType.ERROR):
                    return self.ws.close_code, ""


class LogWatch(logging.Handler):
    """Every log record of the test, with a way to wait for the ones an event produces."""

    def __init__(self) -> None:
        """Start with no records."""
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self._changed = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the record and wake waiters."""
        self.records.append(record)
        self._changed.set()

    async def wait_for(
        self, predicate: Callable[[list[logging.LogRecord]], bool]
    ) -> None:
        """Return once the records satisfy the predicate (checked after each new record)."""
        async with asyncio.timeout(TIMEOUT):
            while not predicate(self.records):
                self._changed.clear()
                await self._changed.wait()

    def server_records(self) -> list[logging.LogRecord]:
        """Return the records of the server and its HTTP layer (not asyncio's debug-mode chatter)."""
        return [
            record
            for record in self.records
            if record.name.startswith(("smart_kitchen_server", "aiohttp"))
        ]

    def messages(self, logger_prefix: str = "smart_kitchen_server") -> list[str]:
        """Return the formatted messages of the loggers under a name."""
        return [
            record.getMessage()
            for record in self.records
            if record.name.startswith(logger_prefix)
        ]

    def problems(self) -> list[logging.LogRecord]:
        """Return the records at WARNING or above (but asyncio's debug-mode slow-callback notes)."""
        return [
            record
            for record in self.records
            if record.levelno >= logging.WARNING
            and not (record.name == "asyncio" and record.msg.startswith("Executing "))
        ]

    def size(self) -> int:
        """Return how many characters the server's records take in a log file, tracebacks included."""
        formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
        return sum(
            len(formatter.format(record)) + 1 for record in self.server_records()
        )


@pytest.fixture(autouse=True)
def allow_local_sockets(socket_enabled: None) -> None:
    """Let these tests open sockets (pytest-socket still only allows 127.0.0.1)."""


@pytest.fixture
def clock() -> FakeClock:
    """Return the clock the server reads, standing at a fixed moment so timestamps are predictable."""
    return FakeClock(stopped_at=START)


@pytest.fixture
def server_clock(clock: FakeClock) -> FakeClock:
    """Give the shared `server` fixture this suite's clock (`clock` is the short name used here)."""
    return clock


@pytest.fixture
def config() -> ServerConfig:
    """Return the embedded demo without automatic ticking: tests step the simulation."""
    return ServerConfig.demo(tick=None)


@pytest.fixture
def server_config(config: ServerConfig) -> ServerConfig:
    """Give the shared `server` fixture this suite's config (`config` is the short name used here)."""
    return config


@pytest.fixture
async def http(server: SmartKitchenServer) -> AsyncGenerator[ClientSession]:
    """Open an HTTP session on the server's URL; it closes before the server stops."""
    async with ClientSession(base_url=server.url) as session:
        yield session


@pytest.fixture
def login(http: ClientSession) -> Callable[..., Awaitable[str]]:
    """Log in and return the token."""

    async def _login(username: str = "demo", password: str | None = None) -> str:
        response = await http.post(
            "/api/login", json={"username": username, "password": password or username}
        )
        assert response.status == 200, await response.text()
        token: str = (await response.json())["token"]
        return token

    return _login


@pytest.fixture
async def token(login: Callable[..., Awaitable[str]]) -> str:
    """Log in as `demo` and return the token."""
    return await login()


@pytest.fixture
def auth(token: str) -> dict[str, str]:
    """Headers authenticating as `demo`."""
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def connect(
    http: ClientSession,
) -> AsyncGenerator[Callable[..., Awaitable[WsClient]]]:
    """Open a WebSocket; by default authenticated by header and past the `connected` message."""
    opened: list[ClientWebSocketResponse] = []

    async def _connect(
        token: str | None,
        *,
        query: bool = False,
        expect_connected: bool = True,
        **kwargs: Any,
    ) -> WsClient:
        headers = {"Authorization": f"Bearer {token}"} if token and not query else {}
        params = {"token": token} if token and query else {}
        ws = await http.ws_connect("/ws", headers=headers, params=params, **kwargs)
        opened.append(ws)
        client = WsClient(ws)
        if expect_connected:
            assert (await client.receive())["type"] == "connected"
        return client

    yield _connect
    # Closing each socket releases its connection (and the request timer aiohttp keeps for it).
    for ws in opened:
        await ws.close()


@pytest.fixture
async def client(connect: Callable[..., Awaitable[WsClient]], token: str) -> WsClient:
    """Connect a WebSocket as `demo`, not yet subscribed."""
    return await connect(token)


def device_path(device_id: str, *parts: str) -> str:
    """Build a REST path under /api/devices/{id}."""
    return "/".join(("/api/devices", device_id, *parts))


@pytest.fixture
def command(
    http: ClientSession, auth: dict[str, str]
) -> Callable[..., Awaitable[tuple[int, dict[str, Any]]]]:
    """Send a command as `demo`; return status and body."""

    async def _command(
        device_id: str, body: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        response = await http.post(
            device_path(device_id, "commands"), json=body, headers=auth
        )
        return response.status, await response.json()

    return _command


@pytest.fixture
def door(
    http: ClientSession, auth: dict[str, str]
) -> Callable[..., Awaitable[dict[str, Any]]]:
    """Open or close a door as `demo` and return the device."""

    async def _door(
        device_id: str, compartment: str | None, door_open: bool
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"open": door_open}
        if compartment is not None:
            body["compartment"] = compartment
        response = await http.post(
            f"/api/simulation/devices/{device_id}/door", json=body, headers=auth
        )
        assert response.status == 200, await response.text()
        device: dict[str, Any] = await response.json()
        return device

    return _door


@pytest.fixture
def no_tokens_logged(caplog: pytest.LogCaptureFixture) -> Iterator[list[str]]:
    """Collect tokens the test hands out and check afterwards that no log line contains one."""
    tokens: list[str] = []
    yield tokens
    for record in caplog.records:
        text = record.getMessage()
        for secret in tokens:
            assert secret not in text, record


@pytest.fixture
def log_watch() -> Iterator[LogWatch]:
    """Capture every log record at DEBUG and up while the test runs."""
    watch = LogWatch()
    root = logging.getLogger()
    level = root.level
    root.addHandler(watch)
    root.setLevel(logging.DEBUG)
    yield watch
    root.removeHandler(watch)
    root.setLevel(level)
