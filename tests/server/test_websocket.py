"""The WebSocket: authentication, subscribe/unsubscribe, fan-out, alert replay, limits and keepalive."""

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable
from datetime import UTC, datetime
import logging
from typing import Any

from aiohttp import ClientSession, WSMsgType
import orjson
import pytest

from smart_kitchen_server import ServerConfig, SmartKitchenServer, messages
from smart_kitchen_server.auth import Session
from smart_kitchen_server.hub import Connection
from tests.helpers import FakeClock

from .conftest import TIMEOUT, WsClient

type Connect = Callable[..., Awaitable[WsClient]]


async def test_connected_first_with_header(
    connect: Connect, token: str, server: SmartKitchenServer
) -> None:
    """With a Bearer header the first message is `connected`, naming the user, server and boot."""
    client = await connect(token, expect_connected=False)

    assert await client.receive() == {
        "type": "connected",
        "userId": "user-demo",
        "serverId": "smart-kitchen-demo",
        "bootId": server.boot_id,
        "protocol": 1,
    }
    assert server.connection_count == 1


async def test_connected_with_query_parameter(connect: Connect, token: str) -> None:
    """The token may come in the `token` query parameter instead."""
    client = await connect(token, query=True, expect_connected=False)

    assert (await client.receive())["userId"] == "user-demo"


@pytest.mark.parametrize("token", [None, "not-a-token"])
@pytest.mark.parametrize("query", [False, True])
async def test_bad_token_closes_with_1008(
    connect: Connect, token: str | None, query: bool
) -> None:
    """A missing or unknown token: the upgrade succeeds and the server closes with 1008 Unauthorized."""
    client = await connect(token, query=query, expect_connected=False)

    assert await client.closed() == (1008, "Unauthorized")


async def test_expired_token_closes_with_1008(
    connect: Connect, token: str, clock: FakeClock
) -> None:
    """An expired token is refused the same way."""
    clock.advance(24 * 3600)
    client = await connect(token, expect_connected=False)

    assert await client.closed() == (1008, "Unauthorized")


async def test_header_wins_over_query(http: ClientSession, token: str) -> None:
    """When both are present, the header's token is the one checked."""
    ws = await http.ws_connect(
        "/ws", headers={"Authorization": "Bearer wrong"}, params={"token": token}
    )
    assert await WsClient(ws).closed() == (1008, "Unauthorized")


async def test_subscribe_snapshot(client: WsClient) -> None:
    """Subscribe answers `subscribed`, then one update per compartment with the current state."""
    received = await client.subscribe(["oven-1", "fridge-1", "dishwasher-1"])

    assert received[0] == {
        "type": "subscribed",
        "deviceIds": ["oven-1", "fridge-1", "dishwasher-1"],
        "lastAlertId": 0,
    }
    updates = received[1:]
    assert all(message["type"] == "device_update" for message in updates)
    assert all(message["ts"] == "2026-11-27T08:00:00.000Z" for message in updates)
    assert [(m["deviceId"], m["deviceType"], m["compartment"]) for m in updates] == [
        ("oven-1", "oven", "upper"),
        ("oven-1", "oven", "lower"),
        ("fridge-1", "fridge", "fridge"),
        ("fridge-1", "fridge", "freezer"),
        ("dishwasher-1", "dishwasher", None),
    ]
    assert updates[0]["state"] == {
        "currentTemperature": 21.0,
        "targetTemperature": None,
        "mode": "off",
        "status": "off",
        "doorOpen": False,
        "timerRemainingMinutes": None,
    }
    assert updates[2]["state"] == {
        "currentTemperature": 4.0,
        "targetTemperature": 4,
        "doorOpen": False,
        "superMode": False,
    }
    assert updates[3]["state"] == {
        "currentTemperature": -18.0,
        "targetTemperature": -18,
        "doorOpen": False,
        "superMode": False,
    }
    assert updates[4]["state"] == {
        "status": "idle",
        "program": None,
        "remainingMinutes": 0,
        "progress": 0,
        "doorOpen": False,
        "selectedProgram": "eco",
        "startsAt": None,
        "programEnergyWh": None,
        "programWaterLiters": None,
    }
    await client.barrier()


