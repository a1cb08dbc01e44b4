"""Target temperatures of Smart Kitchen ovens and fridges, and the ovens' cook timers."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final, override

from homeassistant.components.number import (
    NumberDeviceClass,
    NumberEntity,
    NumberEntityDescription,
    NumberMode,
)
from homeassistant.const import UnitOfTemperature, UnitOfTime
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import (
    COOK_TIMER_MINUTES,
    OVEN_DEFAULT_TARGETS,
    Appliance,
    ApplianceState,
    DeviceType,
    FridgeState,
    OvenMode,
    OvenState,
    SetpointRange,
    setpoint_range,
)
from .compartment import Compartment
from .coordinator import SmartKitchenConfigEntry, SmartKitchenCoordinator
from .entity import SmartKitchenCompartmentEntity, SmartKitchenEntityDescription
from .helpers import async_setup_appliance_entities, smart_kitchen_command

# One command at a time: the appliance answers each before the next is sent.
PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class SmartKitchenNumberEntityDescription[S: ApplianceState](
    NumberEntityDescription, SmartKitchenEntityDescription
):
    """Describes a Smart Kitchen number."""

    value_fn: Callable[[Compartment[S]], float | None]
    set_fn: Callable[[SmartKitchenCompartmentEntity, float], Awaitable[Any]]
    # The range a compartment accepts, where it is the appliance's (else the description's own).
    range_fn: Callable[[Appliance, str | None], SetpointRange | None] | None = None


# Like an oven's knob, a target set while the oven is off starts it in this mode.
START_MODE: Final = OvenMode.BAKE


def _oven_target(compartment: Compartment[OvenState]) -> int:
    """Return the target; an oven that is off shows the one it would start at."""
    if (target := compartment.state.target_temperature) is None:
        return OVEN_DEFAULT_TARGETS[START_MODE]
    return target


async def _set_target(entity: SmartKitchenCompartmentEntity, value: float) -> None:
    """Set the target, in whole degrees like the appliances' own displays."""
    await entity.send_command("set_target_temperature", value=round(value))


async def _set_oven_target(entity: SmartKitchenCompartmentEntity, value: float) -> None:
    """Set the target; an oven that is off starts baking at it."""
    if entity.data.state.mode is OvenMode.OFF:
        await entity.send_command("set_mode", mode=START_MODE)
    await _set_target(entity, value)


def _fridge_target(compartment: Compartment[FridgeState]) -> float:
    """Return the target of a fridge or freezer."""
    return compartment.state.target_temperature


def _setpoint_range(
    appliance: Appliance, compartment: str | None
) -> SetpointRange | None:
    """Return the targets a compartment accepts (None: it has no target temperature)."""
    return setpoint_range(appliance.type, compartment)


def _target_temperature[S: ApplianceState](
    value_fn: Callable[[Compartment[S]], float | None],
    set_fn: Callable[[SmartKitchenCompartmentEntity, float], Awaitable[Any]],
) -> SmartKitchenNumberEntityDescription[S]:
    """Describe the target temperature of the compartments that have one."""
    return SmartKitchenNumberEntityDescription[S](
        key="target_temperature",
        translation_key="target_temperature",
        device_class=NumberDeviceClass.TEMPERATURE,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        # Only compartments with a setpoint range (ovens, fridge and freezer) have a target.
        exists_fn=lambda appliance, compartment: (
            _setpoint_range(appliance, compartment) is not None
        ),
        range_fn=_setpoint_range,
        value_fn=value_fn,
        set_fn=set_fn,
    )


async def _set_cook_time(entity: SmartKitchenCompartmentEntity, value: float) -> None:
    """Start the cook timer with that many minutes (replacing one that runs); 0 cancels it."""
    if (minutes := round(value)) == 0:
        await entity.send_command("cancel_timer")
    else:
        await entity.send_command("set_timer", minutes=minutes)


# The cook timer of an oven compartment: it shows the minutes left, and setting it starts it anew.
COOK_TIME = SmartKitchenNumberEntityDescription[OvenState](
    key="cook_time",
    translation_key="cook_time",
    device_class=NumberDeviceClass.DURATION,
    native_unit_of_measurement=UnitOfTime.MINUTES,
    native_min_value=0,
    native_max_value=COOK_TIMER_MINUTES.maximum,
    native_step=COOK_TIMER_MINUTES.step,
    mode=NumberMode.BOX,
    value_fn=lambda compartment: compartment.state.timer_remaining_minutes,
    set_fn=_set_cook_time,
)

NUMBERS: dict[DeviceType, tuple[SmartKitchenNumberEntityDescription[Any], ...]] = {
    DeviceType.OVEN: (_target_temperature(_oven_target, _set_oven_target), COOK_TIME),
    DeviceType.FRIDGE: (_target_temperature(_fridge_target, _set_target),),
}


class SmartKitchenNumberEntity(SmartKitchenCompartmentEntity, NumberEntity):
    """A setting of an appliance compartment."""

    entity_description: SmartKitchenNumberEntityDescription[Any]

    def __init__(
        self,
        coordinator: SmartKitchenCoordinator,
        appliance: Appliance,
        compartment: str | None,
        description: SmartKitchenNumberEntityDescription[Any],
    ) -> None:
        """Describe the setting; a target temperature takes the range the library says the compartment accepts."""
        super().__init__(coordinator, appliance, compartment, description)
        # Other numbers carry their range in their description.
        if description.range_fn is not None:
            limits = description.range_fn(appliance, compartment)
            # exists_fn lets only compartments with a setpoint range get this entity.
            assert limits is not None
            self._attr_native_min_value = limits.minimum
            self._attr_native_max_value = limits.maximum
            self._attr_native_step = limits.step

    @property
    @override
    def native_value(self) -> float | None:
        """Return the setting's value."""
        return self.entity_description.value_fn(self.data)

    @smart_kitchen_command
    @override
    async def async_set_native_value(self, value: float) -> None:
        """Send the new value; the new state arrives by push."""
        await self.entity_description.set_fn(self, value)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmartKitchenConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the numbers of every appliance, now and when one appears."""
    async_setup_appliance_entities(
        entry, async_add_entities, NUMBERS, SmartKitchenNumberEntity
    )
