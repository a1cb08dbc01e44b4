"""Appliance features end to end: energy and water, per-appliance online state."""

from datetime import UTC, datetime, timedelta
import logging
from typing import Any

from homeassistant.components import automation
from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.const import ATTR_ENTITY_ID, SERVICE_TURN_OFF, SERVICE_TURN_ON
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.service import async_get_all_descriptions
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smart_kitchen.api import Alert, DeviceStatus, DeviceUpdate, Event
from custom_components.smart_kitchen.const import DOMAIN, UNAVAILABLE_GRACE
from smart_kitchen_server import SmartKitchenServer
from tests.helpers import FakeClock
from tests.kitchen import Kitchen

from .conftest import (
    StreamSpy,
    attributes_of,
    demo_identifier,
    release_reconnect,
    setup_entry,
    state_of,
)
from .test_commands import set_value
from .test_translations import EN

OVEN_ENERGY = "sensor.double_oven_energy"
FRIDGE_ENERGY = "sensor.fridge_freezer_energy"
DISHWASHER_ENERGY = "sensor.dishwasher_energy"
DISHWASHER_WATER = "sensor.dishwasher_water"
PROGRAM_ENERGY = "sensor.dishwasher_program_energy"
PROGRAM_WATER = "sensor.dishwasher_program_water"
OVEN_CONNECTION = "binary_sensor.double_oven_connection"
OVEN_TEMPERATURE = "sensor.double_oven_upper_temperature"
OVEN_ALERT = "event.double_oven_alert"
FRIDGE_TEMPERATURE = "sensor.fridge_freezer_fridge_temperature"
SUPER_COOL = "switch.fridge_freezer_super_cool"
COOK_TIMER = "number.double_oven_upper_cook_timer"
TIMER_REMAINING = "sensor.double_oven_upper_cook_timer_remaining"
START_TIME = "sensor.dishwasher_start_time"
FINISH_TIME = "sensor.dishwasher_finish_time"
START = "button.dishwasher_start_program"
CANCEL = "button.dishwasher_cancel_program"
SUPER_FREEZE = "switch.fridge_freezer_super_freeze"


async def refusal(hass: HomeAssistant, entity_id: str) -> str | None:
    """Press a dishwasher button that cannot act now, and return why (its translation key).

    Buttons stay available while the appliance is reachable; pressing one that cannot act says why.
    """
    assert state_of(hass, entity_id) != "unavailable", entity_id
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            "button", "press", {"entity_id": entity_id}, blocking=True
        )
    return err.value.translation_key


async def status_after(
    stream: StreamSpy,
    action: object,
    device_id: str,
    online: bool | None = None,
    *,
    count: int = 1,
) -> DeviceStatus:
    """Run an action and return the `count`th status of an appliance after it (with that online state).

    The server sends at most one status per tick and appliance: `count` ticks, `count` statuses.
    """
    mark = stream.mark()
    await action  # type: ignore[misc]

    def statuses(events: list[Event]) -> list[DeviceStatus]:
        return [
            event
            for event in events
            if isinstance(event, DeviceStatus)
            and event.device_id == device_id
            and (online is None or event.status.online is online)
        ]

    await stream.wait_since(lambda events: len(statuses(events)) >= count, mark)
    return statuses(stream.events[mark:])[count - 1]


async def test_energy_and_water_of_a_program(
    hass: HomeAssistant,
    server: SmartKitchenServer,
    stream: StreamSpy,
    kitchen: Kitchen,
    init_integration: MockConfigEntry,
) -> None:
    """Lifetime counters in kWh and litres, and what the running program used so far."""
    assert state_of(hass, OVEN_ENERGY) == "48.21"
    assert state_of(hass, FRIDGE_ENERGY) == "312.4"
    assert state_of(hass, DISHWASHER_ENERGY) == "95.2"
    assert state_of(hass, DISHWASHER_WATER) == "1064.0"
    # No program yet: nothing used.
    assert state_of(hass, PROGRAM_ENERGY) == "unknown"
    assert state_of(hass, PROGRAM_WATER) == "unknown"

    await stream.update_after(
        kitchen.send_command("dishwasher-1", "start", program="quick"),
        "dishwasher-1",
        None,
    )
    assert state_of(hass, PROGRAM_ENERGY) == "0.0"
    assert state_of(hass, PROGRAM_WATER) == "0.0"

    # The quick program uses 20 Wh and 0.3 L per tick.
    await status_after(stream, server.tick(2), "dishwasher-1", count=2)
    await hass.async_block_till_done()
    assert state_of(hass, PROGRAM_ENERGY) == "40.0"
    assert state_of(hass, PROGRAM_WATER) == "0.6"
    assert state_of(hass, DISHWASHER_ENERGY) == "95.24"
    assert state_of(hass, DISHWASHER_WATER) == "1064.6"


