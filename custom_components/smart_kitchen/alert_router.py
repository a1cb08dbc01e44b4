"""Where each alert goes: its appliance's alert entity, the event bus, and the resume cursor."""

from collections.abc import Callable
from typing import TYPE_CHECKING

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.util import dt as dt_util

from .alert_cursor import AlertCursorStore
from .api import Alert, AlertCursor
from .const import LATE_ALERT_AGE
from .device_trigger import async_fire_alert_event
from .listeners import KeyedListeners

if TYPE_CHECKING:
    from .coordinator import SmartKitchenConfigEntry


class AlertRouter:
    """Hand each alert to the alert entity of its appliance and to automations, once.

    The library delivers every alert once (also across reconnects); this remembers, across restarts,
    where the stream stood, so the alerts raised while Home Assistant was down are replayed.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        entry: SmartKitchenConfigEntry,
        store: AlertCursorStore,
        cursor: Callable[[], AlertCursor | None],
    ) -> None:
        """Route the alerts of an entry; `cursor` reads where the connection's stream stands.

        `store` is the one the entry's setup read the cursor from; it saves it here.
        """
        self._hass = hass
        self._entry = entry
        self._cursor = cursor
        self._listeners = KeyedListeners[str, [Alert, bool]]()
        self._store = store

    @callback
    def async_add_listener(
        self, device_id: str, listener: Callable[[Alert, bool], None]
    ) -> CALLBACK_TYPE:
        """Listen for the alerts of one appliance; the listener gets the alert and whether it is late."""
        return self._listeners.async_add(device_id, listener)

    @callback
    def async_route(self, alert: Alert) -> None:
        """Hand an alert on; one older than a few minutes (a replay) is marked late."""
        late = dt_util.utcnow() - alert.ts > LATE_ALERT_AGE
        self._listeners.async_call(alert.device_id, alert, late)
        async_fire_alert_event(self._hass, self._entry, alert, late)
        self.async_note_position()

    @callback
    def async_note_position(self) -> None:
        """Persist where the stream stands soon (after an alert, or the server's newest id)."""
        self._store.async_delay_save(self._cursor())

    async def async_save(self) -> None:
        """Persist where the stream stands now, as Home Assistant stops or the entry unloads."""
        await self._store.async_save(self._cursor())
