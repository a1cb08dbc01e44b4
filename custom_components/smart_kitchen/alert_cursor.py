"""Where the alert stream stood, kept across restarts to replay the alerts raised meanwhile."""

from dataclasses import asdict
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.storage import Store

from .api import AlertCursor
from .const import ALERT_CURSOR_SAVE_DELAY, ALERT_CURSOR_STORAGE_VERSION, DOMAIN, LOGGER


def alert_cursor_store(
    hass: HomeAssistant, entry: ConfigEntry
) -> Store[dict[str, Any]]:
    """Return the store that keeps an entry's alert cursor across restarts."""
    return Store(
        hass, ALERT_CURSOR_STORAGE_VERSION, f"{DOMAIN}.{entry.entry_id}.alert_cursor"
    )


class AlertCursorStore:
    """Load and save the alert cursor of one entry."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        """Use the entry's store; nothing is read yet."""
        self._entry = entry
        self._store = alert_cursor_store(hass, entry)

    async def async_load(self) -> AlertCursor | None:
        """Return where the alert stream stood when this entry last ran, to replay what came since."""
        if (stored := await self._store.async_load()) is None:
            return None
        try:
            return AlertCursor(**stored)
        except TypeError, ValueError:
            # A damaged file costs the alerts raised while Home Assistant was down, nothing more.
            LOGGER.warning(
                "Ignoring the unreadable alert position stored for %s",
                self._entry.title,
            )
            return None

    @callback
    def async_delay_save(self, cursor: AlertCursor | None) -> None:
        """Persist the alert cursor soon; several alerts in a row make one write."""
        if cursor is not None:
            self._store.async_delay_save(
                lambda: asdict(cursor), ALERT_CURSOR_SAVE_DELAY
            )

    async def async_save(self, cursor: AlertCursor | None) -> None:
        """Persist the alert cursor now, as Home Assistant stops or the entry unloads."""
        if cursor is not None:
            await self._store.async_save(asdict(cursor))
