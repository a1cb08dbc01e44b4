"""Oven modes and the dishwasher program of Smart Kitchen appliances."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, override

from homeassistant.components.select import SelectEntity, SelectEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.restore_state import RestoreEntity

from .api import (
    ApplianceState,
    DeviceType,
    DishwasherProgram,
    DishwasherState,
    OvenMode,
    OvenState,
)
from .compartment import Compartment
from .const import DOMAIN
from .coordinator import SmartKitchenConfigEntry
from .entity import SmartKitchenCompartmentEntity, SmartKitchenEntityDescription
from .helpers import async_setup_appliance_entities, smart_kitchen_command

# One command at a time: the appliance answers each before the next is sent.
PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class SmartKitchenSelectEntityDescription[S: ApplianceState](
    SelectEntityDescription, SmartKitchenEntityDescription
):
    """Describes a Smart Kitchen select."""

    value_fn: Callable[[Compartment[S]], str | None]
    select_fn: Callable[[SmartKitchenCompartmentEntity, str], Awaitable[Any]]
    # Takes back the option shown before Home Assistant restarted, for choices only kept here.
    restore_fn: Callable[[Compartment[S], str], None] | None = None


def _current_or_next_program(
    compartment: Compartment[DishwasherState],
) -> str | None:
    """Return the running program, or the one the next start runs."""
    if compartment.program_active and compartment.state.program is not None:
        return compartment.state.program
    return compartment.selected_program


async def _select_program(entity: SmartKitchenCompartmentEntity, option: str) -> None:
    """Choose the program of the next start; the running one cannot be changed.

    The dishwasher keeps the selection (its own panel, other Home Assistants and this one agree);
    a server that predates `selectedProgram` leaves it to Home Assistant.
    """
    if entity.data.program_active:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="program_running",
            translation_placeholders={"name": entity.display_name},
        )
    if entity.data.state.selected_program is not None:
        await entity.send_command("select_program", program=option)
    else:
        entity.data.next_program = DishwasherProgram(option)


def _restore_next_program(
    compartment: Compartment[DishwasherState], option: str
) -> None:
    """Take back the program chosen before Home Assistant restarted (older servers only)."""
    compartment.next_program = DishwasherProgram(option)


SELECTS: dict[DeviceType, tuple[SmartKitchenSelectEntityDescription[Any], ...]] = {
    DeviceType.OVEN: (
        SmartKitchenSelectEntityDescription[OvenState](
            key="mode",
            translation_key="oven_mode",
            options=[mode.value for mode in OvenMode],
            value_fn=lambda compartment: compartment.state.mode,
            select_fn=lambda entity, option: entity.send_command(
                "set_mode", mode=option
            ),
        ),
    ),
    DeviceType.DISHWASHER: (
        SmartKitchenSelectEntityDescription[DishwasherState](
            key="program",
            translation_key="dishwasher_program",
            options=[program.value for program in DishwasherProgram],
            value_fn=_current_or_next_program,
            select_fn=_select_program,
            restore_fn=_restore_next_program,
        ),
    ),
}


class SmartKitchenSelectEntity(
    SmartKitchenCompartmentEntity, SelectEntity, RestoreEntity
):
    """A choice of an appliance compartment."""

    entity_description: SmartKitchenSelectEntityDescription[Any]

    @override
    async def async_added_to_hass(self) -> None:
        """Restore a choice kept in Home Assistant (for servers that keep none), then start listening."""
        if (
            (restore_fn := self.entity_description.restore_fn) is not None
            and (last_state := await self.async_get_last_state()) is not None
            and last_state.state in self.options
        ):
            restore_fn(self.data, last_state.state)
        await super().async_added_to_hass()

    @property
    @override
    def current_option(self) -> str | None:
        """Return the selected option."""
        return self.entity_description.value_fn(self.data)

    @smart_kitchen_command
    @override
    async def async_select_option(self, option: str) -> None:
        """Select an option; an appliance's answer arrives by push, a local choice shows at once."""
        await self.entity_description.select_fn(self, option)
        self.async_write_shown()


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmartKitchenConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the selects of every appliance, now and when one appears."""
    async_setup_appliance_entities(
        entry, async_add_entities, SELECTS, SmartKitchenSelectEntity
    )
