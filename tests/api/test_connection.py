"""Tests for the connection manager against the real server (through a misbehaving relay where needed)."""

import asyncio
from datetime import UTC, datetime, timedelta, tzinfo
import itertools
import logging
from typing import Self

import aiohttp
import pytest

from custom_components.smart_kitchen.api import (
    Alert,
    AlertCursor,
    AlertType,
    Backoff,
    Connected,
    ConnectionState,
    ConnectionStateChanged,
    DeviceAdded,
    DeviceRemoved,
    DeviceStatus,
    DeviceType,
    DeviceUpdate,
    DishwasherStatus,
    Event,
    ServerError,
    SmartKitchenAuthenticationError,
    SmartKitchenClient,
    SmartKitchenConnection,
    Subscribed,
    connection as connection_module,
)
from smart_kitchen_server import ServerConfig, SmartKitchenServer
from smart_kitchen_server.auth import hash_password
from tests.helpers import TcpProxy, free_port
from tests.kitchen import Kitchen

from .conftest import DEMO, WAIT, Recorder, StartConnection

SNAPSHOT = {
    ("oven-1", "upper"),
    ("oven-1", "lower"),
    ("fridge-1", "fridge"),
    ("fridge-1", "freezer"),
    ("dishwasher-1", None),
}


def updates(recorder: Recorder) -> list[tuple[str, str | None]]:
    """Return (device, compartment) of every delivered update."""
    return [(event.device_id, event.compartment) for event in recorder.of(DeviceUpdate)]


def alert_ids(recorder: Recorder) -> list[int]:
    """Return the ids of the delivered alerts, in order."""
    return [event.id for event in recorder.of(Alert)]


async def finish_dishwasher(
    client: SmartKitchenClient, server: SmartKitchenServer
) -> None:
    """Run the quick program to its end, which raises one `program_finished` alert."""
    await client.send_command("dishwasher-1", "start", program="quick")
    await server.tick(30)


async def test_snapshot_on_connect(
    server: SmartKitchenServer,
    demo_client: Kitchen,
    start_connection: StartConnection,
) -> None:
    """connected, then subscribed, then one update per compartment: no sleep, no poll.

    Given the appliance list the caller already loaded, the first connect loads nothing.
    """
    devices = await demo_client.get_devices()
    running = await start_connection(
        demo_client, appliances=[device.appliance for device in devices]
    )
    recorder = running.recorder
    await recorder.wait_for_updates(5)
    await recorder.wait_until(lambda: len(recorder.of(DeviceStatus)) == 3)

    assert running.connection.state is ConnectionState.CONNECTED
    kinds = [type(event) for event in recorder.events]
    assert kinds == [
        ConnectionStateChanged,
        ConnectionStateChanged,
        Connected,
        Subscribed,
        *[DeviceUpdate, DeviceUpdate, DeviceStatus] * 2,
        DeviceUpdate,
        DeviceStatus,
    ]
    assert recorder.states() == [ConnectionState.CONNECTING, ConnectionState.CONNECTED]
    (connected,) = recorder.of(Connected)
    assert (connected.user_id, connected.server_id, connected.boot_id) == (
        "user-demo",
        "smart-kitchen-demo",
        server.boot_id,
    )
    assert recorder.of(Subscribed) == [
        Subscribed(device_ids=("oven-1", "fridge-1", "dishwasher-1"), last_alert_id=0)
    ]
    assert set(updates(recorder)) == SNAPSHOT


async def test_live_updates_and_alerts(
    server: SmartKitchenServer,
    demo_client: Kitchen,
    start_connection: StartConnection,
) -> None:
    """Commands and ticks arrive as typed updates; alerts arrive once and are counted."""
    running = await start_connection(demo_client)
    recorder = running.recorder
    await recorder.wait_for_updates(5)

    await finish_dishwasher(demo_client, server)
    await recorder.wait_until(lambda: recorder.of(Alert))
    dishwasher = [
        event
        for event in recorder.of(DeviceUpdate)
        if event.device_id == "dishwasher-1"
    ]
    # Snapshot, start, 29 count-down ticks, finished.
    assert len(dishwasher) == 32
    assert dishwasher[-1].state.status is DishwasherStatus.FINISHED  # type: ignore[union-attr]
    (alert,) = recorder.of(Alert)
    assert (alert.id, alert.device_id, alert.alert_type) == (
        1,
        "dishwasher-1",
        AlertType.PROGRAM_FINISHED,
    )
    assert alert.compartment is None
    # The alert is the last thing the finishing tick produced, apart from the appliance's new counters.
    assert [e for e in recorder.events if not isinstance(e, DeviceStatus)][-1] == alert

    stats = running.connection.stats
    assert (
        stats.alerts,
        stats.last_alert_id,
        stats.malformed_messages,
        stats.reconnects,
    ) == (1, 1, 0, 0)
    # connected, subscribed, the 5-update snapshot, 31 more dishwasher updates, the alert, and
    # the appliances' statuses (the subscription asks for them).
    assert stats.messages == 2 + 5 + 31 + 1 + len(recorder.of(DeviceStatus))
    assert stats.connected_since is not None
    assert stats.last_message_at is not None
    assert stats.last_message_at >= stats.connected_since