async def test_offline_appliance_goes_unavailable_alone(
    hass: HomeAssistant,
    stream: StreamSpy,
    kitchen: Kitchen,
    caplog: pytest.LogCaptureFixture,
    init_integration: MockConfigEntry,
) -> None:
    """An appliance off the network: its connection sensor at once, its entities after the grace."""
    caplog.set_level(logging.INFO, logger="custom_components.smart_kitchen")
    assert state_of(hass, OVEN_CONNECTION) == "on"

    await status_after(stream, kitchen.set_online("oven-1", False), "oven-1", False)
    assert state_of(hass, OVEN_CONNECTION) == "off"
    # Within the grace the oven keeps its values.
    assert state_of(hass, OVEN_TEMPERATURE) == "21.0"

    release_reconnect(hass, UNAVAILABLE_GRACE.total_seconds())
    await hass.async_block_till_done()
    for entity_id in (OVEN_TEMPERATURE, OVEN_ENERGY):
        assert state_of(hass, entity_id) == "unavailable", entity_id
    # An alert stream has no stale state: the alert entity stays as it was.
    assert state_of(hass, OVEN_ALERT) == "unknown"
    assert state_of(hass, OVEN_CONNECTION) == "off"
    # The other appliances carry on.
    assert state_of(hass, FRIDGE_TEMPERATURE) == "4.0"
    assert state_of(hass, FRIDGE_ENERGY) == "312.4"
    assert caplog.text.count("Double Oven is offline") == 1

    # Back online, the oven sends its fresh state, then its status.
    await status_after(stream, kitchen.set_online("oven-1", True), "oven-1", True)
    assert state_of(hass, OVEN_CONNECTION) == "on"
    for entity_id in (OVEN_TEMPERATURE, OVEN_ALERT, OVEN_ENERGY):
        assert state_of(hass, entity_id) != "unavailable", entity_id
    assert caplog.text.count("Double Oven is back online") == 1
    assert caplog.text.count("Double Oven is offline") == 1


async def test_short_offline_keeps_the_appliance_available(
    hass: HomeAssistant,
    stream: StreamSpy,
    kitchen: Kitchen,
    caplog: pytest.LogCaptureFixture,
    init_integration: MockConfigEntry,
) -> None:
    """Offline for less than the grace: only the connection sensor shows it, nothing is logged."""
    caplog.set_level(logging.INFO, logger="custom_components.smart_kitchen")
    await status_after(stream, kitchen.set_online("oven-1", False), "oven-1", False)
    await status_after(stream, kitchen.set_online("oven-1", True), "oven-1", True)
    release_reconnect(hass, UNAVAILABLE_GRACE.total_seconds())
    await hass.async_block_till_done()
    assert state_of(hass, OVEN_TEMPERATURE) == "21.0"
    assert state_of(hass, OVEN_CONNECTION) == "on"
    assert "Double Oven" not in caplog.text


async def test_appliance_offline_at_start_and_removed_while_offline(
    hass: HomeAssistant,
    stream: StreamSpy,
    kitchen: Kitchen,
    mock_config_entry: MockConfigEntry,
) -> None:
    """An appliance listed offline starts its grace at once; removing it forgets it."""
    await kitchen.set_online("oven-1", False)
    await setup_entry(hass, mock_config_entry, stream)
    assert state_of(hass, OVEN_CONNECTION) == "off"
    assert state_of(hass, OVEN_TEMPERATURE) == "21.0"
    release_reconnect(hass, UNAVAILABLE_GRACE.total_seconds())
    await hass.async_block_till_done()
    assert state_of(hass, OVEN_TEMPERATURE) == "unavailable"

    # The fridge goes offline too, and is removed before its grace ends.
    await status_after(stream, kitchen.set_online("fridge-1", False), "fridge-1", False)
    mark = stream.mark()
    await kitchen.remove_device("fridge-1")
    await stream.wait_for(
        lambda event: (
            isinstance(event, DeviceUpdate) is False
            and type(event).__name__ == "DeviceRemoved"
        ),
        mark,
    )
    await hass.async_block_till_done()
    assert hass.states.get(FRIDGE_TEMPERATURE) is None
    coordinator = mock_config_entry.runtime_data
    assert "fridge-1" not in coordinator.appliance_statuses.statuses
    release_reconnect(hass, UNAVAILABLE_GRACE.total_seconds())
    await hass.async_block_till_done()
    assert coordinator.appliance_statuses.is_reachable("fridge-1")


