"""Start, pause, resume and cancel buttons of Smart Kitchen dishwashers."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, override

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import DeviceType, DishwasherState, DishwasherStatus
from .compartment import Compartment
from .coordinator import SmartKitchenConfigEntry
from .entity import SmartKitchenCompartmentEntity, SmartKitchenEntityDescription
from .helpers import async_setup_appliance_entities, smart_kitchen_command

# One command at a time: the appliance answers each before the next is sent.
PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class SmartKitchenButtonEntityDescription(
    ButtonEntityDescription, SmartKitchenEntityDescription
):
    """Describes a Smart Kitchen button; its key is the command it sends."""

    # A button is only available while pressing it means something, e.g. pause while running.
    available_fn: Callable[[Compartment[DishwasherState]], bool]
    args_fn: Callable[[Compartment[DishwasherState]], dict[str, Any]] = lambda _: {}


BUTTONS: dict[DeviceType, tuple[SmartKitchenButtonEntityDescription, ...]] = {
    DeviceType.DISHWASHER: (
        SmartKitchenButtonEntityDescription(
            key="start",
            translation_key="start",
            # A scheduled start is cancelled first, not replaced.
            available_fn=lambda compartment: (
                not (compartment.program_active or compartment.state.scheduled)
            ),
            # Runs the program chosen with the program select.
            args_fn=lambda compartment: {"program": compartment.next_program},
        ),
        SmartKitchenButtonEntityDescription(
            key="pause",
            translation_key="pause",
            available_fn=lambda compartment: (
                compartment.state.status is DishwasherStatus.RUNNING
            ),
        ),
        SmartKitchenButtonEntityDescription(
            key="resume",
            translation_key="resume",
            available_fn=lambda compartment: (
                compartment.state.status is DishwasherStatus.PAUSED
            ),
        ),
        SmartKitchenButtonEntityDescription(
            key="cancel",
            translation_key="cancel",
            # Also cancels a scheduled start.
            available_fn=lambda compartment: (
                compartment.program_active or compartment.state.scheduled
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
        description = self.entity_description
        await self.send_command(description.key, **description.args_fn(self.data))


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmartKitchenConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the buttons of every appliance, now and when one appears."""
    async_setup_appliance_entities(
        entry, async_add_entities, BUTTONS, SmartKitchenButtonEntity
    )