async def test_replay_after_disconnect(
    server: SmartKitchenServer,
    demo_client: Kitchen,
    session: aiohttp.ClientSession,
    proxy: TcpProxy,
    start_connection: StartConnection,
) -> None:
    """Alerts raised while the link is down are replayed after reconnecting: none lost, none twice."""
    running = await start_connection(
        SmartKitchenClient(proxy.url, session, username=DEMO, password=DEMO)
    )
    recorder = running.recorder
    await recorder.wait_for_updates(5)
    await finish_dishwasher(demo_client, server)
    await recorder.wait_until(lambda: alert_ids(recorder) == [1])

    # The network fails; the reconnect is held until the missed alerts exist.
    proxy.hold()
    proxy.cut()
    await recorder.wait_for_state(ConnectionState.DISCONNECTED)
    await demo_client.set_door("fridge-1", open=True, compartment="fridge")
    await demo_client.send_command("oven-1", "set_mode", "upper", mode="bake")
    await server.tick(16)
    proxy.release()

    # A change made after the reconnect arrives after the whole replay (the stream is ordered).
    await recorder.wait_until(lambda: len(recorder.of(Subscribed)) == 2)
    await demo_client.send_command("oven-1", "set_mode", "lower", mode="grill")
    await recorder.wait_until(lambda: ("oven-1", "lower") in updates(recorder)[-1:])
    ids = alert_ids(recorder)
    assert len(ids) >= 3
    assert ids == list(range(1, len(ids) + 1))
    assert {event.alert_type for event in recorder.of(Alert)[1:]} >= {
        AlertType.DOOR_OPEN,
        AlertType.PREHEAT_DONE,
    }
    assert running.connection.stats.reconnects == 1
    assert running.connection.stats.last_alert_id == ids[-1]

    # Another blip with nothing missed replays nothing again.
    proxy.cut()
    await recorder.wait_until(lambda: len(recorder.of(Subscribed)) == 3)
    await demo_client.send_command("oven-1", "turn_off", "lower")
    await recorder.wait_until(
        lambda: (
            updates(recorder)[-1] == ("oven-1", "lower")
            and recorder.of(Subscribed)[-1] != recorder.events[-1]
        )
    )
    assert alert_ids(recorder) == ids


async def test_no_history_on_first_connect(
    server: SmartKitchenServer,
    demo_client: Kitchen,
    session: aiohttp.ClientSession,
    proxy: TcpProxy,
    start_connection: StartConnection,
) -> None:
    """Alerts from before the first subscription are history: not delivered, not even after a blip."""
    await finish_dishwasher(demo_client, server)
    running = await start_connection(
        SmartKitchenClient(proxy.url, session, username=DEMO, password=DEMO)
    )
    recorder = running.recorder
    await recorder.wait_for_updates(5)

    # No alert was seen yet, so the reconnect asks for everything buffered and drops the old one.
    proxy.hold()
    proxy.cut()
    await recorder.wait_for_state(ConnectionState.DISCONNECTED)
    await demo_client.send_command("oven-1", "set_mode", "upper", mode="bake")
    await server.tick(16)
    proxy.release()
    await recorder.wait_until(lambda: recorder.of(Alert))
    assert [(event.id, event.alert_type) for event in recorder.of(Alert)] == [
        (2, AlertType.PREHEAT_DONE)
    ]


