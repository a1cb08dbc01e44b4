"""Whether the connection is up, and whether the appliances' data can be trusted while it is down."""

from collections.abc import Mapping
from datetime import datetime

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later

from .api import ConnectionState, ConnectionStateChanged
from .compartment import Compartment, CompartmentKey
from .const import LOGGER, UNAVAILABLE_GRACE


class ApplianceAvailability:
    """Follow the connection; keep the appliances available through a short drop.

    After the grace their data is stale, and stays stale, compartment by compartment, until the
    server sends fresh state. The log says once that the server is gone and once that it is back.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        compartments: Mapping[CompartmentKey, Compartment],
        name: str,
        on_offline: CALLBACK_TYPE,
    ) -> None:
        """Follow the compartments of account `name` of a server; on_offline runs after the grace."""
        self._hass = hass
        self._compartments = compartments
        self._name = name
        self._on_offline = on_offline
        self.connected = False
        # True once the connection has been down for longer than the grace; entities then show
        # unavailable until fresh data arrives.
        self.offline = False
        self._reason: str | None = None
        self._stale: set[CompartmentKey] = set()
        self._cancel_grace: CALLBACK_TYPE | None = None

    @callback
    def is_fresh(self, key: CompartmentKey) -> bool:
        """Return whether a compartment exists and its data is not stale from a lost connection."""
        return key in self._compartments and key not in self._stale

    @callback
    def async_clear_stale(self, key: CompartmentKey) -> None:
        """Forget that a compartment is stale: fresh data arrived, or the compartment is gone."""
        self._stale.discard(key)

    @callback
    def async_follow(self, event: ConnectionStateChanged) -> bool:
        """Follow a connection state change; return whether the connection went up or down."""
        if event.reason is not None:
            self._reason = event.reason
        if (connected := event.state is ConnectionState.CONNECTED) == self.connected:
            return False
        self.connected = connected
        if not connected:
            self.async_start_grace()
            return True
        self.async_stop_grace()
        if self.offline:
            self.offline = False
            LOGGER.info("The connection to %s is back", self._name)
        return True

    @callback
    def async_start_grace(self) -> None:
        """Make the appliances unavailable if the connection is not back within the grace."""
        # Only called when the connection goes down, so no timer runs yet.
        self._cancel_grace = async_call_later(
            self._hass, UNAVAILABLE_GRACE, self._async_grace_expired
        )

    @callback
    def async_stop_grace(self) -> None:
        """Cancel the grace timer, if it runs."""
        if self._cancel_grace is not None:
            self._cancel_grace()
            self._cancel_grace = None

    @callback
    def _async_grace_expired(self, _now: datetime) -> None:
        """Mark every appliance stale: the connection has been down for too long."""
        self._cancel_grace = None
        self.offline = True
        self._stale = set(self._compartments)
        LOGGER.info(
            "Lost the connection to %s (%s); its appliances are unavailable until it is back",
            self._name,
            self._reason or "not connected yet",
        )
        self._on_offline()