async def test_unload_stops_the_grace_of_an_offline_appliance(
    hass: HomeAssistant,
    stream: StreamSpy,
    kitchen: Kitchen,
    caplog: pytest.LogCaptureFixture,
    init_integration: MockConfigEntry,
) -> None:
    """No timer of an appliance outlives its entry."""
    caplog.set_level(logging.INFO, logger="custom_components.smart_kitchen")
    await status_after(stream, kitchen.set_online("oven-1", False), "oven-1", False)
    assert await hass.config_entries.async_unload(init_integration.entry_id)
    release_reconnect(hass, UNAVAILABLE_GRACE.total_seconds())
    await hass.async_block_till_done()
    assert "Double Oven is offline" not in caplog.text


async def switch(hass: HomeAssistant, entity_id: str, on: bool) -> None:
    """Turn a switch on or off."""
    await hass.services.async_call(
        SWITCH_DOMAIN,
        SERVICE_TURN_ON if on else SERVICE_TURN_OFF,
        {ATTR_ENTITY_ID: entity_id},
        blocking=True,
    )


async def test_super_cool_and_super_freeze(
    hass: HomeAssistant,
    server: SmartKitchenServer,
    stream: StreamSpy,
    init_integration: MockConfigEntry,
) -> None:
    """Each compartment of a fridge-freezer has its super mode; the fridge cools below its target."""
    assert state_of(hass, SUPER_COOL) == "off"
    assert state_of(hass, SUPER_FREEZE) == "off"

    await stream.update_after(switch(hass, SUPER_COOL, True), "fridge-1", "fridge")
    assert state_of(hass, SUPER_COOL) == "on"
    assert state_of(hass, SUPER_FREEZE) == "off"
    await stream.update_after(server.tick(), "fridge-1", "fridge")
    assert state_of(hass, FRIDGE_TEMPERATURE) == "3.5"

    await stream.update_after(switch(hass, SUPER_FREEZE, True), "fridge-1", "freezer")
    assert state_of(hass, SUPER_FREEZE) == "on"
    await stream.update_after(switch(hass, SUPER_COOL, False), "fridge-1", "fridge")
    assert state_of(hass, SUPER_COOL) == "off"
    assert state_of(hass, SUPER_FREEZE) == "on"


async def test_oven_cook_timer(
    hass: HomeAssistant,
    *,
    server: SmartKitchenServer,
    server_clock: FakeClock,
    stream: StreamSpy,
    kitchen: Kitchen,
    device_registry: dr.DeviceRegistry,
    service_calls: list[ServiceCall],
    init_integration: MockConfigEntry,
) -> None:
    """Set a cook timer, watch it count down; when it runs out the oven turns off and says so."""
    oven = device_registry.async_get_device_by_identifier(
        demo_identifier("oven-1"), init_integration.entry_id
    )
    assert oven is not None
    assert await async_setup_component(
        hass,
        automation.DOMAIN,
        {
            automation.DOMAIN: {
                "triggers": {
                    "platform": "device",
                    "domain": DOMAIN,
                    "device_id": oven.id,
                    "type": "timer_finished",
                    "subtype": "upper",
                },
                "actions": {
                    "action": "test.automation",
                    "data_template": {"message": "{{ trigger.event.data.message }}"},
                },
            }
        },
    )
    assert state_of(hass, COOK_TIMER) == "unknown"
    assert state_of(hass, TIMER_REMAINING) == "unknown"
    # A timer never turns an oven on.
    with pytest.raises(ServiceValidationError):
        await set_value(hass, COOK_TIMER, 10)

    await stream.update_after(
        kitchen.send_command("oven-1", "set_mode", "upper", mode="bake"),
        "oven-1",
        "upper",
    )
    await stream.update_after(set_value(hass, COOK_TIMER, 2), "oven-1", "upper")
    assert state_of(hass, COOK_TIMER) == "2"
    assert state_of(hass, TIMER_REMAINING) == "2"

    server_clock.offset += timedelta(seconds=61)
    await stream.update_after(server.tick(), "oven-1", "upper")
    assert state_of(hass, TIMER_REMAINING) == "1"

    mark = stream.mark()
    server_clock.offset += timedelta(minutes=1)
    await server.tick()
    await stream.wait_for(lambda event: isinstance(event, Alert), mark)
    await hass.async_block_till_done()
    assert state_of(hass, "select.double_oven_upper_mode") == "off"
    assert state_of(hass, COOK_TIMER) == "unknown"
    assert state_of(hass, TIMER_REMAINING) == "unknown"
    assert attributes_of(hass, OVEN_ALERT)["event_type"] == "timer_finished"
    assert [
        call.data["message"] for call in service_calls if call.domain == "test"
    ] == ["Double Oven upper timer has finished; the compartment was turned off"]


