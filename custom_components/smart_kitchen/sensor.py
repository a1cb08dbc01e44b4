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
from homeassistant.const import (
    PERCENTAGE,
    UnitOfEnergy,
    UnitOfTemperature,
    UnitOfTime,
    UnitOfVolume,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .api import (
    ApplianceState,
    ApplianceStatus,
    DeviceType,
    DishwasherState,
    DishwasherStatus,
    FridgeState,
    OvenState,
    OvenStatus,
)
from .appliance_entity import (
    SmartKitchenApplianceEntity,
    SmartKitchenApplianceEntityDescription,
    async_setup_appliance_status_entities,
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
    """Return when the running or scheduled program ends, to the minute; else unknown."""
    finish = (
        compartment.state.planned_finish
        if compartment.state.scheduled
        else compartment.finish_time
    )
    if finish is None:
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
            key="timer_remaining",
            translation_key="timer_remaining",
            device_class=SensorDeviceClass.DURATION,
            native_unit_of_measurement=UnitOfTime.MINUTES,
            suggested_display_precision=0,
            # Unknown while no cook timer is set.
            value_fn=lambda compartment: compartment.state.timer_remaining_minutes,
        ),
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
            key="start_time",
            translation_key="start_time",
            device_class=SensorDeviceClass.TIMESTAMP,
            # Known while a delayed start waits.
            value_fn=lambda compartment: compartment.state.starts_at,
        ),
        SmartKitchenSensorEntityDescription[DishwasherState](
            key="progress",
            translation_key="progress",
            native_unit_of_measurement=PERCENTAGE,
            state_class=SensorStateClass.MEASUREMENT,
            value_fn=lambda compartment: compartment.state.progress,
        ),
        # What the current program used so far (its totals once finished). Home Assistant allows the
        # energy and water device classes only for totals, so these measurements carry units alone.
        SmartKitchenSensorEntityDescription[DishwasherState](
            key="program_energy",
            translation_key="program_energy",
            native_unit_of_measurement=UnitOfEnergy.WATT_HOUR,
            state_class=SensorStateClass.MEASUREMENT,
            suggested_display_precision=0,
            value_fn=lambda compartment: compartment.state.program_energy_wh,
        ),
        SmartKitchenSensorEntityDescription[DishwasherState](
            key="program_water",
            translation_key="program_water",
            native_unit_of_measurement=UnitOfVolume.LITERS,
            state_class=SensorStateClass.MEASUREMENT,
            suggested_display_precision=1,
            value_fn=lambda compartment: compartment.state.program_water_liters,
        ),
    ),
}


@dataclass(frozen=True, kw_only=True)
class SmartKitchenApplianceSensorEntityDescription(
    SensorEntityDescription, SmartKitchenApplianceEntityDescription
):
    """Describes a sensor of a whole appliance."""

    value_fn: Callable[[ApplianceStatus], StateType]


# Lifetime counters, as the Energy dashboard takes them: individual devices and water consumption.
ENERGY = SmartKitchenApplianceSensorEntityDescription(
    key="energy",
    device_class=SensorDeviceClass.ENERGY,
    state_class=SensorStateClass.TOTAL_INCREASING,
    native_unit_of_measurement=UnitOfEnergy.WATT_HOUR,
    suggested_unit_of_measurement=UnitOfEnergy.KILO_WATT_HOUR,
    suggested_display_precision=2,
    value_fn=lambda status: status.energy_wh,
)

APPLIANCE_SENSORS: dict[
    DeviceType, tuple[SmartKitchenApplianceSensorEntityDescription, ...]
] = {
    DeviceType.OVEN: (ENERGY,),
    DeviceType.FRIDGE: (ENERGY,),
    DeviceType.DISHWASHER: (
        ENERGY,
        SmartKitchenApplianceSensorEntityDescription(
            key="water",
            device_class=SensorDeviceClass.WATER,
            state_class=SensorStateClass.TOTAL_INCREASING,
            native_unit_of_measurement=UnitOfVolume.LITERS,
            suggested_display_precision=1,
            value_fn=lambda status: status.water_liters,
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


class SmartKitchenApplianceSensorEntity(SmartKitchenApplianceEntity, SensorEntity):
    """A sensor of a whole appliance; unknown with a server that does not report it."""

    entity_description: SmartKitchenApplianceSensorEntityDescription

    @property
    @override
    def native_value(self) -> StateType:
        """Return the sensor's value."""
        if (status := self.status) is None:
            return None
        return self.entity_description.value_fn(status)

    @override
    def _value(self) -> object:
        """Return what the sensor shows of the appliance's status."""
        return self.native_value


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmartKitchenConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the sensors of every appliance, now and when one appears."""
    async_setup_appliance_entities(
        entry, async_add_entities, SENSORS, SmartKitchenSensorEntity
    )
    async_setup_appliance_status_entities(
        entry,
        async_add_entities,
        APPLIANCE_SENSORS,
        SmartKitchenApplianceSensorEntity,
    )
