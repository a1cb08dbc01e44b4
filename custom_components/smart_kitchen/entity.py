"""The base entities of Smart Kitchen."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, override

from homeassistant.helpers.entity import EntityDescription

from .api import Appliance
from .compartment import Compartment, CompartmentKey
from .coordinator import SmartKitchenCoordinator
from .identity import entity_unique_id
from .names import MAIN_COMPARTMENT, compartment_label, display_name_of
from .state_writes import WritesOnChange


@dataclass(frozen=True, kw_only=True)
class SmartKitchenEntityDescription(EntityDescription):
    """What every appliance entity description has: whether a compartment gets the entity."""

    exists_fn: Callable[[Appliance, str | None], bool] = lambda _appliance, _name: True
    # What the entity shows of its compartment (None for buttons, which show no value).
    value_fn: Callable[[Compartment[Any]], object] = lambda _compartment: None


class SmartKitchenEntity(WritesOnChange):
    """The base of every Smart Kitchen entity: woken by the coordinator, never polled."""

    _attr_has_entity_name = True

    @override
    async def async_update(self) -> None:
        """Do nothing: the server pushes every change, there is nothing to fetch."""


class SmartKitchenCompartmentEntity(SmartKitchenEntity):
    """An entity of one compartment of an appliance (or of a whole dishwasher), woken by its updates."""

    coordinator_context: CompartmentKey
    entity_description: SmartKitchenEntityDescription

    def __init__(
        self,
        coordinator: SmartKitchenCoordinator,
        appliance: Appliance,
        compartment: str | None,
        description: SmartKitchenEntityDescription,
    ) -> None:
        """Describe the entity and attach it to its appliance."""
        super().__init__(coordinator, (appliance.id, compartment))
        self.entity_description = description
        self.appliance = appliance
        self.compartment_name = compartment
        server_id = coordinator.server_info.server_id
        self._attr_unique_id = entity_unique_id(
            server_id, appliance.id, compartment, description.key
        )
        self.device_entry = coordinator.device_entries[appliance.id]
        if compartment == MAIN_COMPARTMENT and description.translation_key:
            # The only compartment: "Mode", not "Main mode" (the `_main` names have no prefix).
            self._attr_translation_key = f"{description.translation_key}_main"
        elif compartment is not None:
            self._attr_translation_placeholders = {
                "compartment": compartment_label(coordinator.hass, compartment)
            }

    @override
    def _value(self) -> object:
        """Return what the entity shows of its compartment."""
        return self.entity_description.value_fn(self.data)

    @property
    def display_name(self) -> str:
        """Return how messages name this entity's appliance or compartment."""
        return display_name_of(self.hass, self.appliance, self.compartment_name)

    @property
    def data(self) -> Compartment[Any]:
        """Return the latest known data of this entity's compartment."""
        return self.coordinator.compartments[self.coordinator_context]

    @property
    @override
    def available(self) -> bool:
        """Return whether the compartment exists and its data is not stale."""
        return self.coordinator.is_fresh(self.coordinator_context)

    async def send_command(self, command: str, **args: Any) -> None:
        """Send a command to this entity's compartment; the result arrives by push."""
        await self.coordinator.client.send_command(
            self.appliance.id, command, self.compartment_name, **args
        )