async def test_cook_timer_set_to_zero_cancels_it(
    hass: HomeAssistant,
    stream: StreamSpy,
    kitchen: Kitchen,
    init_integration: MockConfigEntry,
) -> None:
    """0 minutes cancels the timer; the oven keeps heating."""
    await stream.update_after(
        kitchen.send_command("oven-1", "set_mode", "lower", mode="grill"),
        "oven-1",
        "lower",
    )
    await stream.update_after(
        set_value(hass, "number.double_oven_lower_cook_timer", 600),
        "oven-1",
        "lower",
    )
    assert state_of(hass, "number.double_oven_lower_cook_timer") == "600"
    await stream.update_after(
        set_value(hass, "number.double_oven_lower_cook_timer", 0), "oven-1", "lower"
    )
    assert state_of(hass, "number.double_oven_lower_cook_timer") == "unknown"
    assert state_of(hass, "select.double_oven_lower_mode") == "grill"


async def start_program(hass: HomeAssistant, **data: Any) -> None:
    """Call smart_kitchen.start_program."""
    await hass.services.async_call(DOMAIN, "start_program", data, blocking=True)


def device_id_of(hass: HomeAssistant, entry: MockConfigEntry, appliance: str) -> str:
    """Return the Home Assistant device id of an appliance."""
    device = dr.async_get(hass).async_get_device_by_identifier(
        demo_identifier(appliance), entry.entry_id
    )
    assert device is not None
    return device.id


async def test_delayed_start(
    hass: HomeAssistant,
    server: SmartKitchenServer,
    server_clock: FakeClock,
    stream: StreamSpy,
    init_integration: MockConfigEntry,
) -> None:
    """Start in 90 minutes: start and finish times show the plan, then the program runs."""
    server_clock.stopped_at = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
    dishwasher = device_id_of(hass, init_integration, "dishwasher-1")
    assert await refusal(hass, CANCEL) == "nothing_to_cancel"
    await stream.update_after(
        start_program(
            hass, device_id=dishwasher, program="normal", start_in={"minutes": 90}
        ),
        "dishwasher-1",
        None,
    )
    assert state_of(hass, START_TIME) == "2026-11-27T21:30:00+00:00"
    # normal runs 120 minutes.
    assert state_of(hass, FINISH_TIME) == "2026-11-27T23:30:00+00:00"
    assert state_of(hass, "sensor.dishwasher_status") == "idle"
    # Cancel cancels the plan; Start says that a start is planned already.
    assert await refusal(hass, START) == "start_scheduled"
    assert state_of(hass, CANCEL) != "unavailable"

    server_clock.stopped_at += timedelta(minutes=90)
    await stream.update_after(server.tick(), "dishwasher-1", None)
    assert state_of(hass, "sensor.dishwasher_status") == "running"
    assert state_of(hass, START_TIME) == "unknown"
    assert state_of(hass, "select.dishwasher_program") == "normal"


