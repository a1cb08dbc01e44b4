"""The connection owns the appliance list: loaded when needed, caught up after every reconnect."""

import asyncio
import logging

import aiohttp
import pytest

from custom_components.smart_kitchen.api import (
    Connected,
    ConnectionState,
    ConnectionStateChanged,
    Device,
    DeviceAdded,
    DeviceRemoved,
    DeviceStatus,
    DeviceType,
    DeviceUpdate,
    ServerError,
    Subscribed,
)
from smart_kitchen_server import SmartKitchenServer
from tests.helpers import TcpProxy
from tests.kitchen import Kitchen

from .conftest import DEMO, WAIT, StartConnection


async def test_first_connect_loads_the_list(
    demo_client: Kitchen, start_connection: StartConnection
) -> None:
    """Without `appliances`, the list is loaded after `connected` and each appliance is announced."""
    running = await start_connection(demo_client)
    connection, recorder = running.connection, running.recorder
    await recorder.wait_for_updates(5)
    await recorder.wait_until(lambda: len(recorder.of(DeviceStatus)) == 3)
    devices = await demo_client.get_devices()

    assert [type(event) for event in recorder.events] == [
        ConnectionStateChanged,
        DeviceAdded,
        DeviceAdded,
        DeviceAdded,
        ConnectionStateChanged,
        Connected,
        Subscribed,
        *[DeviceUpdate, DeviceUpdate, DeviceStatus] * 2,
        DeviceUpdate,
        DeviceStatus,
    ]
    assert recorder.of(DeviceAdded) == [
        DeviceAdded(device=device) for device in devices
    ]
    assert dict(connection.appliances) == {
        device.id: device.appliance for device in devices
    }
    assert connection.device_ids == ("oven-1", "fridge-1", "dishwasher-1")
    assert recorder.of(Subscribed)[0].device_ids == connection.device_ids
    assert recorder.states() == [ConnectionState.CONNECTING, ConnectionState.CONNECTED]


async def test_reconnect_reports_what_changed_while_down(
    server: SmartKitchenServer,
    demo_client: Kitchen,
    session: aiohttp.ClientSession,
    proxy: TcpProxy,
    start_connection: StartConnection,
) -> None:
    """Appliances added and removed while the link was down are announced, then ONE subscribe."""
    devices = await demo_client.get_devices()
    running = await start_connection(
        Kitchen(proxy.url, session, username=DEMO, password=DEMO),
        appliances=[device.appliance for device in devices],
    )
    connection, recorder = running.connection, running.recorder
    await recorder.wait_for_updates(5)
    # Given the list, the first connect announced nothing.
    assert recorder.of(DeviceAdded) == []

    proxy.hold()
    proxy.cut()
    await recorder.wait_for_state(ConnectionState.DISCONNECTED)
    second = await demo_client.add_device(DeviceType.DISHWASHER, "Second Dishwasher")
    await demo_client.remove_device("fridge-1")
    mark = recorder.mark()
    proxy.release()
    await recorder.wait_until(
        lambda: (
            (second.id, None)
            in [(e.device_id, e.compartment) for e in recorder.of(DeviceUpdate, mark)]
        )
    )
    # A command after the snapshot arrives after anything the reconnect caused.
    await demo_client.send_command("oven-1", "set_mode", "upper", mode="bake")
    await recorder.wait_until(
        lambda: (
            recorder.of(DeviceUpdate, mark)[-1].device_id == "oven-1"
            and len(recorder.of(DeviceUpdate, mark)) == 5
        )
    )

    assert recorder.of(DeviceRemoved, mark) == [DeviceRemoved(device_id="fridge-1")]
    assert [event.device.appliance for event in recorder.of(DeviceAdded, mark)] == [
        second.appliance
    ]
    # Announced before the stream is reported connected again.
    kinds = [type(event) for event in recorder.events[mark:]]
    assert kinds.index(DeviceAdded) < kinds.index(Connected)
    assert kinds.index(DeviceRemoved) < kinds.index(Connected)
    (subscribed,) = recorder.of(Subscribed, mark)
    assert set(subscribed.device_ids) == {"oven-1", "dishwasher-1", second.id}
    assert connection.device_ids == subscribed.device_ids
    assert set(connection.appliances) == {"oven-1", "dishwasher-1", second.id}
    assert "fridge-1" not in [
        event.device_id for event in recorder.of(DeviceUpdate, mark)
    ]
    assert recorder.of(ServerError, mark) == []
    assert server.subscriber_count(second.id) == 1
    assert connection.stats.reconnects == 1


