"""Who is who: entities and devices namespaced by server, and the migration of version 1 entries."""

from dataclasses import replace

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_URL
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smart_kitchen.const import DOMAIN
from smart_kitchen_server import ServerConfig, SmartKitchenServer

from .conftest import StreamSpy, setup_entry, state_of


async def test_two_servers_with_the_same_appliance_ids(
    hass: HomeAssistant,
    stream: StreamSpy,
    entity_registry: er.EntityRegistry,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Two servers that both have an `oven-1` each get their own entities and devices."""
    await setup_entry(hass, mock_config_entry, stream)
    other = SmartKitchenServer(
        replace(ServerConfig.demo(tick=None), server_id="holiday-home")
    )
    await other.start(host="127.0.0.1", port=0)
    try:
        holiday = MockConfigEntry(
            domain=DOMAIN,
            title="Holiday Home (demo)",
            unique_id="holiday-home:user-demo",
            data={**mock_config_entry.data, CONF_URL: other.url},
        )
        await setup_entry(hass, holiday, stream)

        assert holiday.state is ConfigEntryState.LOADED
        home = er.async_entries_for_config_entry(
            entity_registry, mock_config_entry.entry_id
        )
        away = er.async_entries_for_config_entry(entity_registry, holiday.entry_id)
        assert len(away) == len(home)
        assert state_of(hass, "sensor.double_oven_upper_temperature") == "21.0"
        assert state_of(hass, "sensor.double_oven_upper_temperature_2") == "21.0"
        assert entity_registry.async_get_entity_id(
            "sensor", DOMAIN, "holiday-home:oven-1_upper_current_temperature"
        )
    finally:
        await hass.config_entries.async_unload(holiday.entry_id)
        await other.stop()


async def test_migration_from_version_1(
    hass: HomeAssistant,
    stream: StreamSpy,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A version 1 entry keeps its entity ids and device ids; only the identities gain the server."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=mock_config_entry.title,
        unique_id=mock_config_entry.unique_id,
        data=dict(mock_config_entry.data),
        version=1,
    )
    entry.add_to_hass(hass)
    hub = device_registry.async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, "smart-kitchen-demo")},
        name="Demo Kitchen",
    )
    oven = device_registry.async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, "oven-1")},
        name="Double Oven",
        via_device_id=hub.id,
    )
    # Renamed by the user before the upgrade: the name must survive.
    mode = entity_registry.async_get_or_create(
        "select",
        DOMAIN,
        "oven-1_upper_mode",
        config_entry=entry,
        device_id=oven.id,
        suggested_object_id="kitchen_oven_top",
    )
    alert = entity_registry.async_get_or_create(
        "event",
        DOMAIN,
        "oven-1_alert",
        config_entry=entry,
        device_id=oven.id,
        suggested_object_id="double_oven_alert",
    )
    connection = entity_registry.async_get_or_create(
        "binary_sensor",
        DOMAIN,
        "smart-kitchen-demo:user-demo_server_connection",
        config_entry=entry,
        device_id=hub.id,
        suggested_object_id="demo_kitchen_server_connection",
    )

    await setup_entry(hass, entry, stream)

    assert entry.state is ConfigEntryState.LOADED
    assert entry.version == 2
    for old, unique_id in (
        (mode, "smart-kitchen-demo:oven-1_upper_mode"),
        (alert, "smart-kitchen-demo:oven-1_alert"),
        (connection, "smart-kitchen-demo:user-demo_server_connection"),
    ):
        migrated = entity_registry.async_get(old.entity_id)
        assert migrated is not None
        assert migrated.unique_id == unique_id
        assert migrated.id == old.id
    assert state_of(hass, "select.kitchen_oven_top") == "off"
    assert hass.states.get("select.double_oven_upper_mode") is None

    migrated_oven = device_registry.async_get(oven.id)
    assert migrated_oven is not None
    assert migrated_oven.identifiers == {(DOMAIN, "smart-kitchen-demo:oven-1")}
    migrated_hub = device_registry.async_get(hub.id)
    assert migrated_hub is not None
    assert migrated_hub.identifiers == {(DOMAIN, "smart-kitchen-demo")}
    # Nothing was created twice: the oven's entities sit on the device they had.
    assert len(dr.async_entries_for_config_entry(device_registry, entry.entry_id)) == 4
    assert {
        entity.entity_id
        for entity in er.async_entries_for_device(entity_registry, oven.id)
    } >= {"select.kitchen_oven_top", "event.double_oven_alert"}
