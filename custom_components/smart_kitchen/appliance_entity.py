"""The base of entities about a whole appliance: its online state and its lifetime counters."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import override

from homeassistant.core import callback
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import Appliance, ApplianceStatus, DeviceType
from .coordinator import SmartKitchenConfigEntry, SmartKitchenCoordinator
from .entity import SmartKitchenEntity
from .helpers import async_add_appliance_entities
from .identity import entity_unique_id


@dataclass(frozen=True, kw_only=True)
class SmartKitchenApplianceEntityDescription(EntityDescription):
    """What every description of a whole-appliance entity has."""

    # False for what shows the online state itself: it must stay available while the appliance is offline.
    follows_reachability: bool = True


class SmartKitchenApplianceEntity(SmartKitchenEntity):
    """An entity of a whole appliance, woken only by that appliance's status."""

    coordinator_context: str
    entity_description: SmartKitchenApplianceEntityDescription

    def __init__(
        self,
        coordinator: SmartKitchenCoordinator,
        appliance: Appliance,
        description: SmartKitchenApplianceEntityDescription,
    ) -> None:
        """Describe the entity and attach it to its appliance; it listens to the appliance's id."""
        super().__init__(coordinator, appliance.id)
        self.entity_description = description
        self.appliance = appliance
        server_id = coordinator.server_info.server_id
        self._attr_unique_id = entity_unique_id(
            server_id, appliance.id, description.key
        )
        self.device_entry = coordinator.device_entries[appliance.id]

    @property
    def status(self) -> ApplianceStatus | None:
        """Return the appliance's latest status; None from a server that predates it."""
        return self.coordinator.appliance_statuses.statuses.get(self.appliance.id)

    @property
    @override
    def available(self) -> bool:
        """Return whether the appliance is known and what the server said about it is not stale."""
        return (
            self.appliance.id in self.coordinator.devices
            and not self.coordinator.availability.offline
            and (
                not self.entity_description.follows_reachability
                or self.coordinator.appliance_statuses.is_reachable(self.appliance.id)
            )
        )


@callback
def async_setup_appliance_status_entities[
    DescriptionT: SmartKitchenApplianceEntityDescription
](
    entry: SmartKitchenConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    descriptions: dict[DeviceType, tuple[DescriptionT, ...]],
    entity_class: Callable[[SmartKitchenCoordinator, Appliance, DescriptionT], Entity],
) -> None:
    """Add an entity per description of every appliance, now and later."""
    coordinator = entry.runtime_data

    def entities(appliance: Appliance) -> Iterable[Entity]:
        return (
            entity_class(coordinator, appliance, description)
            for description in descriptions.get(appliance.type, ())
        )

    async_add_appliance_entities(entry, async_add_entities, entities)
