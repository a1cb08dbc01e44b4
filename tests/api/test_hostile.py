"""Tests for the connection manager against small test servers that speak (or break) the protocol."""

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
import logging
from typing import Any

import aiohttp
from aiohttp import web
import orjson
import pytest

from custom_components.smart_kitchen.api import (
    Alert,
    Appliance,
    Backoff,
    Connected,
    ConnectionState,
    ConnectionStateChanged,
    Device,
    DeviceAdded,
    DeviceRemoved,
    DeviceType,
    DeviceUpdate,
    Event,
    ServerError,
    SmartKitchenClient,
    Subscribed,
    problems as problems_module,
)

from .conftest import DEMO, DISHWASHER_IDLE, WAIT, Running, StartConnection

type Script = Callable[["FakeKitchen", web.WebSocketResponse], Awaitable[None]]

TS = "2026-11-27T07:51:02.000Z"
UPDATE: dict[str, Any] = {
    "type": "device_update",
    "deviceId": "dishwasher-1",
    "deviceType": "dishwasher",
    "compartment": None,
    "state": DISHWASHER_IDLE,
    "ts": TS,
}


def counting(draws: list[float]) -> Callable[[], float]:
    """Return a random source that always draws 1.0 and records each draw."""

    def draw() -> float:
        draws.append(1.0)
        return 1.0

    return draw


def alert(alert_id: int) -> dict[str, Any]:
    """Return an alert message for the dishwasher."""
    return {
        "type": "alert",
        "id": alert_id,
        "deviceId": "dishwasher-1",
        "deviceType": "dishwasher",
        "compartment": None,
        "alertType": "program_finished",
        "message": "done",
        "ts": TS,
    }


def connected(boot_id: str = "boot-a") -> dict[str, Any]:
    """Return the server's first message."""
    return {
        "type": "connected",
        "userId": "u",
        "serverId": "s",
        "bootId": boot_id,
        "protocol": 1,
    }


@dataclass
class FakeKitchen:
    """A fake server: counts logins, records what clients send, plays one script per WebSocket."""

    scripts: list[Script]
    login_statuses: list[int] = field(default_factory=lambda: [200])
    logins: int = 0
    upgrades: list[str] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)
    # Answers of `GET /api/devices`, in order (the last one repeats): a status, or the list.
    device_lists: list[int | list[dict[str, Any]]] = field(default_factory=lambda: [[]])
    device_requests: int = 0
    message_arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def login(self, request: web.Request) -> web.Response:
        """Answer logins with the next scripted status (the last one repeats)."""
        status = self.login_statuses[min(self.logins, len(self.login_statuses) - 1)]
        self.logins += 1
        if status != 200:
            return web.json_response(
                {"error": {"code": "invalid_credentials", "message": "no"}},
                status=status,
            )
        return web.json_response(
            {"token": f"token-{self.logins}", "userId": "u", "expiresAt": TS}
        )

    async def devices(self, request: web.Request) -> web.Response:
        """Answer the appliance list with the next scripted answer (the last one repeats)."""
        answer = self.device_lists[
            min(self.device_requests, len(self.device_lists) - 1)
        ]
        self.device_requests += 1
        if isinstance(answer, int):
            return web.Response(status=answer)
        return web.json_response({"devices": answer})

    async def websocket(self, request: web.Request) -> web.WebSocketResponse:
        """Run the script of this connection (the last one repeats)."""
        self.upgrades.append(request.headers.get("Authorization", ""))
        script = self.scripts[min(len(self.upgrades) - 1, len(self.scripts) - 1)]
        ws = web.WebSocketResponse(autoping=False)
        await ws.prepare(request)
        await script(self, ws)
        await ws.close()
        return ws

    async def next_message(self, ws: web.WebSocketResponse) -> dict[str, Any] | None:
        """Return the next JSON message from the client, or None when it closed."""
        async for msg in ws:
            if msg.type is aiohttp.WSMsgType.TEXT:
                message: dict[str, Any] = orjson.loads(msg.data)
                self.received.append(message)
                self.message_arrived.set()
                return message
        return None

    async def drain(self, ws: web.WebSocketResponse) -> None:
        """Record client messages until the client closes."""
        while await self.next_message(ws) is not None:
            pass

    def subscribes(self) -> list[dict[str, Any]]:
        """Return the subscribe messages received so far."""
        return [message for message in self.received if message["type"] == "subscribe"]


