"""Where the alert stream stood, kept across restarts to replay the alerts raised meanwhile."""

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.storage import Store

from .api import AlertCursor
from .const import ALERT_CURSOR_SAVE_DELAY, ALERT_CURSOR_STORAGE_VERSION, DOMAIN, LOGGER

if TYPE_CHECKING:
    from .coordinator import SmartKitchenConfigEntry


class AlertCursorStore:
    """Load and save the alert cursor of one entry (`.storage/smart_kitchen.<entry id>.alert_cursor`)."""

    def __init__(self, hass: HomeAssistant, entry: SmartKitchenConfigEntry) -> None:
        """Use the entry's store; nothing is read yet."""
        self._entry = entry
        self._store = Store[dict[str, Any]](
            hass,
            ALERT_CURSOR_STORAGE_VERSION,
            f"{DOMAIN}.{entry.entry_id}.alert_cursor",
        )

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

    async def async_remove(self) -> None:
        """Delete the stored cursor, with the entry it belongs to."""
        await self._store.async_remove()
