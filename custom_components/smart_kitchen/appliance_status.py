"""What the server says about each whole appliance: whether it reaches it, and its counters."""

from collections.abc import Callable
from datetime import datetime
from functools import partial

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later

from .api import ApplianceStatus
from .const import LOGGER, UNAVAILABLE_GRACE


class ApplianceStatuses:
    """Keep each appliance's latest status; an appliance offline for longer than the grace is unreachable.

    Like a lost server connection, an appliance that drops off the network for a moment keeps its
    entities available; after the grace they are unavailable until it is back. The log says once that
    it is unreachable and once that it is back.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        name_of: Callable[[str], str],
        on_reachability: Callable[[str], None],
    ) -> None:
        """Start without statuses; on_reachability(appliance id) runs when an appliance's entities must follow."""
        self._hass = hass
        self._name_of = name_of
        self._on_reachability = on_reachability
        # Only appliances of servers that report a status have an entry.
        self.statuses: dict[str, ApplianceStatus] = {}
        self._unreachable: set[str] = set()
        self._grace: dict[str, CALLBACK_TYPE] = {}

    @callback
    def is_reachable(self, device_id: str) -> bool:
        """Return whether an appliance's data can be trusted (not offline for longer than the grace)."""
        return device_id not in self._unreachable

    @callback
    def async_set(self, device_id: str, status: ApplianceStatus | None) -> None:
        """Take an appliance's new status, and follow when it goes offline or comes back."""
        if status is None:
            # A server that predates the status says nothing about it: the appliance counts as online.
            return
        self.statuses[device_id] = status
        if not status.online:
            if device_id not in self._grace and device_id not in self._unreachable:
                self._grace[device_id] = async_call_later(
                    self._hass,
                    UNAVAILABLE_GRACE,
                    partial(self._async_grace_expired, device_id),
                )
            return
        self._async_cancel_grace(device_id)
        if device_id in self._unreachable:
            self._unreachable.discard(device_id)
            LOGGER.info("%s is back online", self._name_of(device_id))
            self._on_reachability(device_id)

    @callback
    def async_remove(self, device_id: str) -> None:
        """Forget a removed appliance."""
        self._async_cancel_grace(device_id)
        self.statuses.pop(device_id, None)
        self._unreachable.discard(device_id)

    @callback
    def async_stop(self) -> None:
        """Cancel every grace timer."""
        for device_id in list(self._grace):
            self._async_cancel_grace(device_id)

    @callback
    def _async_cancel_grace(self, device_id: str) -> None:
        """Cancel the grace timer of an appliance, if it runs."""
        if (cancel := self._grace.pop(device_id, None)) is not None:
            cancel()

    @callback
    def _async_grace_expired(self, device_id: str, _now: datetime) -> None:
        """Make an appliance unreachable: it has been offline for too long."""
        del self._grace[device_id]
        self._unreachable.add(device_id)
        LOGGER.info(
            "%s is offline; its entities are unavailable until it is back",
            self._name_of(device_id),
        )
        self._on_reachability(device_id)
