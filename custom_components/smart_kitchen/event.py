"""Alerts of Smart Kitchen appliances as event entities."""

from typing import override

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import ALERT_TYPES, Alert, Appliance, DeviceType
from .const import ATTR_COMPARTMENT, ATTR_LATE, ATTR_MESSAGE
from .coordinator import SmartKitchenConfigEntry, SmartKitchenCoordinator
from .entity import SmartKitchenEntity
from .helpers import async_add_appliance_entities
from .identity import entity_unique_id

# The server pushes every alert; nothing is polled.
PARALLEL_UPDATES = 0

EVENTS: dict[DeviceType, EventEntityDescription] = {
    device_type: EventEntityDescription(
        key="alert",
        translation_key="alert",
        event_types=[alert_type.value for alert_type in alert_types],
    )
    for device_type, alert_types in ALERT_TYPES.items()
}


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmartKitchenConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the alert entity of every appliance, now and when one appears."""
    coordinator = entry.runtime_data
    async_add_appliance_entities(
        entry,
        async_add_entities,
        lambda appliance: [SmartKitchenAlertEntity(coordinator, appliance)],
    )


class SmartKitchenAlertEntity(SmartKitchenEntity, EventEntity):
    """The alerts of one appliance, with the message and compartment as event data.

    Alerts replayed after a reconnect arrive once (the library de-duplicates them); those older than
    a few minutes carry `late: true`. An alert stream has no stale state, so the entity stays
    available while the entry is loaded: going unavailable and coming back with the last alert's
    timestamp looked like that alert again, to the logbook and to state-triggered automations.
    """

    def __init__(
        self, coordinator: SmartKitchenCoordinator, appliance: Appliance
    ) -> None:
        """Describe the alert entity of an appliance; the coordinator hands it its alerts."""
        super().__init__(coordinator, None)
        self.device_id = appliance.id
        self.entity_description = EVENTS[appliance.type]
        server_id = coordinator.server_info.server_id
        self._attr_unique_id = entity_unique_id(server_id, appliance.id, "alert")
        self.device_entry = coordinator.device_entries[appliance.id]

    @override
    async def async_added_to_hass(self) -> None:
        """Listen for the alerts of this appliance."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self.coordinator.alerts.async_add_listener(
                self.device_id, self._async_handle_alert
            )
        )

    @callback
    def _async_handle_alert(self, alert: Alert, late: bool) -> None:
        """Record an alert; each one is written, even two within the same second."""
        if alert.alert_type not in self.event_types:
            return
        self._trigger_event(
            alert.alert_type,
            {
                ATTR_MESSAGE: alert.message,
                ATTR_COMPARTMENT: alert.compartment,
                ATTR_LATE: late,
            },
        )
        self.async_write_ha_state()
