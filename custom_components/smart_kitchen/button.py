"""Start, pause, resume and cancel buttons of Smart Kitchen dishwashers."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, override

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription

from .api import DeviceType, DishwasherStatus
from .coordinator import Compartment
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
    """Describes a Smart Kitchen button."""

    press_fn: Callable[[SmartKitchenCompartmentEntity], Awaitable[Any]]
    # A button is only available while pressing it means something, e.g. pause while running.
    available_fn: Callable[[Compartment[Any]], bool]


BUTTONS: dict[DeviceType, tuple[SmartKitchenButtonEntityDescription, ...]] = {
    DeviceType.DISHWASHER: (
        SmartKitchenButtonEntityDescription(
            key="start",
            translation_key="start",
            # Runs the program chosen with the program select.
            press_fn=lambda entity: entity.send_command(
                "start", program=entity.data.next_program
            ),
            available_fn=lambda compartment: (
                compartment.state.status
                in (DishwasherStatus.IDLE, DishwasherStatus.FINISHED)
            ),
        ),
        SmartKitchenButtonEntityDescription(
            key="pause",
            translation_key="pause",
            press_fn=lambda entity: entity.send_command("pause"),
            available_fn=lambda compartment: (
                compartment.state.status is DishwasherStatus.RUNNING
            ),
        ),
        SmartKitchenButtonEntityDescription(
            key="resume",
            translation_key="resume",
            press_fn=lambda entity: entity.send_command("resume"),
            available_fn=lambda compartment: (
                compartment.state.status is DishwasherStatus.PAUSED
            ),
        ),
        SmartKitchenButtonEntityDescription(
            key="cancel",
            translation_key="cancel",
            press_fn=lambda entity: entity.send_command("cancel"),
            available_fn=lambda compartment: (
                compartment.state.status
                in (DishwasherStatus.RUNNING, DishwasherStatus.PAUSED)
            ),
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
        return super().available and self.entity_description.available_fn(self.data)

    @smart_kitchen_command
    @override
    async def async_press(self) -> None:
        """Send the command; the new state arrives by push."""
        await self.entity_description.press_fn(self)


# The entities of every appliance, added at setup and whenever an appliance appears.
async_setup_entry = appliance_platform_setup(BUTTONS, SmartKitchenButtonEntity)