async def test_server_restart(
    server: SmartKitchenServer,
    session: aiohttp.ClientSession,
    proxy: TcpProxy,
    start_connection: StartConnection,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A restart loses sessions: the client logs in again silently and takes the new boot's alerts."""
    # The count of logins below needs the server's INFO lines, whatever logging pytest was given.
    caplog.set_level(logging.INFO, logger="smart_kitchen_server")
    client = SmartKitchenClient(proxy.url, session, username=DEMO, password=DEMO)
    running = await start_connection(client)
    recorder = running.recorder
    await recorder.wait_for_updates(5)
    old_token = client.token
    direct = SmartKitchenClient(server.url, session)
    await direct.login("demo", "demo")
    await finish_dishwasher(direct, server)
    await recorder.wait_until(lambda: alert_ids(recorder) == [1])

    proxy.hold()
    await server.stop()
    restarted = SmartKitchenServer(ServerConfig.demo(tick=None))
    await restarted.start(host="127.0.0.1", port=server.port)
    try:
        # The new boot raises its own alert 1 before the client is back.
        await direct.login("demo", "demo")
        await finish_dishwasher(direct, restarted)
        caplog.clear()
        proxy.release()
        await recorder.wait_until(lambda: len(recorder.of(Connected)) == 2)
        await recorder.wait_until(lambda: len(recorder.of(Alert)) == 2)
    finally:
        await running.connection.close()
        await restarted.stop()

    assert recorder.of(Connected)[1].boot_id == restarted.boot_id != server.boot_id
    assert alert_ids(recorder) == [1, 1]
    assert client.token != old_token
    reasons = [event.reason or "" for event in recorder.of(ConnectionStateChanged)]
    assert any("token refused" in reason for reason in reasons)
    assert ConnectionState.AUTH_FAILED not in recorder.states()
    assert (
        sum("demo logged in" in record.getMessage() for record in caplog.records) == 1
    )


async def test_refused_password_stops(
    demo_client: Kitchen,
    session: aiohttp.ClientSession,
    start_connection: StartConnection,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """After a logout the client's stored (wrong) password is tried once; its refusal ends run()."""
    client = SmartKitchenClient(
        demo_client.url, session, username=DEMO, password="wrong"
    )
    # A token obtained earlier works until the session ends.
    client.token = demo_client.token
    running = await start_connection(client)
    recorder = running.recorder
    await recorder.wait_for_updates(5)

    caplog.set_level(logging.INFO)
    other = SmartKitchenClient(demo_client.url, session)
    other.token = demo_client.token
    await other.logout()
    await running.finished()

    with pytest.raises(
        SmartKitchenAuthenticationError, match="wrong username or password"
    ):
        running.task.result()
    assert running.connection.state is ConnectionState.AUTH_FAILED
    last = recorder.events[-1]
    assert isinstance(last, ConnectionStateChanged)
    assert last.state is ConnectionState.AUTH_FAILED
    assert last.reason == "wrong username or password"
    failed = [r for r in caplog.records if r.getMessage() == "Failed login for 'demo'"]
    assert len(failed) == 1
    assert (
        running.connection.stats.last_disconnect_reason == "wrong username or password"
    )

    # close() after the failure only reports CLOSED.
    await running.connection.close()
    assert recorder.states()[-2:] == [
        ConnectionState.AUTH_FAILED,
        ConnectionState.CLOSED,
    ]


async def test_refused_password_at_start(
    client: SmartKitchenClient,
    session: aiohttp.ClientSession,
    start_connection: StartConnection,
) -> None:
    """Without a token the first thing is a login; if it is refused, run() raises at once."""
    wrong = SmartKitchenClient(client.url, session, username=DEMO, password="wrong")
    running = await start_connection(wrong)
    await running.finished()
    with pytest.raises(SmartKitchenAuthenticationError):
        running.task.result()
    assert running.recorder.states() == [
        ConnectionState.CONNECTING,
        ConnectionState.AUTH_FAILED,
    ]
    with pytest.raises(RuntimeError, match="once"):
        await running.connection.run()


async def test_throttled_login_waits_for_retry_after(
    client: SmartKitchenClient,
    session: aiohttp.ClientSession,
    start_connection: StartConnection,
) -> None:
    """429 is not a refused password: the connection waits at least Retry-After and tries again."""
    for _ in range(5):
        with pytest.raises(SmartKitchenAuthenticationError):
            await client.login(DEMO, "wrong")
    before = datetime.now(UTC)
    # The right password, throttled all the same.
    right = SmartKitchenClient(client.url, session, username=DEMO, password=DEMO)
    running = await start_connection(right)
    recorder = running.recorder
    await recorder.wait_for_state(ConnectionState.DISCONNECTED)
    (event,) = [
        e
        for e in recorder.of(ConnectionStateChanged)
        if e.state is ConnectionState.DISCONNECTED
    ]
    assert event.reason is not None
    assert "too many failed logins" in event.reason
    assert event.retry_at is not None
    assert event.retry_at >= before + timedelta(seconds=1)
    assert running.connection.stats.next_retry_at == event.retry_at
    # close() does not wait for the retry.
    await running.connection.close()
    await running.finished()
    assert running.task.result() is None


async def test_reconnect_delays_step_up_and_start_over_once_subscribed(
    session: aiohttp.ClientSession,
    proxy: TcpProxy,
    start_connection: StartConnection,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The longer the server is away, the longer the waits; a subscribed stream starts them over.

    The backoff's clock moves one second per decision, so the steps are crossed at the 3rd and 5th
    retry. With full jitter at its maximum (rand = 1.0) each delay is its step's ceiling. The clock
    the manager stamps retry_at with is frozen, so retry_at - now is exactly the delay it chose.
    """

    class FrozenDatetime(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> Self:
            return cls(2026, 1, 1, tzinfo=UTC)

    now = FrozenDatetime.now()

    monkeypatch.setattr(connection_module, "datetime", FrozenDatetime)
    proxy.refuse()
    client = SmartKitchenClient(proxy.url, session, username=DEMO, password=DEMO)
    running = await start_connection(
        client,
        backoff=Backoff(
            steps=((2.0, 0.01), (4.0, 0.04)),
            maximum=0.08,
            minimum=0.0,
            rand=lambda: 1.0,
            clock=itertools.count().__next__,
        ),
    )
    recorder = running.recorder

    def retries() -> list[ConnectionStateChanged]:
        return [
            event
            for event in recorder.of(ConnectionStateChanged)
            if event.state is ConnectionState.DISCONNECTED
        ]

    announced: list[datetime | None] = []

    def on_state(event: Event) -> None:
        if not isinstance(event, ConnectionStateChanged):
            return
        if event.state is ConnectionState.DISCONNECTED:
            announced.append(running.connection.stats.next_retry_at)
        elif event.state is ConnectionState.CONNECTING and len(retries()) == 5:
            # Decided as the manager reports the attempt, so no other attempt slips in first.
            proxy.refuse(False)

    recorder.hook = on_state
    await recorder.wait_for_updates(5)
    assert recorder.states().count(ConnectionState.CONNECTED) == 1
    proxy.cut()
    await recorder.wait_until(lambda: len(retries()) == 6)

    delays = [
        (event.retry_at - now).total_seconds()
        for event in retries()
        if event.retry_at is not None
    ]
    assert delays == [0.01, 0.01, 0.04, 0.04, 0.08, 0.01]
    # The stats (diagnostics) announced the same retry times.
    assert announced == [event.retry_at for event in retries()]


async def test_half_open_link(
    demo_client: Kitchen,
    session: aiohttp.ClientSession,
    proxy: TcpProxy,
    start_connection: StartConnection,
) -> None:
    """A link that silently stops carrying anything is detected by the heartbeat and replaced.

    The subscription is fixed: following the appliances, the reconnect would first reload the
    list over the pooled HTTP connection, which the stalled relay holds as well.
    """
    running = await start_connection(
        SmartKitchenClient(proxy.url, session, username=DEMO, password=DEMO),
        heartbeat=0.05,
        device_ids=["oven-1", "fridge-1", "dishwasher-1"],
    )
    recorder = running.recorder
    await recorder.wait_for_updates(5)
    proxy.stall()
    await recorder.wait_for_updates(10)
    disconnected = [
        e
        for e in recorder.of(ConnectionStateChanged)
        if e.state is ConnectionState.DISCONNECTED
    ]
    assert len(disconnected) == 1
    assert "half-open" in (disconnected[0].reason or "")
    assert running.connection.stats.reconnects == 1
    assert proxy.connections == 2


async def test_subscription_changes_at_runtime(
    server: SmartKitchenServer,
    demo_client: Kitchen,
    start_connection: StartConnection,
) -> None:
    """set_device_ids re-subscribes on the open socket; the same set sends nothing."""
    running = await start_connection(demo_client, device_ids=["oven-1"])
    connection, recorder = running.connection, running.recorder
    await recorder.wait_for_updates(2)

    connection.set_device_ids(["oven-1", "dishwasher-1", "oven-1"])
    assert connection.device_ids == ("oven-1", "dishwasher-1")
    await recorder.wait_for_updates(5)
    assert recorder.of(Subscribed)[-1].device_ids == ("oven-1", "dishwasher-1")

    # The same ids in another order: nothing changes, nothing is sent.
    connection.set_device_ids(["dishwasher-1", "oven-1"])
    assert connection.device_ids == ("oven-1", "dishwasher-1")
    connection.set_device_ids(["dishwasher-1", "fridge-2"])
    await recorder.wait_until(lambda: len(recorder.of(Subscribed)) == 3)
    assert recorder.of(ServerError) == [
        ServerError(
            code="forbidden_device",
            message=recorder.of(ServerError)[0].message,
            device_ids=("fridge-2",),
        )
    ]
    assert recorder.of(Subscribed)[-1].device_ids == ("dishwasher-1",)
    async with asyncio.timeout(WAIT):
        await server.wait_until(lambda: server.subscriber_count("oven-1") == 0)
    assert server.subscriber_count("dishwasher-1") == 1
    assert connection.state is ConnectionState.CONNECTED
    assert connection.stats.reconnects == 0


async def test_device_ids_set_before_run(
    demo_client: Kitchen, start_connection: StartConnection
) -> None:
    """Ids set while no socket is open are used by the next subscription."""
    recorder = Recorder()
    connection = SmartKitchenConnection(demo_client, on_event=recorder)
    connection.set_device_ids(["fridge-1"])
    task = asyncio.create_task(connection.run())
    try:
        await recorder.wait_for_updates(2)
        assert recorder.of(Subscribed) == [
            Subscribed(device_ids=("fridge-1",), last_alert_id=0)
        ]
    finally:
        await connection.close()
        await task


async def test_device_added_and_removed(
    server: SmartKitchenServer,
    demo_client: Kitchen,
    start_connection: StartConnection,
) -> None:
    """A new device is delivered and subscribed automatically; a removed one leaves the set."""
    devices = await demo_client.get_devices()
    running = await start_connection(
        demo_client, appliances=[device.appliance for device in devices]
    )
    connection, recorder = running.connection, running.recorder
    await recorder.wait_for_updates(5)

    device = await demo_client.add_device(DeviceType.OVEN, "Pizza Oven")
    await recorder.wait_until(lambda: (device.id, "main") in updates(recorder))
    assert recorder.of(DeviceAdded) == [DeviceAdded(device=device)]
    assert connection.appliances[device.id] == device.appliance
    assert list(connection.device_ids) == [
        "oven-1",
        "fridge-1",
        "dishwasher-1",
        device.id,
    ]
    assert recorder.of(Subscribed)[-1].device_ids == connection.device_ids

    await demo_client.remove_device(device.id)
    await recorder.wait_until(lambda: recorder.of(DeviceRemoved))
    assert recorder.of(DeviceRemoved) == [DeviceRemoved(device_id=device.id)]
    assert connection.device_ids == ("oven-1", "fridge-1", "dishwasher-1")
    assert device.id not in connection.appliances
    # The server already dropped the subscription, so no new subscribe (and snapshot) is sent.
    assert len(recorder.of(Subscribed)) == 2
    assert server.subscriber_count(device.id) == 0


async def test_close_while_connected(
    server: SmartKitchenServer,
    demo_client: Kitchen,
    start_connection: StartConnection,
) -> None:
    """close() closes the socket, ends run() normally and reports CLOSED once."""
    running = await start_connection(demo_client)
    await running.recorder.wait_for_updates(5)
    assert server.connection_count == 1

    await running.connection.close()
    assert running.task.done()
    assert running.task.result() is None
    assert running.connection.state is ConnectionState.CLOSED
    assert running.recorder.states()[-1] is ConnectionState.CLOSED
    assert running.recorder.states().count(ConnectionState.CLOSED) == 1
    assert running.connection.stats.connected_since is None
    async with asyncio.timeout(WAIT):
        await server.wait_until(lambda: server.connection_count == 0)
    await running.connection.close()
    assert running.recorder.states().count(ConnectionState.CLOSED) == 1


async def test_close_during_backoff_is_prompt(
    session: aiohttp.ClientSession, start_connection: StartConnection
) -> None:
    """close() does not wait for an hour-long retry delay."""
    client = SmartKitchenClient(f"http://127.0.0.1:{free_port()}", session)
    client.token = "t"
    running = await start_connection(
        client, backoff=Backoff(steps=(), minimum=3600.0, maximum=3600.0)
    )
    await running.recorder.wait_for_state(ConnectionState.DISCONNECTED)
    assert "Error opening the WebSocket" in (
        running.connection.stats.last_disconnect_reason or ""
    )
    await running.connection.close()
    assert running.task.done()
    assert running.connection.stats.next_retry_at is None


async def test_close_while_the_network_hangs(
    session: aiohttp.ClientSession, proxy: TcpProxy, start_connection: StartConnection
) -> None:
    """close() also interrupts a login that gets no answer."""
    proxy.hold()
    running = await start_connection(
        SmartKitchenClient(proxy.url, session, username=DEMO, password=DEMO)
    )
    await running.recorder.wait_for_state(ConnectionState.CONNECTING)
    await running.connection.close()
    assert running.task.result() is None
    assert running.recorder.states() == [
        ConnectionState.CONNECTING,
        ConnectionState.CLOSED,
    ]


async def test_close_before_run(
    server: SmartKitchenServer, session: aiohttp.ClientSession
) -> None:
    """A connection closed before it ran does nothing when run; its repr names no secret."""
    client = SmartKitchenClient(
        server.url, session, username="cook", password="Pw-in-no-repr"
    )
    client.token = "Token-in-no-repr"
    recorder = Recorder()
    connection = SmartKitchenConnection(client, on_event=recorder)
    assert connection.state is ConnectionState.DISCONNECTED
    await connection.close()
    await connection.run()
    assert recorder.states() == [ConnectionState.CLOSED]
    assert server.url in repr(connection)
    for text in (repr(connection), repr(client)):
        assert "Pw-in-no-repr" not in text
        assert "Token-in-no-repr" not in text


async def test_cancelling_run_takes_the_stream_down(
    server: SmartKitchenServer, demo_client: Kitchen
) -> None:
    """Cancelling the task that awaits run() closes everything and propagates the cancellation."""
    recorder = Recorder()
    connection = SmartKitchenConnection(demo_client, on_event=recorder)
    task = asyncio.create_task(connection.run())
    await recorder.wait_for_state(ConnectionState.CONNECTED)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert connection.state is ConnectionState.CLOSED
    async with asyncio.timeout(WAIT):
        await server.wait_until(lambda: server.connection_count == 0)


async def test_failing_callback_does_not_stop_the_stream(
    demo_client: Kitchen, caplog: pytest.LogCaptureFixture
) -> None:
    """A callback that raises is logged; the following events are still delivered."""
    recorder = Recorder()

    def on_event(event: Event) -> None:
        recorder(event)
        if isinstance(event, Subscribed):
            raise TypeError("integration bug")

    connection = SmartKitchenConnection(
        demo_client, on_event=on_event, device_ids=["oven-1"]
    )
    task = asyncio.create_task(connection.run())
    try:
        await recorder.wait_for_updates(2)
    finally:
        await connection.close()
        await task
    assert "Error in the event callback for Subscribed" in caplog.text
    assert "integration bug" in caplog.text


async def test_secrets_never_reach_the_logs(
    session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    """Neither passwords nor tokens appear in any log line, at any level, through re-logins."""
    caplog.set_level(logging.DEBUG)
    password = "Pw-7f3a9c-never-logged"
    config = ServerConfig.from_dict(
        {
            "server_id": "secret-kitchen",
            "users": [
                {"username": "cook", "password_hash": hash_password(password, n=2**10)}
            ],
            "devices": [
                {"id": "oven-9", "type": "oven", "name": "Oven", "owner": "cook"}
            ],
        }
    )
    server = SmartKitchenServer(config)
    await server.start(host="127.0.0.1", port=0)
    tokens: list[str] = []
    recorder = Recorder()
    client = SmartKitchenClient(server.url, session, username="cook", password=password)
    connection = SmartKitchenConnection(
        client,
        on_event=recorder,
        device_ids=["oven-9"],
        backoff=Backoff(steps=(), minimum=0.01, maximum=0.01),
    )
    task = asyncio.create_task(connection.run())
    try:
        await recorder.wait_until(lambda: recorder.of(DeviceUpdate))
        assert client.token is not None
        tokens.append(client.token)
        # A logout elsewhere closes the socket with 1008; the connection logs in again.
        other = SmartKitchenClient(server.url, session)
        other.token = client.token
        await other.logout()
        await recorder.wait_until(lambda: len(recorder.of(Connected)) == 2)
        tokens.append(client.token)
        with pytest.raises(SmartKitchenAuthenticationError):
            await SmartKitchenClient(server.url, session).login("cook", "Wrong-pw-0b1e")
    finally:
        await connection.close()
        await task
        await server.stop()

    assert len(set(tokens)) == 2
    text = caplog.text + repr(connection) + repr(client) + repr(recorder.events)
    for secret in (password, "Wrong-pw-0b1e", *tokens):
        assert secret not in text


async def raise_three_alerts(client: Kitchen, server: SmartKitchenServer) -> None:
    """Raise alerts 1 (fridge temperature_high), 2 (fridge door_open) and 3 (program_finished)."""
    await client.set_door("fridge-1", open=True, compartment="fridge")
    await server.tick(16)
    await client.set_door("fridge-1", open=False, compartment="fridge")
    await finish_dishwasher(client, server)


async def test_fresh_client_gets_no_history_and_a_cursor(
    server: SmartKitchenServer,
    demo_client: Kitchen,
    start_connection: StartConnection,
) -> None:
    """Without a cursor nothing old is delivered; `subscribed` sets the cursor, alerts advance it."""
    await raise_three_alerts(demo_client, server)
    running = await start_connection(demo_client)
    connection, recorder = running.connection, running.recorder
    # Held in a name: mypy would keep `connection.alert_cursor` narrowed to None below.
    before_subscribed = connection.alert_cursor
    assert before_subscribed is None
    await recorder.wait_for_updates(5)
    assert connection.alert_cursor == AlertCursor(server.boot_id, 3)

    await demo_client.send_command("oven-1", "set_mode", "upper", mode="bake")
    await server.tick(16)
    await recorder.wait_until(lambda: recorder.of(Alert))
    assert alert_ids(recorder) == [4]
    assert connection.alert_cursor == AlertCursor(server.boot_id, 4)
    assert connection.stats.last_alert_id == 4


async def test_resume_after_a_restart_of_the_client(
    server: SmartKitchenServer,
    demo_client: Kitchen,
    start_connection: StartConnection,
) -> None:
    """A persisted cursor of the same boot replays exactly what was raised after it."""
    first = await start_connection(demo_client)
    await first.recorder.wait_until(lambda: first.recorder.of(Subscribed))
    await demo_client.set_door("fridge-1", open=True, compartment="fridge")
    await server.tick(11)
    await first.recorder.wait_until(lambda: alert_ids(first.recorder) == [1])
    # The cursor is current when the alert is delivered, so a callback can persist it.
    seen_in_callback: list[AlertCursor | None] = []
    first.recorder.hook = lambda event: (
        seen_in_callback.append(first.connection.alert_cursor)
        if isinstance(event, Alert)
        else None
    )
    await server.tick(5)
    await first.recorder.wait_until(lambda: alert_ids(first.recorder) == [1, 2])
    assert seen_in_callback == [AlertCursor(server.boot_id, 2)]
    cursor = AlertCursor(server.boot_id, 1)
    await first.connection.close()

    # While "Home Assistant restarts", the dishwasher finishes: alert 3.
    await finish_dishwasher(demo_client, server)
    second = await start_connection(demo_client, alert_cursor=cursor)
    assert second.connection.alert_cursor == cursor
    await second.recorder.wait_until(lambda: alert_ids(second.recorder) == [2, 3])
    assert second.connection.alert_cursor == AlertCursor(server.boot_id, 3)
    (subscribe_answer,) = second.recorder.of(Subscribed)
    assert subscribe_answer.last_alert_id == 3


async def test_resume_with_a_cursor_of_another_boot(
    server: SmartKitchenServer,
    demo_client: Kitchen,
    start_connection: StartConnection,
) -> None:
    """A cursor from before a server restart replays everything the new boot buffered."""
    await raise_three_alerts(demo_client, server)
    running = await start_connection(
        demo_client, alert_cursor=AlertCursor("an-old-boot", 2)
    )
    recorder = running.recorder
    await recorder.wait_until(lambda: alert_ids(recorder) == [1, 2, 3])
    assert running.connection.alert_cursor == AlertCursor(server.boot_id, 3)
