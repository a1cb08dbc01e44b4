"""How an entry, its appliances and their entities are identified: one entry per user of a server.

Appliance ids are unique on one server only, so every appliance device and entity is namespaced by
the id of its server (`smart-kitchen-demo:oven-1`); two servers with an `oven-1` do not clash.
"""

from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback

from .const import DOMAIN

if TYPE_CHECKING:
    from .coordinator import SmartKitchenConfigEntry


def entry_unique_id(server_id: str, user_id: str) -> str:
    """Return the unique id of the entry of one user of a server."""
    return f"{server_id}:{user_id}"


def entry_server_id(entry: ConfigEntry) -> str:
    """Return the id of the server an entry's account is on."""
    return (entry.unique_id or "").partition(":")[0]


def is_entry_of_server(entry: ConfigEntry, server_id: str) -> bool:
    """Return whether an entry is of an account on the given server."""
    return (entry.unique_id or "").startswith(f"{server_id}:")


def account_name(server_name: str, username: str) -> str:
    """Return how an account is named in entry titles, devices and logs: "Demo Kitchen (alice)"."""
    return f"{server_name} ({username})"


def appliance_identifier(server_id: str, device_id: str) -> str:
    """Return the device registry identifier of an appliance of a server."""
    return f"{server_id}:{device_id}"


def entity_unique_id(server_id: str, device_id: str, *parts: str | None) -> str:
    """Return the unique id of an entity of an appliance, e.g. `<server>:oven-1_upper_mode`."""
    local = "_".join(part for part in (device_id, *parts) if part is not None)
    return appliance_identifier(server_id, local)


@callback
def async_entries_of_server(
    hass: HomeAssistant, server_id: str
) -> list[SmartKitchenConfigEntry]:
    """Return the entries of every account on a server (ignored discoveries left out)."""
    return [
        entry
        for entry in hass.config_entries.async_entries(
            DOMAIN, include_ignore=False, include_disabled=False
        )
        if is_entry_of_server(entry, server_id)
    ]
