"""Doors, door alarms and the server connection of Smart Kitchen."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import override

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)

# The package re-exports the enum only implicitly, which strict typing does not accept.
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import ApplianceState, DeviceType
from .appliance_entity import (
    SmartKitchenApplianceEntity,
    SmartKitchenApplianceEntityDescription,
    async_setup_appliance_status_entities,
)
from .compartment import Compartment
from .const import DOMAIN
from .coordinator import SmartKitchenConfigEntry, SmartKitchenCoordinator
from .entity import (
    SmartKitchenCompartmentEntity,
    SmartKitchenEntity,
    SmartKitchenEntityDescription,
)
from .helpers import async_setup_appliance_entities

# The server pushes every change; nothing is polled.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class SmartKitchenBinarySensorEntityDescription(
    BinarySensorEntityDescription, SmartKitchenEntityDescription
):
    """Describes a Smart Kitchen binary sensor."""

    value_fn: Callable[[Compartment[ApplianceState]], bool]


COMPARTMENT_DOOR = SmartKitchenBinarySensorEntityDescription(
    key="door",
    translation_key="compartment_door",
    device_class=BinarySensorDeviceClass.DOOR,
    value_fn=lambda compartment: compartment.state.door_open,
)

BINARY_SENSORS: dict[
    DeviceType, tuple[SmartKitchenBinarySensorEntityDescription, ...]
] = {
    DeviceType.OVEN: (COMPARTMENT_DOOR,),
    DeviceType.FRIDGE: (
        COMPARTMENT_DOOR,
        SmartKitchenBinarySensorEntityDescription(
            key="door_alarm",
            translation_key="door_alarm",
            device_class=BinarySensorDeviceClass.PROBLEM,
            value_fn=lambda compartment: compartment.door_alarm,
        ),
    ),
    DeviceType.DISHWASHER: (
        # The dishwasher has one door, so the entity takes the device class's name: "Door".
        SmartKitchenBinarySensorEntityDescription(
            key="door",
            device_class=BinarySensorDeviceClass.DOOR,
            value_fn=lambda compartment: compartment.state.door_open,
        ),
    ),
}


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmartKitchenConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the server connection sensor and the doors of every appliance."""
    hub_entities = [SmartKitchenConnectivityEntity(entry.runtime_data)]
    entry.runtime_data.entity_tally.offer(hub_entities)
    async_add_entities(hub_entities)
    async_setup_appliance_entities(
        entry, async_add_entities, BINARY_SENSORS, SmartKitchenBinarySensorEntity
    )
    async_setup_appliance_status_entities(
        entry,
        async_add_entities,
        APPLIANCE_BINARY_SENSORS,
        SmartKitchenApplianceConnectivityEntity,
    )


class SmartKitchenBinarySensorEntity(SmartKitchenCompartmentEntity, BinarySensorEntity):
    """A binary sensor of an appliance compartment."""

    entity_description: SmartKitchenBinarySensorEntityDescription

    @property
    @override
    def is_on(self) -> bool:
        """Return whether the door is open, or the alarm raised."""
        return self.entity_description.value_fn(self.data)


class SmartKitchenConnectivityEntity(SmartKitchenEntity, BinarySensorEntity):
    """Whether the server connection is up; it follows every drop at once, without a grace."""

    _attr_device_class = BinarySensorDeviceClass.CONNECTIVITY
    _attr_entity_category = EntityCategory.DIAGNOSTIC
    _attr_translation_key = "server_connection"

    def __init__(self, coordinator: SmartKitchenCoordinator) -> None:
        """Attach the sensor to the server hub device; it listens to the connection (context None)."""
        super().__init__(coordinator, None)
        self._attr_unique_id = f"{coordinator.config_entry.unique_id}_server_connection"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, coordinator.server_info.server_id)}
        )

    @property
    @override
    def is_on(self) -> bool:
        """Return whether the connection to the server is up."""
        return self.coordinator.availability.connected

    @override
    def _value(self) -> object:
        """Return what the sensor shows: whether the connection is up."""
        return self.is_on


@dataclass(frozen=True, kw_only=True)
class SmartKitchenApplianceBinarySensorEntityDescription(
    BinarySensorEntityDescription, SmartKitchenApplianceEntityDescription
):
    """Describes a binary sensor of a whole appliance."""


# Whether the server reaches the appliance; it shows a drop at once, without the grace.
APPLIANCE_CONNECTION = SmartKitchenApplianceBinarySensorEntityDescription(
    key="connection",
    translation_key="appliance_connection",
    device_class=BinarySensorDeviceClass.CONNECTIVITY,
    entity_category=EntityCategory.DIAGNOSTIC,
    follows_reachability=False,
)

APPLIANCE_BINARY_SENSORS: dict[
    DeviceType, tuple[SmartKitchenApplianceBinarySensorEntityDescription, ...]
] = dict.fromkeys(DeviceType, (APPLIANCE_CONNECTION,))


class SmartKitchenApplianceConnectivityEntity(
    SmartKitchenApplianceEntity, BinarySensorEntity
):
    """Whether the server reaches an appliance; unknown with a server that does not say."""

    entity_description: SmartKitchenApplianceBinarySensorEntityDescription

    @property
    @override
    def is_on(self) -> bool | None:
        """Return whether the appliance is online."""
        return None if (status := self.status) is None else status.online

    @override
    def _value(self) -> object:
        """Return what the sensor shows: whether the appliance is online."""
        return self.is_on
