"""Home Assistant's limit on the entities of one entry: told to the user as a repair issue.

Home Assistant adds a bounded number of enabled entities per config entry (10,000 in 2026.10) and
drops the rest with a log line that asks for a bug report. A kitchen of ~600 appliances has more
entities than that: the user learns how many were left out and what to do about it.
"""

from collections.abc import Iterable

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity import Entity

from .const import LOGGER
from .issues import async_clear_entity_limit_issue, async_raise_entity_limit_issue


class EntityTally:
    """The entities offered to Home Assistant while an entry sets up."""

    def __init__(self) -> None:
        """Start counting; `async_report` ends it."""
        self._offered: list[Entity] | None = []

    @callback
    def offer(self, entities: Iterable[Entity]) -> None:
        """Note entities handed to a platform (not counted once the setup is over)."""
        if self._offered is not None:
            self._offered.extend(entities)

    @callback
    def async_report(self, hass: HomeAssistant, entry_id: str, name: str) -> None:
        """Raise (or clear) the repair issue of an entry whose entities did not all fit."""
        offered, self._offered = self._offered or [], None
        # An entity Home Assistant refused never got a registry entry (a disabled one has one).
        refused = sum(entity.registry_entry is None for entity in offered)
        if not refused:
            async_clear_entity_limit_issue(hass, entry_id)
            return
        LOGGER.warning(
            "%s: Home Assistant added %d of %d entities; see the repair issue",
            name,
            len(offered) - refused,
            len(offered),
        )
        async_raise_entity_limit_issue(hass, entry_id, name, len(offered), refused)
