"""Entities that write their state only when what they show changed."""

from typing import override

from homeassistant.core import callback
from homeassistant.helpers.update_coordinator import BaseCoordinatorEntity

from .coordinator import SmartKitchenCoordinator


class WritesOnChange(BaseCoordinatorEntity[SmartKitchenCoordinator]):
    """Write the state when availability or the shown value changed, and only then.

    Home Assistant's state machine drops an equal write too, but only after the entity built its whole
    state, and each write leaves Event/State/Context cycles for the garbage collector: an update of a
    compartment wakes all of its entities and usually changes one or two (see benchmarks/, README).
    """

    # Availability and value as last written: all else (unit, options, name, icon) is fixed.
    _shown: tuple[bool, object] | None = None

    def _value(self) -> object:
        """Return the value the entity shows (None for what has none, e.g. a button)."""
        return None

    @callback
    def _what_it_shows(self) -> tuple[bool, object]:
        """Return availability and value, which is all of the state that can change."""
        if not self.available:
            return False, None
        return True, self._value()

    @override
    async def async_added_to_hass(self) -> None:
        """Start listening; the platform writes the first state right after this."""
        await super().async_added_to_hass()
        self._shown = self._what_it_shows()

    @callback
    def async_write_shown(self) -> None:
        """Write the state, remembering what it shows."""
        self._shown = self._what_it_shows()
        self.async_write_ha_state()

    @callback
    @override
    def _handle_coordinator_update(self) -> None:
        """Write the state only when it changed (building an equal state costs; see benchmarks/)."""
        if self._what_it_shows() != self._shown:
            self.async_write_shown()