async def test_subscribe_refuses_foreign_and_unknown_devices(
    client: WsClient, server: SmartKitchenServer
) -> None:
    """Ids the user does not own are refused in one error; the rest are subscribed."""
    await client.send(
        {"type": "subscribe", "deviceIds": ["fridge-2", "oven-1", "nope", "oven-1"]}
    )

    assert await client.receive() == {
        "type": "error",
        "code": "forbidden_device",
        "deviceIds": ["fridge-2", "nope"],
        "message": "not your device(s): fridge-2, nope",
    }
    assert await client.receive() == {
        "type": "subscribed",
        "deviceIds": ["oven-1"],
        "lastAlertId": 0,
    }
    assert len(await client.receive_many(2)) == 2
    await client.barrier()
    assert server.subscriber_count("oven-1") == 1
    assert server.subscriber_count("fridge-2") == 0


async def test_subscribe_only_foreign_devices(client: WsClient) -> None:
    """With nothing accepted the answer is still `subscribed`, with no ids."""
    await client.send({"type": "subscribe", "deviceIds": ["fridge-2"]})

    assert (await client.receive())["code"] == "forbidden_device"
    assert await client.receive() == {
        "type": "subscribed",
        "deviceIds": [],
        "lastAlertId": 0,
    }
    await client.barrier()


async def test_subscribe_replaces(
    client: WsClient, server: SmartKitchenServer, command: Callable[..., Awaitable[Any]]
) -> None:
    """A later subscribe replaces the set: dropped devices go quiet, added ones get a snapshot."""
    await client.subscribe(["oven-1"])
    received = await client.subscribe(["dishwasher-1"])
    assert [m["type"] for m in received] == ["subscribed", "device_update"]

    await command(
        "oven-1",
        {"command": "set_mode", "compartment": "upper", "args": {"mode": "bake"}},
    )
    await command("dishwasher-1", {"command": "start", "args": {"program": "quick"}})

    update = await client.receive()
    assert update["deviceId"] == "dishwasher-1"
    assert update["state"]["status"] == "running"
    await client.barrier()
    assert server.subscriber_count("oven-1") == 0


async def test_unsubscribe(
    client: WsClient, command: Callable[..., Awaitable[Any]]
) -> None:
    """Unsubscribe removes devices and answers with the ids it removed."""
    await client.subscribe(["oven-1", "dishwasher-1"])

    await client.send({"type": "unsubscribe", "deviceIds": ["oven-1", "fridge-1"]})
    assert await client.receive() == {"type": "unsubscribed", "deviceIds": ["oven-1"]}

    await command(
        "oven-1",
        {"command": "set_mode", "compartment": "upper", "args": {"mode": "bake"}},
    )
    await command("dishwasher-1", {"command": "start", "args": {"program": "quick"}})
    assert (await client.receive())["deviceId"] == "dishwasher-1"


async def test_updates_only_on_change(
    client: WsClient, server: SmartKitchenServer, command: Callable[..., Awaitable[Any]]
) -> None:
    """Ticks that change nothing send nothing; a real change sends exactly one update."""
    await client.subscribe(["oven-1", "fridge-1", "dishwasher-1"])

    await server.tick(5)
    await client.barrier()

    # Setting the same mode twice changes the state only once.
    for _ in range(2):
        await command(
            "oven-1",
            {"command": "set_mode", "compartment": "lower", "args": {"mode": "grill"}},
        )
    update = await client.receive()
    assert update["compartment"] == "lower"
    assert update["state"]["mode"] == "grill"
    await client.barrier()


