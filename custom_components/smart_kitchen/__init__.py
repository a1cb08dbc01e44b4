"""The Smart Kitchen integration: ovens, fridges and dishwashers pushed live over a WebSocket."""

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, issue_registry as ir

from .alert_cursor import alert_cursor_store
from .const import DOMAIN
from .coordinator import SmartKitchenConfigEntry, SmartKitchenCoordinator
from .issues import unsupported_protocol_issue_id

PLATFORMS = (
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.EVENT,
    Platform.NUMBER,
    Platform.SELECT,
    Platform.SENSOR,
)


async def async_setup_entry(
    hass: HomeAssistant, entry: SmartKitchenConfigEntry
) -> bool:
    """Log in, load the appliances, add their entities, then start the live connection."""
    coordinator = SmartKitchenCoordinator(hass, entry)
    await coordinator.async_setup()
    entry.runtime_data = coordinator
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    # Started after the entities exist, so the snapshot that follows the subscription lands on them.
    coordinator.async_start()
    return True


async def async_unload_entry(
    hass: HomeAssistant, entry: SmartKitchenConfigEntry
) -> bool:
    """Close the connection, then remove the entities.

    In this order no message (a new appliance, say) can add or update entities of a platform that
    is being unloaded.
    """
    await entry.runtime_data.async_shutdown()
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(
    hass: HomeAssistant, entry: SmartKitchenConfigEntry
) -> None:
    """Delete what would outlive the entry: its repair issue and its stored alert cursor."""
    ir.async_delete_issue(hass, DOMAIN, unsupported_protocol_issue_id(entry))
    await alert_cursor_store(hass, entry).async_remove()


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: SmartKitchenConfigEntry, device_entry: dr.DeviceEntry
) -> bool:
    """Allow removing an appliance the server no longer lists, but not the server or a present one."""
    coordinator = entry.runtime_data
    return not any(
        domain == DOMAIN
        and (
            identifier in coordinator.devices
            or identifier == coordinator.server_info.server_id
        )
        for domain, identifier in device_entry.identifiers
    )
