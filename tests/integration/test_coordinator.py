"""The live stream: updates reach Home Assistant, routed to the entities they concern."""

from collections import Counter
from dataclasses import replace
import logging
from unittest.mock import patch

from homeassistant.const import (
    CONF_PASSWORD,
    CONF_USERNAME,
    EVENT_STATE_CHANGED,
    EVENT_STATE_REPORTED,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.aiohttp_client import async_get_clientsession
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.smart_kitchen.api import (
    ConnectionState,
    DeviceAdded,
    DeviceRemoved,
    DeviceStatus,
    DeviceType,
    SmartKitchenClient,
    Subscribed,
)
from custom_components.smart_kitchen.const import DOMAIN, UNAVAILABLE_GRACE
from custom_components.smart_kitchen.entity import (
    SmartKitchenCompartmentEntity,
    SmartKitchenEntity,
)
from smart_kitchen_server import DeviceConfig, SmartKitchenServer
from smart_kitchen_server.models import DeviceType as ServerDeviceType
from tests.kitchen import Kitchen

from .conftest import (
    StreamSpy,
    connection_state,
    demo_identifier,
    release_reconnect,
    setup_entry,
    state_of,
)

CONNECTION = "binary_sensor.demo_kitchen_demo_server_connection"


async def test_live_updates(
    hass: HomeAssistant,
    server: SmartKitchenServer,
    stream: StreamSpy,
    kitchen: Kitchen,
    init_integration: MockConfigEntry,
) -> None:
    """A mode chosen elsewhere and the heating that follows show up without polling."""
    await stream.update_after(
        kitchen.send_command("oven-1", "set_mode", "upper", mode="bake"),
        "oven-1",
        "upper",
    )
    assert state_of(hass, "select.double_oven_upper_mode") == "bake"
    assert state_of(hass, "number.double_oven_upper_target_temperature") == "180"
    assert state_of(hass, "sensor.double_oven_upper_status") == "preheating"

    await stream.update_after(server.tick(), "oven-1", "upper")
    assert state_of(hass, "sensor.double_oven_upper_temperature") == "31.0"
    # The other compartment did not move.
    assert state_of(hass, "sensor.double_oven_lower_temperature") == "21.0"


async def test_updates_wake_and_write_only_their_compartment(
    hass: HomeAssistant,
    server: SmartKitchenServer,
    stream: StreamSpy,
    kitchen: Kitchen,
    mock_config_entry: MockConfigEntry,
) -> None:
    """An update wakes the entities of one compartment; only those whose value changed write.

    Home Assistant's state machine would drop an equal write too (as `state_reported`), but only
    after the entity built its whole state: the entities skip it themselves.
    """
    woken: Counter[str] = Counter()
    reported: list[str] = []
    handle_compartment = SmartKitchenCompartmentEntity._handle_coordinator_update
    handle_appliance = SmartKitchenEntity._handle_coordinator_update

    def count_compartment(entity: SmartKitchenCompartmentEntity) -> None:
        woken[entity.entity_id] += 1
        handle_compartment(entity)

    def count_appliance(entity: SmartKitchenEntity) -> None:
        woken[entity.entity_id] += 1
        handle_appliance(entity)

    changed = async_capture_events(hass, EVENT_STATE_CHANGED)
    hass.bus.async_listen(
        EVENT_STATE_REPORTED,
        lambda event: reported.append(event.data["entity_id"]),
        event_filter=callback(lambda _data: True),
    )
    # Patched before setup: entities register their bound update method as the listener.
    with (
        patch.object(
            SmartKitchenCompartmentEntity,
            "_handle_coordinator_update",
            count_compartment,
        ),
        patch.object(SmartKitchenEntity, "_handle_coordinator_update", count_appliance),
    ):
        await setup_entry(hass, mock_config_entry, stream)
        await hass.async_block_till_done()
        woken.clear()
        changed.clear()
        reported.clear()

        await stream.update_after(
            kitchen.set_door("fridge-1", True, compartment="fridge"),
            "fridge-1",
            "fridge",
        )

        # The fridge compartment's entities are asked; only the door changed.
        assert woken == {
            "sensor.fridge_freezer_fridge_temperature": 1,
            "number.fridge_freezer_fridge_target_temperature": 1,
            "binary_sensor.fridge_freezer_fridge_door": 1,
            "binary_sensor.fridge_freezer_fridge_door_alarm": 1,
            "switch.fridge_freezer_super_cool": 1,
        }
        await hass.async_block_till_done()
        assert [event.data["entity_id"] for event in changed] == [
            "binary_sensor.fridge_freezer_fridge_door"
        ]
        # Nothing that stayed the same was written again.
        assert reported == []

        # A tick warms the open fridge and adds to its energy; nothing else in the kitchen changes.
        woken.clear()
        changed.clear()
        mark = stream.mark()
        await server.tick()
        await stream.wait_for(
            lambda event: (
                isinstance(event, DeviceStatus) and event.device_id == "fridge-1"
            ),
            mark,
        )
        assert set(woken) == {
            "sensor.fridge_freezer_fridge_temperature",
            "number.fridge_freezer_fridge_target_temperature",
            "binary_sensor.fridge_freezer_fridge_door",
            "binary_sensor.fridge_freezer_fridge_door_alarm",
            "switch.fridge_freezer_super_cool",
            # The status of the whole fridge, which the server sends after the tick's updates.
            "sensor.fridge_freezer_energy",
            "binary_sensor.fridge_freezer_connection",
        }
        await hass.async_block_till_done()
        assert [event.data["entity_id"] for event in changed] == [
            "sensor.fridge_freezer_fridge_temperature",
            "sensor.fridge_freezer_energy",
        ]

    assert state_of(hass, "binary_sensor.fridge_freezer_fridge_door") == "on"
    assert state_of(hass, "sensor.fridge_freezer_fridge_temperature") == "4.5"


async def test_short_drop_keeps_appliances_available(
    hass: HomeAssistant,
    server: SmartKitchenServer,
    stream: StreamSpy,
    caplog: pytest.LogCaptureFixture,
    init_integration: MockConfigEntry,
) -> None:
    """A drop shorter than the grace shows on the connection sensor only."""
    mark = stream.mark()
    await server.drop_connections()
    await stream.wait_for(connection_state(ConnectionState.DISCONNECTED), mark)
    assert state_of(hass, CONNECTION) == "off"
    assert state_of(hass, "sensor.double_oven_upper_temperature") == "21.0"

    mark = stream.mark()
    release_reconnect(hass)
    await stream.wait_for_snapshot(mark)
    assert state_of(hass, CONNECTION) == "on"
    assert state_of(hass, "sensor.double_oven_upper_temperature") == "21.0"
    assert "unavailable" not in caplog.text


async def test_long_outage(
    hass: HomeAssistant,
    server: SmartKitchenServer,
    stream: StreamSpy,
    caplog: pytest.LogCaptureFixture,
    init_integration: MockConfigEntry,
) -> None:
    """Down longer than the grace: appliances go unavailable, then come back fresh with the server.

    The restarted server has forgotten every session, so the client logs in again on its own.
    """
    caplog.set_level(logging.INFO, logger="custom_components.smart_kitchen")
    port = server.port
    mark = stream.mark()
    await server.stop()
    await stream.wait_for(connection_state(ConnectionState.DISCONNECTED), mark)
    assert state_of(hass, CONNECTION) == "off"
    assert state_of(hass, "sensor.double_oven_upper_temperature") == "21.0"

    release_reconnect(hass, UNAVAILABLE_GRACE.total_seconds())
    await hass.async_block_till_done()
    assert state_of(hass, "sensor.double_oven_upper_temperature") == "unavailable"
    # Alerts have no stale state: the alert entity stays as it was.
    assert state_of(hass, "event.double_oven_alert") == "unknown"
    assert state_of(hass, CONNECTION) == "off"

    # More failed attempts while down do not log again.
    release_reconnect(hass, 10)
    await hass.async_block_till_done()

    restarted = SmartKitchenServer(server.config)
    await restarted.start(host="127.0.0.1", port=port)
    try:
        # Someone turns the oven on while Home Assistant cannot see it.
        someone = SmartKitchenClient(
            restarted.url, session=async_get_clientsession(hass)
        )
        await someone.login("demo", "demo")
        await someone.send_command("oven-1", "set_mode", "upper", mode="grill")

        mark = stream.mark()
        release_reconnect(hass, 60)
        await stream.wait_for_snapshot(mark)
        assert state_of(hass, CONNECTION) == "on"
        assert state_of(hass, "event.double_oven_alert") == "unknown"
        assert state_of(hass, "select.double_oven_upper_mode") == "grill"
        assert state_of(hass, "number.double_oven_upper_target_temperature") == "220"
    finally:
        await init_integration.runtime_data.async_shutdown()
        await restarted.stop()

    messages = [
        record.getMessage()
        for record in caplog.records
        if record.name.startswith("custom_components.smart_kitchen")
        and record.levelno >= logging.INFO
    ]
    assert messages == [
        (
            "Lost the connection to Demo Kitchen (demo) (closed by the server (code "
            "1001)); its appliances are unavailable until it is back"
        ),
        "The connection to Demo Kitchen (demo) is back",
    ]


async def test_appliance_added_and_removed(
    hass: HomeAssistant,
    stream: StreamSpy,
    kitchen: Kitchen,
    entity_registry: er.EntityRegistry,
    init_integration: MockConfigEntry,
) -> None:
    """A new appliance gets its device and entities without a reload; a removed one loses them."""
    mark = stream.mark()
    device = await kitchen.add_device(DeviceType.FRIDGE, "Cellar Fridge")
    await stream.wait_for(lambda event: isinstance(event, DeviceAdded), mark)
    await stream.wait_for_snapshot(
        mark, keys=((device.id, "fridge"), (device.id, "freezer"))
    )
    await hass.async_block_till_done()

    device_registry = dr.async_get(hass)
    device_entry = device_registry.async_get_device_by_identifier(
        demo_identifier(device.id), init_integration.entry_id
    )
    assert device_entry is not None
    assert device_entry.name == "Cellar Fridge"
    assert state_of(hass, "sensor.cellar_fridge_fridge_temperature") == "4.0"
    assert state_of(hass, "event.cellar_fridge_alert") == "unknown"

    mark = stream.mark()
    await kitchen.remove_device(device.id)
    await stream.wait_for(lambda event: isinstance(event, DeviceRemoved), mark)
    await hass.async_block_till_done()

    assert (
        device_registry.async_get_device_by_identifier(
            demo_identifier(device.id), init_integration.entry_id
        )
        is None
    )
    assert not er.async_entries_for_device(entity_registry, device_entry.id)
    assert hass.states.get("sensor.cellar_fridge_fridge_temperature") is None

    # An appliance whose device was already deleted by hand is removed all the same.
    dishwasher = device_registry.async_get_device_by_identifier(
        demo_identifier("dishwasher-1"), init_integration.entry_id
    )
    assert dishwasher is not None
    device_registry.async_remove_device(dishwasher.id)
    mark = stream.mark()
    await kitchen.remove_device("dishwasher-1")
    await stream.wait_for(lambda event: isinstance(event, DeviceRemoved), mark)
    assert "dishwasher-1" not in init_integration.runtime_data.devices


async def test_appliances_changed_while_disconnected(
    hass: HomeAssistant,
    server: SmartKitchenServer,
    stream: StreamSpy,
    device_registry: dr.DeviceRegistry,
    init_integration: MockConfigEntry,
) -> None:
    """Appliances added or removed while nobody listened are caught up after the reconnect."""
    port = server.port
    mark = stream.mark()
    await server.stop()
    await stream.wait_for(connection_state(ConnectionState.DISCONNECTED), mark)

    # The server comes back without the fridge and with a second dishwasher.
    changed = replace(
        server.config,
        devices=(
            *(device for device in server.config.devices if device.id != "fridge-1"),
            DeviceConfig(
                id="dishwasher-2",
                type=ServerDeviceType.DISHWASHER,
                name="Second Dishwasher",
                owner="demo",
            ),
        ),
    )
    restarted = SmartKitchenServer(changed)
    await restarted.start(host="127.0.0.1", port=port)
    try:
        mark = stream.mark()
        release_reconnect(hass)
        await stream.wait_for(
            lambda event: (
                isinstance(event, Subscribed) and "dishwasher-2" in event.device_ids
            ),
            mark,
        )
        await stream.wait_for_update("dishwasher-2", None, mark)
        await hass.async_block_till_done()

        assert state_of(hass, "sensor.second_dishwasher_status") == "idle"
        assert hass.states.get("sensor.fridge_freezer_fridge_temperature") is None
        assert (
            device_registry.async_get_device_by_identifier(
                demo_identifier("fridge-1"), init_integration.entry_id
            )
            is None
        )
    finally:
        await init_integration.runtime_data.async_shutdown()
        await restarted.stop()


async def test_two_accounts_on_one_server(
    hass: HomeAssistant,
    *,
    server: SmartKitchenServer,
    stream: StreamSpy,
    device_registry: dr.DeviceRegistry,
    caplog: pytest.LogCaptureFixture,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Each account's hub device and log lines say whose they are."""
    caplog.set_level(logging.INFO, logger="custom_components.smart_kitchen")
    alice = MockConfigEntry(
        domain=DOMAIN,
        title="Demo Kitchen (alice)",
        unique_id="smart-kitchen-demo:user-alice",
        data={**mock_config_entry.data, CONF_USERNAME: "alice", CONF_PASSWORD: "alice"},
    )
    await setup_entry(hass, mock_config_entry, stream)
    mark = stream.mark()
    alice.add_to_hass(hass)
    assert await hass.config_entries.async_setup(alice.entry_id)
    await stream.wait_for_snapshot(
        mark, keys=(("fridge-2", "fridge"), ("fridge-2", "freezer"))
    )

    hubs = {
        entry.entry_id: device_registry.async_get_device_by_identifier(
            (DOMAIN, "smart-kitchen-demo"), entry.entry_id
        )
        for entry in (mock_config_entry, alice)
    }
    assert {entry_id: hub and hub.name for entry_id, hub in hubs.items()} == {
        mock_config_entry.entry_id: "Demo Kitchen (demo)",
        alice.entry_id: "Demo Kitchen (alice)",
    }
    assert state_of(hass, "binary_sensor.demo_kitchen_alice_server_connection") == "on"

    await server.stop()
    release_reconnect(hass, UNAVAILABLE_GRACE.total_seconds())
    await hass.async_block_till_done()
    lost = sorted(
        record.getMessage()
        for record in caplog.records
        if record.getMessage().startswith("Lost the connection to")
    )
    assert [message.partition(" (closed")[0] for message in lost] == [
        "Lost the connection to Demo Kitchen (alice)",
        "Lost the connection to Demo Kitchen (demo)",
    ]
