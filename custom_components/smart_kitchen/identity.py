"""How an entry is identified: one entry per user of a server."""

from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback

from .const import DOMAIN

if TYPE_CHECKING:
    from .coordinator import SmartKitchenConfigEntry


def entry_unique_id(server_id: str, user_id: str) -> str:
    """Return the unique id of the entry of one user of a server."""
    return f"{server_id}:{user_id}"


def is_entry_of_server(entry: ConfigEntry, server_id: str) -> bool:
    """Return whether an entry is of an account on the given server."""
    return (entry.unique_id or "").startswith(f"{server_id}:")


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
