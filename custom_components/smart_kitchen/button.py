"""Start, pause, resume and cancel buttons of Smart Kitchen dishwashers."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, override

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import DeviceType, DishwasherState, DishwasherStatus
from .compartment import Compartment
from .const import DOMAIN
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

    # Why pressing the button cannot act now (an exception translation key), or None if it can.
    # The rules are the protocol's "allowed when" column; the server enforces them as well.
    refusal_fn: Callable[[DishwasherState], str | None]
    args_fn: Callable[[Compartment[DishwasherState]], dict[str, Any]] = lambda _: {}


def _refuse_start(state: DishwasherState) -> str | None:
    """Start from idle or finished, with the door closed; a scheduled start is cancelled first."""
    if state.program_active:
        return "program_in_progress"
    if state.scheduled:
        return "start_scheduled"
    return "door_open" if state.door_open else None


def _refuse_resume(state: DishwasherState) -> str | None:
    """Resume a paused program, with the door closed."""
    if state.status is not DishwasherStatus.PAUSED:
        return "not_paused"
    return "door_open" if state.door_open else None


BUTTONS: dict[DeviceType, tuple[SmartKitchenButtonEntityDescription, ...]] = {
    DeviceType.DISHWASHER: (
        SmartKitchenButtonEntityDescription(
            key="start",
            translation_key="start",
            refusal_fn=_refuse_start,
            # Runs the selected program: the dishwasher's own selection, which `start` without a
            # program runs; a server that keeps none is told the program chosen here.
            args_fn=lambda compartment: (
                {}
                if compartment.state.selected_program is not None
                else {"program": compartment.next_program}
            ),
        ),
        SmartKitchenButtonEntityDescription(
            key="pause",
            translation_key="pause",
            refusal_fn=lambda state: (
                None if state.status is DishwasherStatus.RUNNING else "not_running"
            ),
        ),
        SmartKitchenButtonEntityDescription(
            key="resume",
            translation_key="resume",
            refusal_fn=_refuse_resume,
        ),
        SmartKitchenButtonEntityDescription(
            key="cancel",
            translation_key="cancel",
            # Running, paused, finished or scheduled: cancelling goes back to idle.
            refusal_fn=lambda state: (
                "nothing_to_cancel"
                if state.status is DishwasherStatus.IDLE and not state.scheduled
                else None
            ),
        ),
    ),
}


class SmartKitchenButtonEntity(SmartKitchenCompartmentEntity, ButtonEntity):
    """A button of an appliance.

    It stays available while the appliance is reachable, whatever its state: a button flipping
    between unavailable and unknown filled the logbook. Pressed when it cannot act, it says why.
    """

    entity_description: SmartKitchenButtonEntityDescription

    @smart_kitchen_command
    @override
    async def async_press(self) -> None:
        """Send the command, or say why the appliance cannot do it now; the new state is pushed."""
        description = self.entity_description
        if (reason := description.refusal_fn(self.data.state)) is not None:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key=reason,
                translation_placeholders={"name": self.display_name},
            )
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
