"""Target temperatures of Smart Kitchen ovens and fridges."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, override

from homeassistant.components.number import (
    NumberDeviceClass,
    NumberEntity,
    NumberEntityDescription,
)
from homeassistant.const import UnitOfTemperature

from .api import ApplianceState, DeviceType, FridgeState, OvenState
from .compartment import Compartment
from .entity import (
    SmartKitchenCompartmentEntity,
    SmartKitchenEntityDescription,
    appliance_platform_setup,
)
from .helpers import smart_kitchen_command

# One command at a time: the appliance answers each before the next is sent.
PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class SmartKitchenNumberEntityDescription[S: ApplianceState](
    NumberEntityDescription, SmartKitchenEntityDescription
):
    """Describes a Smart Kitchen number."""

    value_fn: Callable[[Compartment[S]], float | None]
    set_fn: Callable[[SmartKitchenCompartmentEntity, float], Awaitable[Any]]


def _target_temperature[S: OvenState | FridgeState](
    *,
    minimum: float,
    maximum: float,
    step: float,
    exists_fn: Callable[[str | None], bool],
) -> SmartKitchenNumberEntityDescription[S]:
    """Describe a target temperature with the range the appliance accepts."""
    return SmartKitchenNumberEntityDescription(
        key="target_temperature",
        translation_key="target_temperature",
        device_class=NumberDeviceClass.TEMPERATURE,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        native_min_value=minimum,
        native_max_value=maximum,
        native_step=step,
        exists_fn=exists_fn,
        value_fn=lambda compartment: compartment.state.target_temperature,
        # Whole degrees, like the appliances' own displays.
        set_fn=lambda entity, value: entity.send_command(
            "set_target_temperature", value=round(value)
        ),
    )


NUMBERS: dict[DeviceType, tuple[SmartKitchenNumberEntityDescription[Any], ...]] = {
    DeviceType.OVEN: (
        _target_temperature(minimum=30, maximum=300, step=5, exists_fn=lambda _: True),
    ),
    DeviceType.FRIDGE: (
        _target_temperature(
            minimum=1,
            maximum=8,
            step=1,
            exists_fn=lambda compartment: compartment == "fridge",
        ),
        _target_temperature(
            minimum=-24,
            maximum=-14,
            step=1,
            exists_fn=lambda compartment: compartment == "freezer",
        ),
    ),
}


class SmartKitchenNumberEntity(SmartKitchenCompartmentEntity, NumberEntity):
    """A setting of an appliance compartment."""

    entity_description: SmartKitchenNumberEntityDescription[Any]

    @property
    @override
    def native_value(self) -> float | None:
        """Return the setting's value; unknown while the oven is off."""
        return self.entity_description.value_fn(self.data)

    @smart_kitchen_command
    @override
    async def async_set_native_value(self, value: float) -> None:
        """Send the new value; the new state arrives by push."""
        await self.entity_description.set_fn(self, value)


# The entities of every appliance, added at setup and whenever an appliance appears.
async_setup_entry = appliance_platform_setup(NUMBERS, SmartKitchenNumberEntity)