async def test_start_to_finish_at_a_local_time(
    hass: HomeAssistant,
    stream: StreamSpy,
    init_integration: MockConfigEntry,
) -> None:
    """Finish at a time without a zone (Home Assistant's): the program starts its duration earlier."""
    await hass.config.async_set_time_zone("Europe/Berlin")
    # Both clocks run in real time here: the action checks the window against Home Assistant's.
    finish = (dt_util.now() + timedelta(hours=5)).replace(second=0, microsecond=0)
    dishwasher = device_id_of(hass, init_integration, "dishwasher-1")
    # The Program select chooses the program: eco (180 minutes) by default.
    await stream.update_after(
        start_program(
            hass,
            device_id=dishwasher,
            finish_at=finish.replace(tzinfo=None).isoformat(sep=" "),
        ),
        "dishwasher-1",
        None,
    )
    finish_utc = finish.astimezone(UTC)
    assert state_of(hass, FINISH_TIME) == finish_utc.isoformat()
    assert state_of(hass, START_TIME) == (finish_utc - timedelta(hours=3)).isoformat()

    await stream.update_after(
        hass.services.async_call(
            "button", "press", {ATTR_ENTITY_ID: CANCEL}, blocking=True
        ),
        "dishwasher-1",
        None,
    )
    assert state_of(hass, START_TIME) == "unknown"
    assert state_of(hass, FINISH_TIME) == "unknown"


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({}, "start_time_required"),
        (
            {"start_in": {"minutes": 5}, "finish_at": "2030-01-01 07:00"},
            "start_time_required",
        ),
        ({"start_in": {"hours": 25}}, "start_in_out_of_range"),
        ({"finish_at": "2020-01-01T07:00:00+00:00"}, "finish_time_unreachable"),
        ({"program": "quick", "start_in": {"days": 2}}, "start_in_out_of_range"),
    ],
)
async def test_start_program_refuses_what_cannot_be(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
    data: dict[str, Any],
    key: str,
) -> None:
    """Each mistake has its translated message, before anything is sent."""
    dishwasher = device_id_of(hass, init_integration, "dishwasher-1")
    with pytest.raises(ServiceValidationError) as err:
        await start_program(hass, device_id=dishwasher, **data)
    assert err.value.translation_key == key
    # Home Assistant drops the final full stop of an exception's message.
    assert str(err.value) == EN["exceptions"][key]["message"].format(
        **(err.value.translation_placeholders or {})
    ).rstrip(".")


async def test_start_program_needs_a_loaded_dishwasher(
    hass: HomeAssistant,
    init_integration: MockConfigEntry,
) -> None:
    """Another appliance, an unknown device, an unloaded entry: each is said plainly."""
    oven = device_id_of(hass, init_integration, "oven-1")
    with pytest.raises(ServiceValidationError) as err:
        await start_program(hass, device_id=oven, start_in={"minutes": 5})
    assert err.value.translation_key == "not_a_dishwasher"
    assert err.value.translation_placeholders == {"name": "Double Oven"}

    hub = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, "smart-kitchen-demo"), init_integration.entry_id
    )
    assert hub is not None
    with pytest.raises(ServiceValidationError) as err:
        await start_program(hass, device_id=hub.id, start_in={"minutes": 5})
    assert err.value.translation_key == "not_a_dishwasher"

    other = MockConfigEntry(domain="other")
    other.add_to_hass(hass)
    foreign = dr.async_get(hass).async_get_or_create(
        config_entry_id=other.entry_id, identifiers={("other", "x")}
    )
    with pytest.raises(ServiceValidationError) as err:
        await start_program(hass, device_id=foreign.id, start_in={"minutes": 5})
    assert err.value.translation_key == "not_a_dishwasher"

    with pytest.raises(ServiceValidationError) as err:
        await start_program(hass, device_id="nope", start_in={"minutes": 5})
    assert err.value.translation_key == "device_not_found"

    dishwasher = device_id_of(hass, init_integration, "dishwasher-1")
    await hass.config_entries.async_unload(init_integration.entry_id)
    with pytest.raises(ServiceValidationError) as err:
        await start_program(hass, device_id=dishwasher, start_in={"minutes": 5})
    assert err.value.translation_key == "entry_not_loaded"


async def test_start_program_refused_by_the_dishwasher(
    hass: HomeAssistant,
    stream: StreamSpy,
    init_integration: MockConfigEntry,
) -> None:
    """A second schedule while one waits is the dishwasher's to refuse, with its reason."""
    dishwasher = device_id_of(hass, init_integration, "dishwasher-1")
    await stream.update_after(
        start_program(hass, device_id=dishwasher, start_in={"minutes": 5}),
        "dishwasher-1",
        None,
    )
    with pytest.raises(ServiceValidationError) as err:
        await start_program(hass, device_id=dishwasher, start_in={"minutes": 10})
    # The dishwasher's own refusal, translated by its error code.
    assert err.value.translation_key == "command_conflict"


async def test_start_program_is_described(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """services.yaml loads, and every field of the action has its name and description in en.json."""
    descriptions = await async_get_all_descriptions(hass)
    fields = descriptions[DOMAIN]["start_program"]["fields"]
    assert set(fields) == {"device_id", "program", "start_in", "finish_at"}
    texts = EN["services"]["start_program"]
    assert texts["name"]
    assert texts["description"]
    for field in fields:
        assert texts["fields"][field]["name"]
        assert texts["fields"][field]["description"]
    assert set(EN["selector"]["program"]["options"]) == set(
        fields["program"]["selector"]["select"]["options"]
    )
