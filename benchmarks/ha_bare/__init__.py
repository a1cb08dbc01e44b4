"""Home Assistant's own floor for adding entities: the bench's do-nothing integration.

Loaded only into the throwaway configuration of `scripts/bench`. An entry makes `appliances` devices and
as many entities on each platform as Smart Kitchen added in the same step, each with a unique id, a
device, a name and a fixed state, and nothing else: no connection, no listeners, no translations.
The time Home Assistant takes to add them is what any integration pays for that many entities.
"""

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr

DOMAIN = "bench_bare"
PLATFORMS = ["binary_sensor", "button", "event", "number", "select", "sensor", "switch"]

type BareConfigEntry = ConfigEntry[list[dr.DeviceEntry]]


async def async_setup_entry(hass: HomeAssistant, entry: BareConfigEntry) -> bool:
    """Register the devices, then add the entities."""
    registry = dr.async_get(hass)
    entry.runtime_data = [
        registry.async_get_or_create(
            config_entry_id=entry.entry_id,
            identifiers={(DOMAIN, f"appliance-{index}")},
            manufacturer="Bench",
            model="Bare",
            name=f"Bare appliance {index}",
        )
        for index in range(entry.data["appliances"])
    ]
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: BareConfigEntry) -> bool:
    """Remove the entities."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
