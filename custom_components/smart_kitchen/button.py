"""Start, pause, resume and cancel buttons of Smart Kitchen dishwashers."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, override

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription

from .api import DeviceType, DishwasherState, DishwasherStatus
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
class SmartKitchenButtonEntityDescription(
    ButtonEntityDescription, SmartKitchenEntityDescription
):
    """Describes a Smart Kitchen button; its key is the command it sends."""

    # A button is only available while pressing it means something, e.g. pause while running.
    available_in: tuple[DishwasherStatus, ...]
    args_fn: Callable[[Compartment[DishwasherState]], dict[str, Any]] = lambda _: {}


BUTTONS: dict[DeviceType, tuple[SmartKitchenButtonEntityDescription, ...]] = {
    DeviceType.DISHWASHER: (
        SmartKitchenButtonEntityDescription(
            key="start",
            translation_key="start",
            available_in=(DishwasherStatus.IDLE, DishwasherStatus.FINISHED),
            # Runs the program chosen with the program select.
            args_fn=lambda compartment: {"program": compartment.next_program},
        ),
        SmartKitchenButtonEntityDescription(
            key="pause",
            translation_key="pause",
            available_in=(DishwasherStatus.RUNNING,),
        ),
        SmartKitchenButtonEntityDescription(
            key="resume",
            translation_key="resume",
            available_in=(DishwasherStatus.PAUSED,),
        ),
        SmartKitchenButtonEntityDescription(
            key="cancel",
            translation_key="cancel",
            available_in=(DishwasherStatus.RUNNING, DishwasherStatus.PAUSED),
        ),
    ),
}


class SmartKitchenButtonEntity(SmartKitchenCompartmentEntity, ButtonEntity):
    """A button of an appliance."""

    entity_description: SmartKitchenButtonEntityDescription

    @property
    @override
    def available(self) -> bool:
        """Return whether the appliance is reachable and the button means something now."""
        return (
            super().available
            and self.data.state.status in self.entity_description.available_in
        )

    @smart_kitchen_command
    @override
    async def async_press(self) -> None:
        """Send the command; the new state arrives by push."""
        description = self.entity_description
        await self.send_command(description.key, **description.args_fn(self.data))


# The entities of every appliance, added at setup and whenever an appliance appears.
async_setup_entry = appliance_platform_setup(BUTTONS, SmartKitchenButtonEntity)