async def test_fan_out_serializes_once(
    connect: Connect,
    token: str,
    server: SmartKitchenServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One update is serialized once and the same bytes reach every subscriber."""
    clients = [await connect(token) for _ in range(3)]
    for client in clients:
        await client.subscribe(["dishwasher-1"])
    encoded: list[bytes] = []
    encode = messages.encode

    def counting_encode(message: dict[str, Any]) -> bytes:
        encoded.append(payload := encode(message))
        return payload

    monkeypatch.setattr(messages, "encode", counting_encode)
    server.simulation.command(
        server.simulation.devices["dishwasher-1"], "start", None, {"program": "eco"}
    )

    assert len(encoded) == 1
    for client in clients:
        assert (await client.receive()) == orjson.loads(encoded[0])

    # Alerts too: a quick program's countdown and its program_finished alert are each encoded
    # once, and every subscriber gets exactly those messages, in that order.
    encoded.clear()
    dishwasher = server.simulation.devices["dishwasher-1"]
    server.simulation.command(dishwasher, "cancel", None, {})
    server.simulation.command(dishwasher, "start", None, {"program": "quick"})
    await server.tick(30)

    sent = [orjson.loads(payload) for payload in encoded]
    assert [message["type"] for message in sent].count("alert") == 1
    assert sent[-1]["type"] == "alert"
    for client in clients:
        assert await client.receive_many(len(sent)) == sent
        await client.barrier()


async def test_alerts_go_only_to_subscribers(
    connect: Connect,
    token: str,
    login: Callable[..., Awaitable[str]],
    command: Callable[..., Awaitable[Any]],
    server: SmartKitchenServer,
) -> None:
    """An alert reaches the owner's sockets subscribed to that device, and nobody else."""
    subscribed = await connect(token)
    await subscribed.subscribe(["dishwasher-1"])
    elsewhere = await connect(token)
    await elsewhere.subscribe(["oven-1"])
    alice = await connect(await login("alice"))
    await alice.subscribe(["fridge-2"])

    await command("dishwasher-1", {"command": "start", "args": {"program": "quick"}})
    await server.tick(30)

    received = await subscribed.receive_until(lambda m: m["type"] == "alert")
    assert received[-1] == {
        "type": "alert",
        "id": 1,
        "deviceId": "dishwasher-1",
        "deviceType": "dishwasher",
        "compartment": None,
        "alertType": "program_finished",
        "message": "Dishwasher has finished the quick program",
        "ts": "2026-11-27T08:00:00.000Z",
    }
    await elsewhere.barrier()
    await alice.barrier()


async def fill_alerts(
    server: SmartKitchenServer, door: Callable[..., Awaitable[Any]]
) -> None:
    """Raise alerts 1 (temperature_high) and 2 (door_open) on fridge-1's fridge."""
    await door("fridge-1", "fridge", True)
    await server.tick(16)


async def test_alert_replay(
    connect: Connect,
    token: str,
    server: SmartKitchenServer,
    door: Callable[..., Awaitable[Any]],
    command: Callable[..., Awaitable[Any]],
) -> None:
    """Alerts missed while away are replayed after the snapshot, filtered by lastAlertId and device."""
    await fill_alerts(server, door)
    await command("dishwasher-1", {"command": "start", "args": {"program": "quick"}})
    await server.tick(30)  # alert 3, program_finished

    client = await connect(token)
    received = await client.subscribe(["fridge-1"], last_alert_id=1)
    alerts = await client.receive_until(lambda m: m["type"] == "alert")
    assert len(alerts) == 1
    assert alerts[0]["id"] == 2
    assert alerts[0]["alertType"] == "door_open"
    assert (
        alerts[0]["message"]
        == "Fridge Freezer fridge door has been open for more than 30 seconds"
    )
    await client.barrier()
    assert [m["type"] for m in received] == [
        "subscribed",
        "device_update",
        "device_update",
    ]

    await client.subscribe(["fridge-1", "dishwasher-1"], last_alert_id=0)
    alerts = await client.receive_many(3)
    assert [(a["id"], a["alertType"]) for a in alerts] == [
        (1, "temperature_high"),
        (2, "door_open"),
        (3, "program_finished"),
    ]
    await client.barrier()


async def test_alert_buffer_drops_the_oldest(
    connect: Connect,
    token: str,
    server: SmartKitchenServer,
    command: Callable[..., Awaitable[Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Past ALERT_BUFFER_SIZE alerts the oldest go; a full replay returns the newest, in order."""
    monkeypatch.setattr("smart_kitchen_server.hub.ALERT_BUFFER_SIZE", 3)
    for _ in range(5):
        status, _ = await command(
            "dishwasher-1", {"command": "start", "args": {"program": "quick"}}
        )
        assert status == 200
        await server.tick(30)  # one program_finished alert per run: ids 1 to 5

    client = await connect(token)
    received = await client.subscribe(["dishwasher-1"], last_alert_id=0)
    alerts = await client.receive_many(3)

    assert received[0]["lastAlertId"] == 5
    assert [(a["id"], a["alertType"]) for a in alerts] == [
        (3, "program_finished"),
        (4, "program_finished"),
        (5, "program_finished"),
    ]
    await client.barrier()


async def test_no_replay_without_last_alert_id(
    connect: Connect,
    token: str,
    server: SmartKitchenServer,
    door: Callable[..., Awaitable[Any]],
) -> None:
    """A subscribe without lastAlertId gets the snapshot but no old alerts."""
    await fill_alerts(server, door)
    client = await connect(token)

    await client.subscribe(["fridge-1"])
    await client.barrier()


async def test_subscribed_carries_the_newest_alert_id(
    connect: Connect,
    token: str,
    login: Callable[..., Awaitable[str]],
    server: SmartKitchenServer,
    door: Callable[..., Awaitable[Any]],
) -> None:
    """`subscribed.lastAlertId` is the user's newest alert id, whatever is subscribed: a cursor for "from now on"."""
    await fill_alerts(server, door)
    client = await connect(token)

    # Alerts 1 and 2 are the fridge's; the cursor counts them although the dishwasher is subscribed.
    (subscribed, _) = await client.subscribe(["dishwasher-1"])
    assert subscribed == {
        "type": "subscribed",
        "deviceIds": ["dishwasher-1"],
        "lastAlertId": 2,
    }
    assert (await client.subscribe([]))[0]["lastAlertId"] == 2
    # Subscribing with that cursor replays nothing; only later alerts arrive.
    received = await client.subscribe(["fridge-1"], last_alert_id=2)
    assert received[0]["lastAlertId"] == 2
    await client.barrier()
    await door("fridge-1", "freezer", True)
    await server.tick(6)
    alert = (await client.receive_until(lambda m: m["type"] == "alert"))[-1]
    assert (alert["id"], alert["compartment"]) == (3, "freezer")

    # Ids are per user: another user's cursor starts at 0.
    alice = await connect(await login("alice"))
    assert (await alice.subscribe(["fridge-2"]))[0]["lastAlertId"] == 0


async def test_reconnect_without_duplicates(
    connect: Connect,
    token: str,
    server: SmartKitchenServer,
    door: Callable[..., Awaitable[Any]],
) -> None:
    """Resubscribing with the last seen id after a drop yields only newer alerts, each once."""
    client = await connect(token)
    await client.subscribe(["fridge-1"], last_alert_id=0)
    await fill_alerts(server, door)
    seen = [
        m
        for m in await client.receive_until(lambda m: m.get("id") == 2)
        if m["type"] == "alert"
    ]
    assert [a["id"] for a in seen] == [1, 2]

    await server.drop_connections()
    assert await client.closed() == (1006, "")
    # While the client is away, the freezer door raises alert 3.
    await door("fridge-1", "freezer", True)
    await server.tick(6)

    client = await connect(token)
    await client.subscribe(["fridge-1"], last_alert_id=2)
    alert = await client.receive()
    assert (alert["id"], alert["compartment"], alert["alertType"]) == (
        3,
        "freezer",
        "temperature_high",
    )
    await client.barrier()


async def test_alert_ids_are_per_user(
    connect: Connect,
    login: Callable[..., Awaitable[str]],
    http: ClientSession,
    server: SmartKitchenServer,
    door: Callable[..., Awaitable[Any]],
) -> None:
    """Each user's alert ids count from 1 independently."""
    await fill_alerts(server, door)
    alice_token = await login("alice")
    alice = await connect(alice_token)
    await alice.subscribe(["fridge-2"])
    await http.post(
        "/api/simulation/devices/fridge-2/door",
        json={"compartment": "freezer", "open": True},
        headers={"Authorization": f"Bearer {alice_token}"},
    )
    await server.tick(6)

    alert = (await alice.receive_until(lambda m: m["type"] == "alert"))[-1]
    assert (alert["id"], alert["deviceId"]) == (1, "fridge-2")


async def test_device_added_and_removed(
    client: WsClient,
    connect: Connect,
    login: Callable[..., Awaitable[str]],
    http: ClientSession,
    server: SmartKitchenServer,
) -> None:
    """Installing and removing appliances is announced to all of that user's sockets, and only theirs."""
    token = await login()
    auth = {"Authorization": f"Bearer {token}"}
    subscribed = await connect(token)
    await subscribed.subscribe(["oven-1"])
    alice = await connect(await login("alice"))

    response = await http.post(
        "/api/simulation/devices",
        json={"type": "oven", "name": "Pizza Oven"},
        headers=auth,
    )
    assert response.status == 201
    device = await response.json()
    assert device["id"] == "oven-2"
    for socket in (client, subscribed):
        assert await socket.receive() == {"type": "device_added", "device": device}

    await subscribed.subscribe(["oven-1", "oven-2"], snapshot=3)
    response = await http.delete("/api/simulation/devices/oven-2", headers=auth)
    assert response.status == 204
    for socket in (client, subscribed):
        assert await socket.receive() == {
            "type": "device_removed",
            "deviceId": "oven-2",
        }
    assert subscribed.ws.closed is False
    assert server.subscriber_count("oven-2") == 0
    await alice.barrier()

    # The removed device is gone for good: subscribing to it is refused.
    await subscribed.send({"type": "subscribe", "deviceIds": ["oven-2"]})
    assert (await subscribed.receive())["code"] == "forbidden_device"


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        ("not json", "message is not valid JSON"),
        ("[1, 2]", "message must be a JSON object"),
        ('{"no": "type"}', "unknown message type None"),
        ('{"type": "dance"}', "unknown message type 'dance'"),
        ('{"type": "subscribe"}', "deviceIds must be a list of strings"),
        (
            '{"type": "subscribe", "deviceIds": "oven-1"}',
            "deviceIds must be a list of strings",
        ),
        (
            '{"type": "subscribe", "deviceIds": [1]}',
            "deviceIds must be a list of strings",
        ),
        (
            '{"type": "unsubscribe", "deviceIds": null}',
            "deviceIds must be a list of strings",
        ),
        (
            '{"type": "subscribe", "deviceIds": [], "lastAlertId": "1"}',
            "lastAlertId must be a non-negative integer or null",
        ),
        (
            '{"type": "subscribe", "deviceIds": [], "lastAlertId": -1}',
            "lastAlertId must be a non-negative integer or null",
        ),
        (
            '{"type": "subscribe", "deviceIds": [], "lastAlertId": true}',
            "lastAlertId must be a non-negative integer or null",
        ),
    ],
)
async def test_bad_message(client: WsClient, frame: str, reason: str) -> None:
    """Malformed messages get `bad_message` and the connection stays open."""
    await client.ws.send_str(frame)

    assert await client.receive() == {
        "type": "error",
        "code": "bad_message",
        "message": reason,
    }
    await client.barrier()


async def test_binary_frames_are_accepted(client: WsClient) -> None:
    """A binary frame holding a JSON message is handled like a text frame."""
    await client.ws.send_bytes(b'{"type": "subscribe", "deviceIds": ["dishwasher-1"]}')

    assert (await client.receive())["type"] == "subscribed"


async def test_too_many_bad_messages(client: WsClient, clock: FakeClock) -> None:
    """Twenty bad messages a minute are answered; the 21st within the minute closes with 1008."""
    for _ in range(20):
        await client.ws.send_str("nope")
        assert (await client.receive())["code"] == "bad_message"
    clock.advance(60)
    # The first twenty left the window: twenty more are tolerated.
    for _ in range(20):
        await client.ws.send_str("nope")
        assert (await client.receive())["code"] == "bad_message"

    # Whatever follows the 21st is ignored: the next thing the client sees is the close.
    await client.ws.send_str("nope")
    await client.send({"type": "subscribe", "deviceIds": ["oven-1"]})
    assert await client.closed() == (1008, "Too many bad messages")


async def test_frame_size_limit(client: WsClient) -> None:
    """A 64 KiB frame is read; a larger one closes the connection with 1009."""
    padding = " " * (64 * 1024 - len('{"type": "unsubscribe", "deviceIds": []}'))
    await client.ws.send_str('{"type": "unsubscribe", "deviceIds": []}' + padding)
    assert (await client.receive())["type"] == "unsubscribed"

    await client.ws.send_str("x" * (64 * 1024 + 1))
    code, _ = await client.closed()
    assert code == 1009


async def test_server_answers_pings(connect: Connect, token: str) -> None:
    """A client's ping gets a pong with the same payload."""
    client = await connect(token, autoping=False)
    await client.ws.ping(b"hello")

    async with asyncio.timeout(TIMEOUT):
        msg = await client.ws.receive()
    assert (msg.type, msg.data) == (WSMsgType.PONG, b"hello")


@pytest.fixture
async def fast_heartbeat_server(clock: FakeClock) -> AsyncGenerator[SmartKitchenServer]:
    """Run a server that pings every 20 ms."""
    server = SmartKitchenServer(
        ServerConfig.demo(tick=None), heartbeat=0.02, clock=clock
    )
    await server.start()
    yield server
    await server.stop()


async def test_keepalive(fast_heartbeat_server: SmartKitchenServer) -> None:
    """The server pings each heartbeat; a client that answers stays, one that goes silent is dropped."""
    server = fast_heartbeat_server
    async with ClientSession(base_url=server.url) as http:
        response = await http.post(
            "/api/login", json={"username": "demo", "password": "demo"}
        )
        token = (await response.json())["token"]
        ws = await http.ws_connect(
            "/ws", headers={"Authorization": f"Bearer {token}"}, autoping=False
        )
        client = WsClient(ws)
        assert (await client.receive())["type"] == "connected"

        # Answering ten pings keeps it connected for far longer than three heartbeats.
        for _ in range(10):
            async with asyncio.timeout(TIMEOUT):
                msg = await ws.receive()
            assert msg.type is WSMsgType.PING
            await ws.pong(msg.data)
        assert server.connection_count == 1

        # Now ignore the pings: the server cuts the connection after exactly three of them
        # (MISSED_HEARTBEATS), i.e. after 3 to 4 heartbeats of silence, never earlier.
        unanswered = 0
        async with asyncio.timeout(TIMEOUT):
            while (msg := await ws.receive()).type is WSMsgType.PING:
                unanswered += 1
        assert unanswered == 3
        assert msg.type in (WSMsgType.CLOSED, WSMsgType.ERROR)
        assert ws.close_code == 1006
        await server.wait_until(lambda: server.connection_count == 0)


async def test_slow_client_is_dropped(
    client: WsClient, server: SmartKitchenServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client too far behind is cut off instead of buffering without bound."""
    monkeypatch.setattr("smart_kitchen_server.hub.MAX_PENDING_MESSAGES", 3)

    # The subscribe answer is 1 + 5 messages queued at once: more than 3 pending.
    await client.send(
        {"type": "subscribe", "deviceIds": ["oven-1", "fridge-1", "dishwasher-1"]}
    )

    code, _ = await client.closed()
    assert code == 1006
    await server.wait_until(lambda: server.connection_count == 0)


async def test_writer_stops_when_the_peer_vanished() -> None:
    """A write to a vanished peer ends the writer and cuts the transport."""

    class VanishedSocket:
        async def send_frame(self, message: bytes, opcode: WSMsgType) -> None:
            raise ConnectionResetError("Cannot write to closing transport")

    class Transport:
        aborted = False

        def abort(self) -> None:
            self.aborted = True

    transport = Transport()
    connection = Connection(VanishedSocket(), None, transport, 0.0)  # type: ignore[arg-type]
    connection.send(b"{}")

    await connection.write()

    assert transport.aborted
    assert connection.closing
    # Nothing is queued once closing.
    connection.send(b"{}")
    connection.ping()
    connection.pong(b"")
    connection.close(1000, "")
    assert connection.pending == 0

    # Without a transport (never the case for a live request) aborting only marks it closing.
    orphan = Connection(VanishedSocket(), None, None, 0.0)  # type: ignore[arg-type]
    orphan.abort()
    assert orphan.closing


async def test_pings_from_a_client_that_does_not_read_are_bounded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Pongs owed to a client that stopped reading count against the same bound as messages."""
    monkeypatch.setattr("smart_kitchen_server.hub.MAX_PENDING_MESSAGES", 3)

    class Transport:
        aborts = 0

        def abort(self) -> None:
            self.aborts += 1

    transport = Transport()
    session = Session("secret", "user-demo", "demo", datetime.now(UTC))
    connection = Connection(None, session, transport, 0.0)  # type: ignore[arg-type]
    for _ in range(3):
        connection.pong(b"ping")
    assert transport.aborts == 0

    connection.pong(b"one too many")

    assert transport.aborts == 1
    assert connection.pending == 3


async def test_stop_closes_with_1001(
    client: WsClient, server: SmartKitchenServer
) -> None:
    """Stopping the server closes every socket with 1001."""
    await server.stop()

    assert await client.closed() == (1001, "Server shutting down")
    assert server.connection_count == 0


async def test_logs_name_users_but_never_tokens(
    connect: Connect,
    login: Callable[..., Awaitable[str]],
    caplog: pytest.LogCaptureFixture,
    server: SmartKitchenServer,
    no_tokens_logged: list[str],
) -> None:
    """Connect, subscribe and disconnect are logged at INFO with the username, never the token."""
    caplog.set_level(logging.INFO, logger="smart_kitchen_server")
    token = await login()
    no_tokens_logged.append(token)
    client = await connect(token, query=True)
    await client.send({"type": "subscribe", "deviceIds": ["oven-1", "fridge-2"]})
    await client.receive_many(4)
    await client.send({"type": "unsubscribe", "deviceIds": ["oven-1"]})
    await client.receive()
    await client.ws.close()
    await server.wait_until(lambda: server.connection_count == 0)

    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert any(line.startswith("demo connected from 127.0.0.1") for line in lines)
    assert "demo subscribed to oven-1 (refused fridge-2)" in lines
    assert "demo unsubscribed from oven-1" in lines
    assert "demo disconnected (close code 1000)" in lines
