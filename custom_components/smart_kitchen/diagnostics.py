"""Diagnostics of a Smart Kitchen entry: settings without secrets, the connection and the appliances."""

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import REDACTED, async_redact_data
from homeassistant.const import CONF_PASSWORD, CONF_URL, CONF_USERNAME
from homeassistant.core import HomeAssistant
from yarl import URL

from .coordinator import SmartKitchenConfigEntry

# Secrets, and what identifies the person: their username, and the entry's title, which holds it.
TO_REDACT = {CONF_PASSWORD, CONF_USERNAME, "title", "token"}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: SmartKitchenConfigEntry
) -> dict[str, Any]:
    """Return what helps to debug an entry, without secrets or what identifies the person."""
    coordinator = entry.runtime_data
    connection = coordinator.connection
    # The server's host (a home's address or name) may also be in an error text.
    host = URL(entry.data[CONF_URL]).raw_host or REDACTED
    stats = asdict(connection.stats)
    if (reason := stats["last_disconnect_reason"]) is not None:
        stats["last_disconnect_reason"] = reason.replace(host, REDACTED)
    return {
        "entry": async_redact_data(
            {
                "title": entry.title,
                "data": {
                    **entry.data,
                    CONF_URL: entry.data[CONF_URL].replace(host, REDACTED),
                },
            },
            TO_REDACT,
        ),
        "server": asdict(coordinator.server_info),
        "connection": {
            "state": connection.state,
            "connected": coordinator.availability.connected,
            "offline": coordinator.availability.offline,
            "stats": async_redact_data(stats, TO_REDACT),
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
                if (status := coordinator.appliance_statuses.statuses.get(device.id))
                is None
                else asdict(status),
                "reachable": coordinator.appliance_statuses.is_reachable(device.id),
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
