"""Temperatures, statuses and dishwasher progress of Smart Kitchen appliances."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, override

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import PERCENTAGE, UnitOfTemperature, UnitOfTime
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .api import (
    ApplianceState,
    DeviceType,
    DishwasherState,
    DishwasherStatus,
    FridgeState,
    OvenState,
    OvenStatus,
)
from .compartment import Compartment
from .coordinator import SmartKitchenConfigEntry
from .entity import SmartKitchenCompartmentEntity, SmartKitchenEntityDescription
from .helpers import async_setup_appliance_entities

# The server pushes every change; nothing is polled.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class SmartKitchenSensorEntityDescription[S: ApplianceState](
    SensorEntityDescription, SmartKitchenEntityDescription
):
    """Describes a Smart Kitchen sensor."""

    value_fn: Callable[[Compartment[S]], StateType | datetime]


def _finish_time(compartment: Compartment[DishwasherState]) -> datetime | None:
    """Return when the running program ends, to the minute; unknown unless it runs."""
    if (finish := compartment.finish_time) is None:
        return None
    return finish.replace(second=0, microsecond=0)


# Ovens and fridges report their temperature alike.
CURRENT_TEMPERATURE = SmartKitchenSensorEntityDescription[OvenState | FridgeState](
    key="current_temperature",
    translation_key="current_temperature",
    device_class=SensorDeviceClass.TEMPERATURE,
    state_class=SensorStateClass.MEASUREMENT,
    native_unit_of_measurement=UnitOfTemperature.CELSIUS,
    suggested_display_precision=1,
    value_fn=lambda compartment: compartment.state.current_temperature,
)

SENSORS: dict[DeviceType, tuple[SmartKitchenSensorEntityDescription[Any], ...]] = {
    DeviceType.OVEN: (
        CURRENT_TEMPERATURE,
        SmartKitchenSensorEntityDescription[OvenState](
            key="status",
            translation_key="oven_status",
            device_class=SensorDeviceClass.ENUM,
            options=[status.value for status in OvenStatus],
            value_fn=lambda compartment: compartment.state.status,
        ),
    ),
    DeviceType.FRIDGE: (CURRENT_TEMPERATURE,),
    DeviceType.DISHWASHER: (
        SmartKitchenSensorEntityDescription[DishwasherState](
            key="status",
            translation_key="dishwasher_status",
            device_class=SensorDeviceClass.ENUM,
            options=[status.value for status in DishwasherStatus],
            value_fn=lambda compartment: compartment.state.status,
        ),
        SmartKitchenSensorEntityDescription[DishwasherState](
            key="remaining_time",
            translation_key="remaining_time",
            device_class=SensorDeviceClass.DURATION,
            native_unit_of_measurement=UnitOfTime.MINUTES,
            suggested_display_precision=0,
            # Zero rather than unknown when no program runs: "nothing left" is the truth.
            value_fn=lambda compartment: (
                compartment.state.remaining_minutes if compartment.program_active else 0
            ),
        ),
        SmartKitchenSensorEntityDescription[DishwasherState](
            key="finish_time",
            translation_key="finish_time",
            device_class=SensorDeviceClass.TIMESTAMP,
            value_fn=_finish_time,
        ),
        SmartKitchenSensorEntityDescription[DishwasherState](
            key="progress",
            translation_key="progress",
            native_unit_of_measurement=PERCENTAGE,
            state_class=SensorStateClass.MEASUREMENT,
            value_fn=lambda compartment: compartment.state.progress,
        ),
    ),
}


class SmartKitchenSensorEntity(SmartKitchenCompartmentEntity, SensorEntity):
    """A sensor of an appliance compartment."""

    entity_description: SmartKitchenSensorEntityDescription[Any]

    @property
    @override
    def native_value(self) -> StateType | datetime:
        """Return the sensor's value."""
        return self.entity_description.value_fn(self.data)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmartKitchenConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the sensors of every appliance, now and when one appears."""
    async_setup_appliance_entities(
        entry, async_add_entities, SENSORS, SmartKitchenSensorEntity
    )
