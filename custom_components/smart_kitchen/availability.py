"""Whether the appliances' data can be trusted while the connection to the server is down."""

from collections.abc import Mapping
from datetime import datetime

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later

from .compartment import Compartment, CompartmentKey
from .const import UNAVAILABLE_GRACE


class ApplianceAvailability:
    """Keep the appliances available through a short drop; after the grace their data is stale.

    Stale data stays stale, compartment by compartment, until the server sends fresh state.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        compartments: Mapping[CompartmentKey, Compartment],
        on_offline: CALLBACK_TYPE,
    ) -> None:
        """Follow the given compartments; on_offline runs when the grace expires."""
        self._hass = hass
        self._compartments = compartments
        self._on_offline = on_offline
        # True once the connection has been down for longer than the grace; entities then show
        # unavailable until fresh data arrives.
        self.offline = False
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
    def async_back_online(self) -> bool:
        """Cancel the grace now that the connection is back; return whether it had expired."""
        self.async_stop_grace()
        if not self.offline:
            return False
        self.offline = False
        return True

    @callback
    def _async_grace_expired(self, _now: datetime) -> None:
        """Mark every appliance stale: the connection has been down for too long."""
        self._cancel_grace = None
        self.offline = True
        self._stale = set(self._compartments)
        self._on_offline()
