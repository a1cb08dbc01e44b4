"""Super-cool and super-freeze of Smart Kitchen fridge-freezers."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, override

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import DeviceType, FridgeState
from .compartment import Compartment
from .coordinator import SmartKitchenConfigEntry
from .entity import SmartKitchenCompartmentEntity, SmartKitchenEntityDescription
from .helpers import async_setup_appliance_entities, smart_kitchen_command

# One command at a time: the appliance answers each before the next is sent.
PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class SmartKitchenSwitchEntityDescription(
    SwitchEntityDescription, SmartKitchenEntityDescription
):
    """Describes a Smart Kitchen switch; `command` turns it on (on=True) and off (on=False)."""

    command: str
    value_fn: Callable[[Compartment[FridgeState]], bool | None]


SWITCHES: dict[DeviceType, tuple[SmartKitchenSwitchEntityDescription, ...]] = {
    DeviceType.FRIDGE: (
        SmartKitchenSwitchEntityDescription(
            key="super_cool",
            translation_key="super_cool",
            command="set_super_cool",
            exists_fn=lambda _appliance, compartment: compartment == "fridge",
            value_fn=lambda compartment: compartment.state.super_mode,
        ),
        SmartKitchenSwitchEntityDescription(
            key="super_freeze",
            translation_key="super_freeze",
            command="set_super_freeze",
            exists_fn=lambda _appliance, compartment: compartment == "freezer",
            value_fn=lambda compartment: compartment.state.super_mode,
        ),
    ),
}


class SmartKitchenSwitchEntity(SmartKitchenCompartmentEntity, SwitchEntity):
    """A switch of an appliance compartment."""

    entity_description: SmartKitchenSwitchEntityDescription

    @property
    @override
    def available(self) -> bool:
        """Return whether the compartment is reachable and its server knows super modes."""
        return super().available and self.is_on is not None

    @property
    @override
    def is_on(self) -> bool | None:
        """Return whether the mode is on; None from a server that predates super modes."""
        return self.entity_description.value_fn(self.data)

    @smart_kitchen_command
    @override
    async def async_turn_on(self, /, **kwargs: Any) -> None:
        """Switch the mode on; it switches itself off after 6 hours. The new state arrives by push."""
        await self.send_command(self.entity_description.command, on=True)

    @smart_kitchen_command
    @override
    async def async_turn_off(self, /, **kwargs: Any) -> None:
        """Switch the mode off; the new state arrives by push."""
        await self.send_command(self.entity_description.command, on=False)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmartKitchenConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the switches of every appliance, now and when one appears."""
    async_setup_appliance_entities(
        entry, async_add_entities, SWITCHES, SmartKitchenSwitchEntity
    )
