"""Diagnostics of a Smart Kitchen entry: settings without secrets, the connection and the appliances."""

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_PASSWORD
from homeassistant.core import HomeAssistant

from .coordinator import SmartKitchenConfigEntry

TO_REDACT = {CONF_PASSWORD, "token"}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: SmartKitchenConfigEntry
) -> dict[str, Any]:
    """Return what helps to debug an entry, with the password and tokens redacted."""
    coordinator = entry.runtime_data
    connection = coordinator.connection
    return {
        "entry": {
            "title": entry.title,
            "data": async_redact_data(dict(entry.data), TO_REDACT),
        },
        "server": asdict(coordinator.server_info),
        "connection": {
            "state": connection.state,
            "connected": coordinator.connected,
            "offline": coordinator.offline,
            "stats": async_redact_data(asdict(connection.stats), TO_REDACT),
        },
        "devices": [
            {
                "id": device.id,
                "type": device.type,
                "name": device.name,
                "model": device.model,
                "firmware": device.firmware,
                # None from a server that predates the appliance status.
                "status": None
                if (status := coordinator.statuses.get(device.id)) is None
                else asdict(status),
                "reachable": coordinator.is_reachable(device.id),
                "compartments": {
                    # The dishwasher's only state has no compartment name.
                    str(name or "device"): {
                        "fresh": coordinator.is_fresh((device.id, name)),
                        **asdict(coordinator.compartments[device.id, name]),
                    }
                    for name in device.compartments
                },
            }
            for device in coordinator.devices.values()
        ],
    }
