"""Keep the device registry in step with the server: its hub, and the appliances it lists."""

from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple, cast

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceInfo

from .api import Appliance, ServerInfo
from .const import DOMAIN, MANUFACTURER
from .identity import appliance_identifier, entry_server_id

if TYPE_CHECKING:
    from .coordinator import SmartKitchenConfigEntry


@callback
def async_sync_devices(
    hass: HomeAssistant,
    entry: SmartKitchenConfigEntry,
    server_info: ServerInfo,
    account: str,
    appliances: Iterable[Appliance],
) -> str:
    """Register the hub (named `account`), remove the devices of appliances gone; return its id."""
    hub_device_id = async_register_hub(hass, entry, server_info, account)
    async_remove_stale_devices(hass, entry, (appliance.id for appliance in appliances))
    return hub_device_id


@callback
def async_register_hub(
    hass: HomeAssistant,
    entry: SmartKitchenConfigEntry,
    server_info: ServerInfo,
    account: str,
) -> str:
    """Register the server as the hub the appliances are connected through; return its device id."""
    return (
        dr.async_get(hass)
        .async_get_or_create(
            config_entry_id=entry.entry_id,
            identifiers={(DOMAIN, server_info.server_id)},
            manufacturer=MANUFACTURER,
            model="Appliance server",
            # Two accounts on one server each have a hub; the name says whose it is.
            name=account,
            sw_version=server_info.version,
        )
        .id
    )


@callback
def device_info(server_id: str, hub_device_id: str, appliance: Appliance) -> DeviceInfo:
    """Return the device registry entry of an appliance, connected through the server hub."""
    return DeviceInfo(
        identifiers={(DOMAIN, appliance_identifier(server_id, appliance.id))},
        manufacturer=MANUFACTURER,
        model=appliance.model,
        name=appliance.name,
        sw_version=appliance.firmware,
        via_device_id=hub_device_id,
    )


@callback
def async_remove_stale_devices(
    hass: HomeAssistant, entry: SmartKitchenConfigEntry, appliances: Iterable[str]
) -> None:
    """Remove the devices of an entry that are neither its hub nor one of these appliances."""
    server_id = entry_server_id(entry)
    known = {server_id, *(appliance_identifier(server_id, id_) for id_ in appliances)}
    registry = dr.async_get(hass)
    for device_entry in dr.async_entries_for_config_entry(registry, entry.entry_id):
        if not any(
            domain == DOMAIN and identifier in known
            for domain, identifier in device_entry.identifiers
        ):
            registry.async_remove_device(device_entry.id)


@callback
def async_device_entry(
    hass: HomeAssistant, entry: SmartKitchenConfigEntry, device_id: str
) -> dr.DeviceEntry | None:
    """Return the device registry entry of an appliance of an entry."""
    return dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, appliance_identifier(entry_server_id(entry), device_id)),
        entry.entry_id,
    )


@callback
def async_remove_device_entry(
    hass: HomeAssistant, entry: SmartKitchenConfigEntry, device_id: str
) -> None:
    """Remove an appliance, with its entities, from the device registry."""
    if device_entry := async_device_entry(hass, entry, device_id):
        dr.async_get(hass).async_remove_device(device_entry.id)


@callback
def async_appliance_id(
    entry: SmartKitchenConfigEntry, device_entry: dr.DeviceEntry
) -> str | None:
    """Return the appliance id behind a device of an entry, or None for its hub (or a stranger)."""
    prefix = appliance_identifier(entry_server_id(entry), "")
    for domain, identifier in device_entry.identifiers:
        if domain == DOMAIN and identifier.startswith(prefix):
            return identifier.removeprefix(prefix)
    return None


class DeviceLookup(NamedTuple):
    """What stands behind a device id: each part None where the lookup stopped."""

    # None: no such device.
    device_entry: dr.DeviceEntry | None
    # None: the device is not Smart Kitchen's.
    entry: SmartKitchenConfigEntry | None
    # None: the entry is not loaded, the device is the hub, or the appliance is gone.
    appliance: Appliance | None


@callback
def async_lookup_appliance(hass: HomeAssistant, device_id: str) -> DeviceLookup:
    """Return the device, its Smart Kitchen entry and, if that entry is loaded, its appliance."""
    device_entry = dr.async_get(hass).async_get(device_id, include_child_devices=False)
    if device_entry is None:
        return DeviceLookup(None, None, None)
    entry = hass.config_entries.async_get_entry(device_entry.config_entry_id)
    if entry is None or entry.domain != DOMAIN:
        return DeviceLookup(device_entry, None, None)
    entry = cast("SmartKitchenConfigEntry", entry)
    if entry.state is not ConfigEntryState.LOADED or (
        (appliance_id := async_appliance_id(entry, device_entry)) is None
    ):
        return DeviceLookup(device_entry, entry, None)
    return DeviceLookup(
        device_entry, entry, entry.runtime_data.devices.get(appliance_id)
    )