def standard(
    *frames: object, boot_id: str = "boot-a", close: int | None = None
) -> Script:
    """Script: connected, await subscribe, subscribed + the frames; then close with `close` or serve on."""

    async def script(kitchen: FakeKitchen, ws: web.WebSocketResponse) -> None:
        await ws.send_json(connected(boot_id))
        subscribe = await kitchen.next_message(ws)
        assert subscribe is not None
        await ws.send_json({"type": "subscribed", "deviceIds": subscribe["deviceIds"]})
        for frame in frames:
            if isinstance(frame, bytes):
                await ws.send_bytes(frame)
            elif isinstance(frame, str):
                await ws.send_str(frame)
            else:
                await ws.send_json(frame)
        if close is not None:
            await ws.close(code=close, message=b"bye")
            return
        await kitchen.drain(ws)

    return script


@pytest.fixture
async def kitchen_url(
    fake_server: Callable[..., Awaitable[str]],
) -> Callable[[FakeKitchen], Awaitable[str]]:
    """Serve a FakeKitchen and return its base URL."""

    async def serve(kitchen: FakeKitchen) -> str:
        return await fake_server(
            [
                ("POST", "/api/login", kitchen.login),
                ("GET", "/api/devices", kitchen.devices),
                ("GET", "/ws", kitchen.websocket),
            ]
        )

    return serve


async def start(
    kitchen: FakeKitchen,
    kitchen_url: Callable[[FakeKitchen], Awaitable[str]],
    session: aiohttp.ClientSession,
    start_connection: StartConnection,
    *,
    token: str | None = None,
    request_timeout: float = 5.0,
    **options: Any,
) -> Running:
    """Connect a SmartKitchenConnection to a fake kitchen (which has no appliance list: fixed ids)."""
    client = SmartKitchenClient(
        await kitchen_url(kitchen),
        session,
        username=DEMO,
        password=DEMO,
        request_timeout=request_timeout,
    )
    client.token = token
    return await start_connection(client, device_ids=["dishwasher-1"], **options)


