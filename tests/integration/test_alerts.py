"""Alerts: the event entity, the bus event, the door alarm and the device triggers."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest.mock import PropertyMock, patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import automation
from homeassistant.components.device_automation import DeviceAutomationType
from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.core import Event, HomeAssistant, ServiceCall, State
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
    async_get_device_automations,
    mock_restore_cache_with_extra_data,
)

from custom_components.smart_kitchen.api import (
    Alert,
    ConnectionState,
    DeviceType,
    SmartKitchenClient,
    SmartKitchenConnection,
    SmartKitchenConnectionError,
)
from custom_components.smart_kitchen.const import (
    DOMAIN,
    EVENT_SMART_KITCHEN,
    UNAVAILABLE_GRACE,
)
from custom_components.smart_kitchen.device_trigger import async_get_triggers
from smart_kitchen_server import ServerConfig, SmartKitchenServer
from tests.helpers import FakeClock
from tests.kitchen import Kitchen

from .conftest import (
    StreamSpy,
    attributes_of,
    connection_state,
    demo_identifier,
    reconnect,
    release_reconnect,
    setup_entry,
    state_of,
)

FRIDGE_ALERT = "event.fridge_freezer_alert"
FRIDGE_ALARM = "binary_sensor.fridge_freezer_fridge_door_alarm"
FREEZER_ALARM = "binary_sensor.fridge_freezer_freezer_door_alarm"


@pytest.fixture
def server_config() -> ServerConfig:
    """Raise the door alert after one tick with the door open, instead of fifteen."""
    return replace(ServerConfig.demo(tick=None), door_alert_ticks=1)


def is_alert(alert_type: str) -> object:
    """Return a predicate for an alert of a type."""
    return lambda event: isinstance(event, Alert) and event.alert_type == alert_type


async def raise_door_alert(
    server: SmartKitchenServer, kitchen: Kitchen, compartment: str
) -> None:
    """Open a fridge door and leave it open long enough for the door alert."""
    await kitchen.set_door("fridge-1", True, compartment=compartment)
    await server.tick(2)


async def setup_door_automations(hass: HomeAssistant, device_id: str) -> None:
    """Add an automation per compartment on the "door left open" device trigger."""
    assert await async_setup_component(
        hass,
        automation.DOMAIN,
        {
            automation.DOMAIN: [
                {
                    "triggers": {
                        "platform": "device",
                        "domain": DOMAIN,
                        "device_id": device_id,
                        "type": "door_open",
                        "subtype": compartment,
                    },
                    "actions": {
                        "action": "test.automation",
                        "data_template": {
                            "compartment": compartment,
                            "message": "{{ trigger.event.data.message }}",
                            "late": "{{ trigger.event.data.late }}",
                        },
                    },
                }
                for compartment in ("fridge", "freezer")
            ]
        },
    )


async def test_door_alert(
    hass: HomeAssistant,
    *,
    server: SmartKitchenServer,
    server_clock: FakeClock,
    stream: StreamSpy,
    kitchen: Kitchen,
    service_calls: list[ServiceCall],
    init_integration: MockConfigEntry,
) -> None:
    """A door alert reaches the event entity, the bus and the device trigger once, replay included.

    The second alert is raised while Home Assistant is disconnected and stamped ten minutes ago:
    it is replayed once after the reconnect and marked late.
    """
    fridge = dr.async_get(hass).async_get_device_by_identifier(
        demo_identifier("fridge-1"), init_integration.entry_id
    )
    assert fridge is not None
    await setup_door_automations(hass, fridge.id)
    bus_events: list[Event] = async_capture_events(hass, EVENT_SMART_KITCHEN)

    mark = stream.mark()
    await raise_door_alert(server, kitchen, "fridge")
    await stream.wait_for(is_alert("door_open"), mark)
    await hass.async_block_till_done()

    assert state_of(hass, FRIDGE_ALARM) == "on"
    assert state_of(hass, FREEZER_ALARM) == "off"
    assert attributes_of(hass, FRIDGE_ALERT) | {"friendly_name": None} == {
        "event_type": "door_open",
        "event_types": ["door_open", "temperature_high"],
        "message": "Fridge Freezer fridge door has been open for more than 2 seconds",
        "compartment": "fridge",
        "late": False,
        "friendly_name": None,
    }
    assert [event.data for event in bus_events] == [
        {
            "device_id": fridge.id,
            "type": "door_open",
            "compartment": "fridge",
            "message": "Fridge Freezer fridge door has been open for more than 2 seconds",
            "late": False,
        }
    ]
    assert [call.data for call in service_calls] == [
        {
            "compartment": "fridge",
            "message": "Fridge Freezer fridge door has been open for more than 2 seconds",
            "late": False,
        }
    ]

    # The freezer door is left open while Home Assistant cannot see it.
    mark = stream.mark()
    await server.drop_connections()
    server_clock.offset = timedelta(minutes=-10)
    await raise_door_alert(server, kitchen, "freezer")
    server_clock.offset = timedelta()
    release_reconnect(hass)
    await stream.wait_for(
        lambda event: is_alert("door_open")(event) and event.compartment == "freezer",
        mark,
    )
    await hass.async_block_till_done()

    assert state_of(hass, FREEZER_ALARM) == "on"
    assert attributes_of(hass, FRIDGE_ALERT)["compartment"] == "freezer"
    assert attributes_of(hass, FRIDGE_ALERT)["late"] is True
    assert [
        (event.data["compartment"], event.data["late"]) for event in bus_events
    ] == [
        ("fridge", False),
        ("freezer", True),
    ]
    assert [
        (call.data["compartment"], call.data["late"]) for call in service_calls
    ] == [
        ("fridge", False),
        ("freezer", True),
    ]

    # Another reconnect replays nothing that was already delivered.
    await reconnect(hass, server, stream)
    await hass.async_block_till_done()
    assert len(bus_events) == 2
    assert len(service_calls) == 2

    # Closing a door ends its alarm.
    await stream.update_after(
        kitchen.set_door("fridge-1", False, compartment="fridge"), "fridge-1", "fridge"
    )
    assert state_of(hass, FRIDGE_ALARM) == "off"
    assert state_of(hass, FREEZER_ALARM) == "on"


async def test_replayed_alert_for_a_closed_door(
    hass: HomeAssistant,
    server: SmartKitchenServer,
    stream: StreamSpy,
    kitchen: Kitchen,
    init_integration: MockConfigEntry,
) -> None:
    """An alert replayed after its door closed is recorded, but raises no alarm."""
    # A first alert makes the client remember an alert id to replay from.
    mark = stream.mark()
    await raise_door_alert(server, kitchen, "freezer")
    await stream.wait_for(is_alert("door_open"), mark)

    mark = stream.mark()
    await server.drop_connections()
    await raise_door_alert(server, kitchen, "fridge")
    await kitchen.set_door("fridge-1", False, compartment="fridge")
    release_reconnect(hass)
    await stream.wait_for(
        lambda event: is_alert("door_open")(event) and event.compartment == "fridge",
        mark,
    )

    assert attributes_of(hass, FRIDGE_ALERT)["compartment"] == "fridge"
    assert state_of(hass, FRIDGE_ALARM) == "off"
    assert state_of(hass, "binary_sensor.fridge_freezer_fridge_door") == "off"


async def test_appliance_alerts(
    hass: HomeAssistant,
    *,
    server: SmartKitchenServer,
    stream: StreamSpy,
    kitchen: Kitchen,
    service_calls: list[ServiceCall],
    init_integration: MockConfigEntry,
) -> None:
    """A preheated oven and a finished dishwasher raise their alerts on their own entities."""
    dishwasher = dr.async_get(hass).async_get_device_by_identifier(
        demo_identifier("dishwasher-1"), init_integration.entry_id
    )
    assert dishwasher is not None
    # The dishwasher has no compartments, so its trigger has no subtype.
    assert await async_setup_component(
        hass,
        automation.DOMAIN,
        {
            automation.DOMAIN: {
                "triggers": {
                    "platform": "device",
                    "domain": DOMAIN,
                    "device_id": dishwasher.id,
                    "type": "program_finished",
                },
                "actions": {
                    "action": "test.automation",
                    "data_template": {"message": "{{ trigger.event.data.message }}"},
                },
            }
        },
    )

    mark = stream.mark()
    await kitchen.send_command("oven-1", "set_mode", "lower", mode="defrost")
    await kitchen.send_command("dishwasher-1", "start", program="quick")
    await server.tick(30)
    await stream.wait_for(is_alert("program_finished"), mark)

    assert state_of(hass, "sensor.double_oven_lower_status") == "ready"
    assert (
        attributes_of(hass, "event.double_oven_alert")["event_type"] == "preheat_done"
    )
    assert attributes_of(hass, "event.double_oven_alert")["compartment"] == "lower"
    assert (
        attributes_of(hass, "event.dishwasher_alert")["event_type"]
        == "program_finished"
    )
    assert attributes_of(hass, "event.dishwasher_alert")["compartment"] is None
    assert state_of(hass, "event.fridge_freezer_alert") == "unknown"
    await hass.async_block_till_done()
    assert [call.data for call in service_calls if call.domain == "test"] == [
        {"message": "Dishwasher has finished the quick program"}
    ]


async def test_alerts_the_entities_do_not_know(
    hass: HomeAssistant, stream: StreamSpy, init_integration: MockConfigEntry
) -> None:
    """Alert types of a newer server only go to the bus (the library drops unknown appliances)."""
    bus_events = async_capture_events(hass, EVENT_SMART_KITCHEN)
    stream.deliver(
        Alert(
            id=1000,
            device_id="oven-1",
            device_type=DeviceType.OVEN,
            compartment="upper",
            alert_type="self_cleaning_done",
            message="The oven cleaned itself",
            ts=datetime.now(UTC),
        )
    )
    await hass.async_block_till_done()

    assert state_of(hass, "event.double_oven_alert") == "unknown"
    assert [event.data["type"] for event in bus_events] == ["self_cleaning_done"]


async def test_device_triggers(
    hass: HomeAssistant,
    device_registry: dr.DeviceRegistry,
    init_integration: MockConfigEntry,
) -> None:
    """Each appliance offers its alerts as triggers, per compartment where it has them."""

    def triggers_of(device_id: str) -> str:
        device = device_registry.async_get_device_by_identifier(
            demo_identifier(device_id), init_integration.entry_id
        )
        assert device is not None
        return device.id

    async def offered(device_id: str) -> set[tuple[str, str | None]]:
        triggers = await async_get_device_automations(
            hass, DeviceAutomationType.TRIGGER, triggers_of(device_id)
        )
        return {
            (trigger["type"], trigger.get("subtype"))
            for trigger in triggers
            if trigger["domain"] == DOMAIN
        }

    assert await offered("fridge-1") == {
        ("door_open", "fridge"),
        ("door_open", "freezer"),
        ("temperature_high", "fridge"),
        ("temperature_high", "freezer"),
    }
    assert await offered("oven-1") == {
        ("preheat_done", "upper"),
        ("preheat_done", "lower"),
        ("timer_finished", "upper"),
        ("timer_finished", "lower"),
    }
    assert await offered("dishwasher-1") == {("program_finished", None)}

    # The server hub raises no alerts, and an unloaded entry offers nothing.
    hub = device_registry.async_get_device_by_identifier(
        (DOMAIN, "smart-kitchen-demo"), init_integration.entry_id
    )
    assert hub is not None
    assert not [
        trigger
        for trigger in await async_get_device_automations(
            hass, DeviceAutomationType.TRIGGER, hub.id
        )
        if trigger["domain"] == DOMAIN
    ]
    assert await async_get_triggers(hass, "no-such-device") == []
    fridge_id = triggers_of("fridge-1")
    await hass.config_entries.async_unload(init_integration.entry_id)
    assert not [
        trigger
        for trigger in await async_get_device_automations(
            hass, DeviceAutomationType.TRIGGER, fridge_id
        )
        if trigger["domain"] == DOMAIN
    ]


async def test_alert_raised_while_home_assistant_was_down(
    hass: HomeAssistant,
    *,
    server: SmartKitchenServer,
    stream: StreamSpy,
    kitchen: Kitchen,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
    init_integration: MockConfigEntry,
) -> None:
    """An alert raised while the entry was not running is replayed once when it runs again.

    Unloading stands in for a restart of Home Assistant: the entry saves where its alert stream
    stood, and the next setup resumes from there.
    """
    bus_events: list[Event] = async_capture_events(hass, EVENT_SMART_KITCHEN)
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    cursor_key = f"{DOMAIN}.{init_integration.entry_id}.alert_cursor"
    assert hass_storage[cursor_key]["data"] == {
        "boot_id": server.boot_id,
        "last_alert_id": 0,
    }

    await raise_door_alert(server, kitchen, "fridge")

    mark = stream.mark()
    assert await hass.config_entries.async_setup(init_integration.entry_id)
    await stream.wait_for(is_alert("door_open"), mark)
    await hass.async_block_till_done()
    assert [
        (event.data["type"], event.data["compartment"]) for event in bus_events
    ] == [("door_open", "fridge")]
    assert state_of(hass, FRIDGE_ALARM) == "on"

    # The new position is saved (batched), so the alert is not replayed a second time.
    freezer.tick(timedelta(seconds=5))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert hass_storage[cursor_key]["data"]["last_alert_id"] == 1
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    mark = stream.mark()
    assert await hass.config_entries.async_setup(init_integration.entry_id)
    await stream.wait_for_snapshot(mark)
    await hass.async_block_till_done()
    assert len(bus_events) == 1


@pytest.mark.parametrize(
    "stored",
    [{"boot_id": "gone", "last_alert_id": -1}, {"bootId": "x"}],
    ids=["negative_id", "unknown_keys"],
)
async def test_unreadable_alert_cursor(
    hass: HomeAssistant,
    *,
    stream: StreamSpy,
    mock_config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
    stored: dict[str, Any],
) -> None:
    """A damaged stored cursor is ignored with a warning; the entry starts as a fresh one."""
    hass_storage[f"{DOMAIN}.{mock_config_entry.entry_id}.alert_cursor"] = {
        "version": 1,
        "key": f"{DOMAIN}.{mock_config_entry.entry_id}.alert_cursor",
        "data": stored,
    }
    await setup_entry(hass, mock_config_entry, stream)

    assert "Ignoring the unreadable alert position" in caplog.text
    assert mock_config_entry.runtime_data.connection.alert_cursor is not None


async def test_alert_cursor_removed_with_the_entry(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    init_integration: MockConfigEntry,
) -> None:
    """Deleting the entry deletes its stored alert cursor."""
    cursor_key = f"{DOMAIN}.{init_integration.entry_id}.alert_cursor"
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    assert cursor_key in hass_storage

    await hass.config_entries.async_remove(init_integration.entry_id)
    await hass.async_block_till_done()
    assert cursor_key not in hass_storage


async def test_no_alert_cursor_from_an_older_server(
    hass: HomeAssistant,
    *,
    stream: StreamSpy,
    mock_config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """A server that sends no `lastAlertId` on `subscribed` (an older server) leaves nothing to store.

    The library then has no cursor until the first alert, which only such a server can cause, so the
    library's answer is the one thing replaced here.
    """
    with patch.object(
        SmartKitchenConnection, "alert_cursor", new_callable=PropertyMock
    ) as alert_cursor:
        alert_cursor.return_value = None
        await setup_entry(hass, mock_config_entry, stream)
        assert await hass.config_entries.async_unload(mock_config_entry.entry_id)

    assert f"{DOMAIN}.{mock_config_entry.entry_id}.alert_cursor" not in hass_storage


async def test_no_phantom_alert_after_an_outage(
    hass: HomeAssistant,
    *,
    server: SmartKitchenServer,
    stream: StreamSpy,
    kitchen: Kitchen,
    init_integration: MockConfigEntry,
) -> None:
    """An outage longer than the grace leaves the alert entity as it was; a new alert changes it.

    The alert stream has no stale state (replay delivers what was missed), so the entity does not go
    unavailable and come back with its old timestamp, which looked like the alert again.
    """
    mark = stream.mark()
    await raise_door_alert(server, kitchen, "fridge")
    await stream.wait_for(is_alert("door_open"), mark)
    await hass.async_block_till_done()
    last_alert = state_of(hass, FRIDGE_ALERT)
    changed = async_capture_events(hass, EVENT_STATE_CHANGED)

    mark = stream.mark()
    await server.drop_connections()
    await stream.wait_for(connection_state(ConnectionState.DISCONNECTED), mark)
    release_reconnect(hass, UNAVAILABLE_GRACE.total_seconds())
    await hass.async_block_till_done()
    assert state_of(hass, "sensor.fridge_freezer_fridge_temperature") == "unavailable"
    assert state_of(hass, FRIDGE_ALERT) == last_alert
    await reconnect(hass, server, stream)
    await hass.async_block_till_done()

    assert not [event for event in changed if event.data["entity_id"] == FRIDGE_ALERT]
    mark = stream.mark()
    await raise_door_alert(server, kitchen, "freezer")
    await stream.wait_for(is_alert("door_open"), mark)
    await hass.async_block_till_done()
    assert [
        event.data["new_state"].attributes["compartment"]
        for event in changed
        if event.data["entity_id"] == FRIDGE_ALERT
    ] == ["freezer"]


async def test_no_phantom_alert_after_a_restart(
    hass: HomeAssistant,
    *,
    stream: StreamSpy,
    mock_config_entry: MockConfigEntry,
) -> None:
    """After a restart the alert entity keeps its last alert, even if the server answers late.

    The restored state is the last alert Home Assistant recorded; the first connection failing and
    the grace running out must not turn it unavailable and back, which fired automations again.
    """
    last_alert = State(
        FRIDGE_ALERT,
        "2026-11-27T07:52:00.000+00:00",
        {"event_type": "door_open", "compartment": "fridge"},
    )
    mock_restore_cache_with_extra_data(
        hass,
        [
            (
                last_alert,
                {
                    "last_event_type": "door_open",
                    "last_event_attributes": {
                        "message": "Fridge Freezer fridge door has been open",
                        "compartment": "fridge",
                        "late": False,
                    },
                },
            )
        ],
    )
    ws_connect = SmartKitchenClient.ws_connect
    attempts: list[int] = []

    async def fail_first(client: SmartKitchenClient, **kwargs: Any) -> Any:
        attempts.append(1)
        if len(attempts) == 1:
            raise SmartKitchenConnectionError("the server is still starting")
        return await ws_connect(client, **kwargs)

    changed = async_capture_events(hass, EVENT_STATE_CHANGED)
    mark = stream.mark()
    with patch.object(SmartKitchenClient, "ws_connect", fail_first):
        mock_config_entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await stream.wait_for(connection_state(ConnectionState.DISCONNECTED), mark)
        release_reconnect(hass, UNAVAILABLE_GRACE.total_seconds())
        await stream.wait_for_snapshot(mark)
    await hass.async_block_till_done()

    assert len(attempts) == 2
    assert state_of(hass, FRIDGE_ALERT) == last_alert.state
    assert [
        (event.data["old_state"], event.data["new_state"].state)
        for event in changed
        if event.data["entity_id"] == FRIDGE_ALERT
    ] == [(None, last_alert.state)]