@pytest.mark.parametrize("moment", ["before", "after"])
async def test_changes_while_the_list_loads(
    server: SmartKitchenServer,
    demo_client: Kitchen,
    session: aiohttp.ClientSession,
    proxy: TcpProxy,
    start_connection: StartConnection,
    *,
    moment: str,
) -> None:
    """An appliance added and another removed while the list is fetched: announced once each.

    "before": the list already shows the change and the socket's messages repeat it (dropped).
    "after": the list is stale and the socket's messages bring the change.
    """
    devices = await demo_client.get_devices()
    client = Kitchen(proxy.url, session, username=DEMO, password=DEMO)
    fetch = client.get_devices
    added: list[Device] = []

    async def change() -> None:
        added.append(
            await demo_client.add_device(DeviceType.DISHWASHER, "Second Dishwasher")
        )
        await demo_client.remove_device("fridge-1")

    async def racing_get_devices() -> list[Device]:
        if moment == "before":
            await change()
        listed = await fetch()
        if moment == "after":
            await change()
        return listed

    client.get_devices = racing_get_devices  # type: ignore[method-assign]
    running = await start_connection(
        client, appliances=[device.appliance for device in devices]
    )
    connection, recorder = running.connection, running.recorder
    await recorder.wait_for_updates(5)
    mark = recorder.mark()
    proxy.cut()
    await recorder.wait_until(lambda: added)
    (second,) = added
    await recorder.wait_until(
        lambda: (
            (second.id, None)
            in [(e.device_id, e.compartment) for e in recorder.of(DeviceUpdate, mark)]
            and set(connection.appliances) == {"oven-1", "dishwasher-1", second.id}
        )
    )
    async with asyncio.timeout(WAIT):
        await server.wait_until(lambda: server.subscriber_count(second.id) == 1)

    assert [event.device.id for event in recorder.of(DeviceAdded, mark)] == [second.id]
    assert recorder.of(DeviceRemoved, mark) == [DeviceRemoved(device_id="fridge-1")]
    assert set(connection.device_ids) == {"oven-1", "dishwasher-1", second.id}
    assert connection.state is ConnectionState.CONNECTED
    if moment == "before":
        # The list was current: one subscribe, and the socket's repeats were dropped silently.
        assert len(recorder.of(Subscribed, mark)) == 1
        assert connection.stats.malformed_messages == 0


async def test_fixed_ids_still_keep_the_list(
    demo_client: Kitchen, start_connection: StartConnection
) -> None:
    """Switched to fixed ids, a new appliance is remembered and announced but not subscribed."""
    running = await start_connection(demo_client)
    connection, recorder = running.connection, running.recorder
    await recorder.wait_for_updates(5)
    connection.set_device_ids(["oven-1"])
    await recorder.wait_until(lambda: len(recorder.of(Subscribed)) == 2)

    second = await demo_client.add_device(DeviceType.DISHWASHER, "Second Dishwasher")
    await recorder.wait_until(lambda: len(recorder.of(DeviceAdded)) == 4)
    assert connection.appliances[second.id] == second.appliance
    assert connection.device_ids == ("oven-1",)
    # A re-subscription would have been sent before this one, on the same socket.
    connection.set_device_ids(["oven-1", "dishwasher-1"])
    await recorder.wait_until(lambda: len(recorder.of(Subscribed)) >= 3)
    assert [event.device_ids for event in recorder.of(Subscribed)] == [
        ("oven-1", "fridge-1", "dishwasher-1"),
        ("oven-1",),
        ("oven-1", "dishwasher-1"),
    ]


async def test_fixed_ids_from_the_start_pass_appliance_changes_on(
    demo_client: Kitchen, start_connection: StartConnection
) -> None:
    """With a fixed subscription (the CLI's --device) and no list, every change is delivered as is."""
    running = await start_connection(demo_client, device_ids=["oven-1"])
    connection, recorder = running.connection, running.recorder
    await recorder.wait_until(lambda: recorder.of(DeviceUpdate))
    second = await demo_client.add_device(DeviceType.DISHWASHER, "Second Dishwasher")
    await recorder.wait_until(lambda: recorder.of(DeviceAdded))
    await demo_client.remove_device(second.id)
    await recorder.wait_until(lambda: recorder.of(DeviceRemoved))
    assert connection.appliances == {}
    assert connection.device_ids == ("oven-1",)
    assert [event.device_id for event in recorder.of(DeviceRemoved)] == [second.id]


async def test_server_error_is_logged_once_and_delivered(
    demo_client: Kitchen,
    start_connection: StartConnection,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A refusal is logged at warning once per code and ids, and every one is delivered."""
    caplog.set_level(logging.WARNING, logger="custom_components.smart_kitchen.api")
    running = await start_connection(demo_client, device_ids=["oven-1", "fridge-2"])
    connection, recorder = running.connection, running.recorder
    await recorder.wait_until(lambda: recorder.of(ServerError))
    # Another subscribe, the same refusal.
    connection.set_device_ids(["fridge-2"])
    await recorder.wait_until(lambda: len(recorder.of(ServerError)) == 2)
    connection.set_device_ids(["fridge-2", "oven-1", "toaster-9"])
    await recorder.wait_until(lambda: len(recorder.of(ServerError)) == 3)

    errors = recorder.of(ServerError)
    assert [(e.code, e.device_ids) for e in errors] == [
        ("forbidden_device", ("fridge-2",)),
        ("forbidden_device", ("fridge-2",)),
        ("forbidden_device", ("fridge-2", "toaster-9")),
    ]
    warnings = [
        record
        for record in caplog.records
        if record.name == "custom_components.smart_kitchen.api.connection"
    ]
    assert [record.levelno for record in warnings] == [logging.WARNING] * 2
    assert "forbidden_device for fridge-2" in warnings[0].getMessage()
    assert "fridge-2, toaster-9" in warnings[1].getMessage()
    assert connection.state is ConnectionState.CONNECTED