async def test_malformed_and_unknown_messages(
    kitchen_url: Callable[[FakeKitchen], Awaitable[str]],
    session: aiohttp.ClientSession,
    start_connection: StartConnection,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Malformed messages are counted, warned about once per kind and interval, and skipped.

    Unknown message types are ignored (debug).
    """
    caplog.set_level(logging.DEBUG, logger="custom_components.smart_kitchen.api")
    kitchen = FakeKitchen(
        [
            standard(
                "not json",
                "[1, 2]",
                {"type": 5},
                {**alert(1), "id": "one"},
                {**UPDATE, "state": {**UPDATE["state"], "status": "steaming"}},
                b'{"type": "subscribed", "deviceIds": []}',
                "{{",
                {"type": "firmware_update", "version": "2"},
                {**UPDATE, "newField": {"nested": True}},
                "}",
            )
        ]
    )
    running = await start(kitchen, kitchen_url, session, start_connection)
    recorder = running.recorder

    def speed_up_logging(event: Event) -> None:
        # From the first valid update on, every malformed message is reported.
        if isinstance(event, DeviceUpdate):
            monkeypatch.setattr(problems_module, "MALFORMED_LOG_INTERVAL", 0.0)

    recorder.hook = speed_up_logging
    await recorder.wait_until(lambda: running.connection.stats.messages == 12)

    assert [
        type(event)
        for event in recorder.events
        if not isinstance(event, ConnectionStateChanged)
    ] == [
        Connected,
        Subscribed,
        DeviceUpdate,
    ]
    stats = running.connection.stats
    assert stats.malformed_messages == 8
    assert running.connection.state is ConnectionState.CONNECTED
    reports = [r for r in caplog.records if "malformed" in r.getMessage()]
    assert all(report.levelno == logging.WARNING for report in reports)
    # Five kinds (not JSON, not a message object, Alert.id, the state, a binary frame), each once;
    # the second "not JSON" is held back until the interval is over, then counted in the report.
    assert len(reports) == 6
    assert "(0 more of this kind skipped since the last report): Not JSON" in (
        reports[0].getMessage()
    )
    assert "(1 more of this kind skipped since the last report): Not JSON" in (
        reports[-1].getMessage()
    )
    assert "Ignoring a message of an unknown type" in caplog.text


async def test_oversized_message_drops_the_link(
    kitchen_url: Callable[[FakeKitchen], Awaitable[str]],
    session: aiohttp.ClientSession,
    start_connection: StartConnection,
) -> None:
    """A frame over the size limit is counted; the link is dropped and re-established."""
    kitchen = FakeKitchen([standard("x" * 4096), standard(UPDATE)])
    running = await start(
        kitchen, kitchen_url, session, start_connection, max_message_size=1024
    )
    recorder = running.recorder
    await recorder.wait_until(lambda: recorder.of(DeviceUpdate))
    assert running.connection.stats.malformed_messages == 1
    disconnected = [
        e
        for e in recorder.of(ConnectionStateChanged)
        if e.state is ConnectionState.DISCONNECTED
    ]
    assert len(disconnected) == 1
    assert "broken frame" in (disconnected[0].reason or "")
    assert len(kitchen.upgrades) == 2


async def test_stale_token_is_replaced_by_one_login(
    kitchen_url: Callable[[FakeKitchen], Awaitable[str]],
    session: aiohttp.ClientSession,
    start_connection: StartConnection,
) -> None:
    """1008 after connect: log in once, reconnect at once (no backoff), carry on."""

    async def reject(kitchen: FakeKitchen, ws: web.WebSocketResponse) -> None:
        await ws.send_json(connected())
        await ws.close(code=1008, message=b"Unauthorized")

    draws: list[float] = []
    kitchen = FakeKitchen([reject, standard(UPDATE)])
    running = await start(
        kitchen,
        kitchen_url,
        session,
        start_connection,
        token="stale",
        backoff=Backoff(steps=(), minimum=0.01, maximum=0.05, rand=counting(draws)),
    )
    recorder = running.recorder
    await recorder.wait_until(lambda: recorder.of(DeviceUpdate))
    assert kitchen.logins == 1
    assert kitchen.upgrades == ["Bearer stale", "Bearer token-1"]
    assert draws == []
    assert recorder.states() == [
        ConnectionState.CONNECTING,
        ConnectionState.CONNECTED,
        ConnectionState.DISCONNECTED,
        ConnectionState.CONNECTING,
        ConnectionState.CONNECTED,
    ]
    assert (
        recorder.of(ConnectionStateChanged)[2].reason
        == "token refused: closed with 1008 Unauthorized"
    )


async def test_fresh_token_refused_backs_off(
    kitchen_url: Callable[[FakeKitchen], Awaitable[str]],
    session: aiohttp.ClientSession,
    start_connection: StartConnection,
) -> None:
    """A server refusing even fresh tokens gets one login per backoff, never a hot loop.

    The first refusal is retried at once (the token may just have gone stale); every refusal
    right after another one waits for the backoff.
    """

    async def reject(kitchen: FakeKitchen, ws: web.WebSocketResponse) -> None:
        await ws.close(code=1008, message=b"Unauthorized")

    draws: list[float] = []
    kitchen = FakeKitchen([reject])
    running = await start(
        kitchen,
        kitchen_url,
        session,
        start_connection,
        backoff=Backoff(steps=(), minimum=0.01, maximum=0.05, rand=counting(draws)),
    )
    recorder = running.recorder
    await recorder.wait_for_state(ConnectionState.DISCONNECTED, count=3)
    await running.connection.close()
    attempts = recorder.states().count(ConnectionState.CONNECTING)
    assert kitchen.logins == attempts
    # Every retry but the first waited for a backoff delay.
    assert len(draws) == recorder.states().count(ConnectionState.DISCONNECTED) - 1
    assert len(draws) >= 2
    assert ConnectionState.AUTH_FAILED not in recorder.states()


async def test_upgrade_refused_with_401(
    kitchen_url: Callable[[FakeKitchen], Awaitable[str]],
    fake_server: Callable[..., Awaitable[str]],
    session: aiohttp.ClientSession,
    start_connection: StartConnection,
) -> None:
    """HTTP 401 on the upgrade is answered by the client itself: one login, the stream never drops."""
    kitchen = FakeKitchen([standard(UPDATE)])
    refused: list[str] = []

    async def websocket(request: web.Request) -> web.StreamResponse:
        if not refused:
            refused.append(request.headers["Authorization"])
            return web.Response(status=401)
        return await kitchen.websocket(request)

    url = await fake_server(
        [("POST", "/api/login", kitchen.login), ("GET", "/ws", websocket)]
    )
    client = SmartKitchenClient(url, session, username=DEMO, password=DEMO)
    client.token = "stale"
    running = await start_connection(client, device_ids=["dishwasher-1"])
    await running.recorder.wait_until(lambda: running.recorder.of(DeviceUpdate))
    assert kitchen.logins == 1
    assert (refused, kitchen.upgrades) == (["Bearer stale"], ["Bearer token-1"])
    assert running.recorder.states() == [
        ConnectionState.CONNECTING,
        ConnectionState.CONNECTED,
    ]


async def test_fresh_token_refused_on_the_upgrade_backs_off(
    fake_server: Callable[..., Awaitable[str]],
    session: aiohttp.ClientSession,
    start_connection: StartConnection,
) -> None:
    """A 401 on the upgrade right after a login is a server fault: backed off, never AUTH_FAILED."""
    kitchen = FakeKitchen([])
    upgrades: list[str] = []

    async def websocket(request: web.Request) -> web.StreamResponse:
        upgrades.append(request.headers["Authorization"])
        return web.Response(status=401)

    url = await fake_server(
        [("POST", "/api/login", kitchen.login), ("GET", "/ws", websocket)]
    )
    client = SmartKitchenClient(url, session, username=DEMO, password=DEMO)
    client.token = "stale"
    draws: list[float] = []
    running = await start_connection(
        client,
        device_ids=["dishwasher-1"],
        backoff=Backoff(steps=(), minimum=0.01, maximum=0.05, rand=counting(draws)),
    )
    recorder = running.recorder
    await recorder.wait_for_state(ConnectionState.DISCONNECTED, count=2)
    await running.connection.close()
    disconnected = [
        e
        for e in recorder.of(ConnectionStateChanged)
        if e.state is ConnectionState.DISCONNECTED
    ]
    assert all(
        "refused the token of a fresh login" in (e.reason or "") for e in disconnected
    )
    # One login per attempt (the refused token of the last one is renewed by the next), each
    # attempt after a backoff delay.
    attempts = recorder.states().count(ConnectionState.CONNECTING)
    assert kitchen.logins == attempts
    assert upgrades[:4] == [
        "Bearer stale",
        "Bearer token-1",
        "Bearer token-1",
        "Bearer token-2",
    ]
    assert len(draws) == len(disconnected)
    assert ConnectionState.AUTH_FAILED not in recorder.states()


async def test_no_connected_message(
    kitchen_url: Callable[[FakeKitchen], Awaitable[str]],
    session: aiohttp.ClientSession,
    start_connection: StartConnection,
) -> None:
    """A server that never says `connected` is given up on after the request timeout."""

    async def silent(kitchen: FakeKitchen, ws: web.WebSocketResponse) -> None:
        await kitchen.drain(ws)

    kitchen = FakeKitchen([silent])
    running = await start(
        kitchen, kitchen_url, session, start_connection, token="t", request_timeout=0.05
    )
    await running.recorder.wait_for_state(ConnectionState.DISCONNECTED)
    event = running.recorder.of(ConnectionStateChanged)[-1]
    assert event.reason == "no 'connected' message from the server"
    assert kitchen.received == []


async def test_messages_before_connected_and_server_pings(
    kitchen_url: Callable[[FakeKitchen], Awaitable[str]],
    session: aiohttp.ClientSession,
    start_connection: StartConnection,
) -> None:
    """Events before `connected` are delivered; the server's pings get pongs."""
    pong = asyncio.Event()

    async def chatty(kitchen: FakeKitchen, ws: web.WebSocketResponse) -> None:
        await ws.send_json({"type": "error", "code": "maintenance", "message": "soon"})
        await ws.send_json(connected())
        await ws.ping(b"are you there")
        async for msg in ws:
            if msg.type is aiohttp.WSMsgType.PONG and msg.data == b"are you there":
                pong.set()

    kitchen = FakeKitchen([chatty])
    running = await start(kitchen, kitchen_url, session, start_connection, token="t")
    async with asyncio.timeout(WAIT):
        await pong.wait()
    events = [
        e for e in running.recorder.events if not isinstance(e, ConnectionStateChanged)
    ]
    assert events[:2] == [
        ServerError(code="maintenance", message="soon"),
        Connected(user_id="u", server_id="s", boot_id="boot-a"),
    ]


async def test_alert_ids_across_reconnects_and_boots(
    kitchen_url: Callable[[FakeKitchen], Awaitable[str]],
    session: aiohttp.ClientSession,
    start_connection: StartConnection,
) -> None:
    """Subscribes carry lastAlertId; replayed duplicates are dropped; a new boot starts over at 0."""
    kitchen = FakeKitchen(
        [
            standard(UPDATE, alert(5), close=1001),
            standard(alert(5), alert(6), close=1001),
            standard(alert(1), boot_id="boot-b"),
        ]
    )
    running = await start(kitchen, kitchen_url, session, start_connection, token="t")
    recorder = running.recorder
    await recorder.wait_until(lambda: len(recorder.of(Alert)) == 3)
    assert [event.id for event in recorder.of(Alert)] == [5, 6, 1]
    assert [message.get("lastAlertId") for message in kitchen.subscribes()] == [
        None,
        5,
        0,
    ]
    assert "lastAlertId" not in kitchen.subscribes()[0]
    stats = running.connection.stats
    assert (stats.alerts, stats.last_alert_id, stats.reconnects) == (3, 1, 2)
    assert "code 1001" in (stats.last_disconnect_reason or "")


async def test_failed_subscription_send_is_left_to_the_reader(
    kitchen_url: Callable[[FakeKitchen], Awaitable[str]],
    start_connection: StartConnection,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Sending on a socket that just closed is logged, not raised: the reader reconnects anyway."""
    caplog.set_level(logging.DEBUG, logger="custom_components.smart_kitchen.api")
    kitchen = FakeKitchen([standard(UPDATE)])
    # A session of its own: closing its connector is how the socket breaks under the stream.
    async with aiohttp.ClientSession() as session:
        running = await start(
            kitchen,
            kitchen_url,
            session,
            start_connection,
            token="t",
            # No retry within the test: the session it would retry with is closed.
            backoff=Backoff(steps=(), minimum=3600.0, maximum=3600.0),
        )
        recorder = running.recorder
        await recorder.wait_until(lambda: recorder.of(DeviceUpdate))
        # The transport closes now; the reader learns of it one loop iteration later, after the
        # writer, woken by the new ids, has tried to send on it.
        assert session.connector is not None
        closed = session.connector.close()
        running.connection.set_device_ids(["dishwasher-1", "oven-1"])
        await closed
        await recorder.wait_for_state(ConnectionState.DISCONNECTED)
        await running.connection.close()
    assert "Could not send the subscription" in caplog.text
    assert len(kitchen.subscribes()) == 1


async def test_pongs_garbage_before_connected_and_known_devices(
    kitchen_url: Callable[[FakeKitchen], Awaitable[str]],
    session: aiohttp.ClientSession,
    start_connection: StartConnection,
) -> None:
    """Garbage before `connected` is skipped; pongs keep the link; re-added devices stay subscribed once."""

    async def script(kitchen: FakeKitchen, ws: web.WebSocketResponse) -> None:
        await ws.send_str("garbage")
        await ws.send_json(connected())
        assert await kitchen.next_message(ws) is not None
        await ws.send_json({"type": "subscribed", "deviceIds": ["dishwasher-1"]})
        # Answer the client's heartbeat ping by hand, then announce a device it already has.
        async for msg in ws:
            if msg.type is aiohttp.WSMsgType.PING:
                await ws.pong(msg.data)
                break
        device = {
            "id": "dishwasher-1",
            "type": "dishwasher",
            "name": "Dishwasher",
            "model": "m",
            "firmware": "f",
            "state": UPDATE["state"],
        }
        await ws.send_json({"type": "device_added", "device": device})
        await ws.send_json(UPDATE)
        await kitchen.drain(ws)

    kitchen = FakeKitchen([script])
    running = await start(
        kitchen, kitchen_url, session, start_connection, token="t", heartbeat=0.02
    )
    recorder = running.recorder
    await recorder.wait_until(lambda: recorder.of(DeviceUpdate))
    assert running.connection.stats.malformed_messages == 1
    assert running.connection.device_ids == ("dishwasher-1",)
    assert len(kitchen.subscribes()) == 1
    assert running.connection.state is ConnectionState.CONNECTED


@pytest.mark.parametrize(
    ("newest", "expected"),
    [
        # The server's cursor is taken even while subscribed to nothing, and kept across reconnects.
        (7, [(False, None), (True, 7), (True, 7)]),
        # A server that predates subscribed.lastAlertId: no replay is asked until an alert gave an id.
        (None, [(False, None), (False, None), (False, None)]),
    ],
)
async def test_first_cursor_comes_from_subscribed(
    kitchen_url: Callable[[FakeKitchen], Awaitable[str]],
    session: aiohttp.ClientSession,
    start_connection: StartConnection,
    newest: int | None,
    expected: list[tuple[bool, int | None]],
) -> None:
    """A fresh client asks for no history and resumes from the `lastAlertId` of `subscribed`."""

    async def two_subscribes(kitchen: FakeKitchen, ws: web.WebSocketResponse) -> None:
        await ws.send_json(connected())
        while (message := await kitchen.next_message(ws)) is not None:
            subscribed = {"type": "subscribed", "deviceIds": message["deviceIds"]}
            if newest is not None:
                subscribed["lastAlertId"] = newest
            await ws.send_json(subscribed)
            if message["deviceIds"]:
                await ws.send_json(UPDATE)
                await ws.close(code=1001)
                return

    kitchen = FakeKitchen([two_subscribes, standard()])
    url = await kitchen_url(kitchen)
    client = SmartKitchenClient(url, session)
    client.token = "t"
    running = await start_connection(client, device_ids=[])
    recorder = running.recorder
    await recorder.wait_until(lambda: recorder.of(Subscribed))
    running.connection.set_device_ids(["dishwasher-1"])
    await recorder.wait_until(lambda: len(recorder.of(Subscribed)) == 3)
    assert [
        ("lastAlertId" in m, m.get("lastAlertId")) for m in kitchen.subscribes()
    ] == expected


async def test_link_is_dead_after_two_unanswered_pings(
    kitchen_url: Callable[[FakeKitchen], Awaitable[str]],
    session: aiohttp.ClientSession,
    start_connection: StartConnection,
) -> None:
    """A server that stops answering gets exactly 2 pings (MISSED_PONGS), then the link is replaced."""
    frames: Counter[aiohttp.WSMsgType] = Counter()

    async def silent(kitchen: FakeKitchen, ws: web.WebSocketResponse) -> None:
        await ws.send_json(connected())
        # Read everything, answer nothing: not even a pong to the client's pings. Each ping is
        # counted as it is read, before the client's close frame that follows it on the wire.
        async for msg in ws:
            frames[msg.type] += 1

    kitchen = FakeKitchen([silent, standard()])
    running = await start(
        kitchen, kitchen_url, session, start_connection, heartbeat=0.02
    )
    recorder = running.recorder
    await recorder.wait_until(lambda: len(recorder.of(Connected)) == 2)

    assert frames[aiohttp.WSMsgType.PING] == 2
    disconnected = [
        e
        for e in recorder.of(ConnectionStateChanged)
        if e.state is ConnectionState.DISCONNECTED
    ]
    assert len(disconnected) == 1
    assert "half-open" in (disconnected[0].reason or "")


DISHWASHER_DEVICE: dict[str, Any] = {
    "id": "dishwasher-1",
    "type": "dishwasher",
    "name": "Dishwasher",
    "model": "m",
    "firmware": "f",
    "state": DISHWASHER_IDLE,
}


async def connected_only(kitchen: FakeKitchen, ws: web.WebSocketResponse) -> None:
    """Script: say `connected`, then only listen (the client never gets to subscribe)."""
    await ws.send_json(connected())
    await kitchen.drain(ws)


async def test_failing_list_fails_the_attempt(
    kitchen_url: Callable[[FakeKitchen], Awaitable[str]],
    session: aiohttp.ClientSession,
    start_connection: StartConnection,
) -> None:
    """A list request that fails during the catch-up after a reconnect is retried like any drop."""
    kitchen = FakeKitchen(
        [standard(close=1001), connected_only, standard(UPDATE)],
        device_lists=[[DISHWASHER_DEVICE], 503, [DISHWASHER_DEVICE]],
    )
    client = SmartKitchenClient(
        await kitchen_url(kitchen), session, username=DEMO, password=DEMO
    )
    running = await start_connection(client)
    recorder = running.recorder
    await recorder.wait_until(lambda: recorder.of(DeviceUpdate))

    assert kitchen.device_requests == 3
    assert len(kitchen.upgrades) == 3
    assert recorder.states() == [
        ConnectionState.CONNECTING,
        ConnectionState.CONNECTED,
        ConnectionState.DISCONNECTED,
        ConnectionState.CONNECTING,
        ConnectionState.DISCONNECTED,
        ConnectionState.CONNECTING,
        ConnectionState.CONNECTED,
    ]
    reasons = [
        e.reason
        for e in recorder.of(ConnectionStateChanged)
        if e.state is ConnectionState.DISCONNECTED
    ]
    assert reasons == ["closed by the server (code 1001)", "Server error: HTTP 503"]
    # The failed attempt subscribed to nothing; the appliance list stayed what it was.
    assert [m["deviceIds"] for m in kitchen.subscribes()] == [
        ["dishwasher-1"],
        ["dishwasher-1"],
    ]
    assert recorder.of(DeviceAdded) == [
        DeviceAdded(device=Device.from_wire(DISHWASHER_DEVICE))
    ]
    assert recorder.of(DeviceRemoved) == []


async def test_updates_that_do_not_fit_an_appliance_are_malformed(
    kitchen_url: Callable[[FakeKitchen], Awaitable[str]],
    session: aiohttp.ClientSession,
    start_connection: StartConnection,
) -> None:
    """Following the appliances, an update of an unknown one, another type or compartment is skipped."""
    oven_update = {
        "type": "device_update",
        "deviceType": "oven",
        "compartment": "upper",
        "state": {
            "currentTemperature": 21.0,
            "targetTemperature": None,
            "mode": "off",
            "status": "off",
            "doorOpen": False,
        },
        "ts": TS,
    }
    kitchen = FakeKitchen(
        [
            standard(
                UPDATE,
                {**UPDATE, "deviceId": "dishwasher-9"},
                {**oven_update, "deviceId": "dishwasher-1"},
                {**UPDATE, "compartment": "main"},
                {**oven_update, "deviceId": "oven-1", "compartment": "lower"},
                {**oven_update, "deviceId": "oven-1"},
            )
        ]
    )
    client = SmartKitchenClient(
        await kitchen_url(kitchen), session, username=DEMO, password=DEMO
    )
    oven = Appliance(
        id="oven-1",
        type=DeviceType.OVEN,
        name="Oven",
        model="m",
        firmware="f",
        compartments=("upper",),
    )
    running = await start_connection(
        client,
        appliances=[Device.from_wire(DISHWASHER_DEVICE).appliance, oven],
    )
    recorder = running.recorder
    await recorder.wait_until(lambda: running.connection.stats.messages == 8)

    assert [(e.device_id, e.compartment) for e in recorder.of(DeviceUpdate)] == [
        ("dishwasher-1", None),
        ("oven-1", "upper"),
    ]
    assert running.connection.stats.malformed_messages == 4
    # Given the list, the connection did not load it.
    assert kitchen.device_requests == 0
    assert kitchen.subscribes()[0]["deviceIds"] == ["dishwasher-1", "oven-1"]
    assert running.connection.state is ConnectionState.CONNECTED
