"""Config entry migrations: what an entry written by an older version becomes."""

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er

from .const import DOMAIN
from .coordinator import SmartKitchenConfigEntry
from .identity import appliance_identifier, entry_server_id


async def async_migrate_entry(
    hass: HomeAssistant, entry: SmartKitchenConfigEntry
) -> bool:
    """Bring an entry of version 1 to version 2.

    Version 1 is the only older one; Home Assistant itself refuses entries newer than the flow's.
    """
    await _async_namespace_by_server(hass, entry)
    hass.config_entries.async_update_entry(entry, version=2)
    return True


async def _async_namespace_by_server(
    hass: HomeAssistant, entry: SmartKitchenConfigEntry
) -> None:
    """Version 1 to 2: prefix the server id to appliance devices and entity unique ids.

    The registry entries are rewritten in place, so entity ids, device ids, names, areas, history and
    automations all stay as they are.
    """
    server_id = entry_server_id(entry)
    prefix = appliance_identifier(server_id, "")

    @callback
    def namespace(entity_entry: er.RegistryEntry) -> dict[str, str] | None:
        # The server connection's unique id holds the entry's unique id, so it is namespaced already.
        if entity_entry.unique_id.startswith(prefix):
            return None
        return {"new_unique_id": prefix + entity_entry.unique_id}

    await er.async_migrate_entries(hass, entry.entry_id, namespace)
    registry = dr.async_get(hass)
    for device in dr.async_entries_for_config_entry(registry, entry.entry_id):
        identifiers = {
            (domain, appliance_identifier(server_id, identifier))
            if domain == DOMAIN and identifier != server_id
            else (domain, identifier)
            for domain, identifier in device.identifiers
        }
        if identifiers != device.identifiers:
            registry.async_update_device(device.id, new_identifiers=identifiers)
