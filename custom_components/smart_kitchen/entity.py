"""The base entity of every appliance entity, and how platforms add them."""

from collections.abc import Callable, Coroutine, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, override

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import BaseCoordinatorEntity

from .api import Device, DeviceType
from .compartment import Compartment, CompartmentKey
from .const import DOMAIN, MANUFACTURER
from .coordinator import SmartKitchenConfigEntry, SmartKitchenCoordinator


@dataclass(frozen=True, kw_only=True)
class SmartKitchenEntityDescription(EntityDescription):
    """What every appliance entity description has: whether a compartment gets the entity."""

    exists_fn: Callable[[str | None], bool] = lambda _: True


def compartment_label(compartment: str) -> str:
    """Return how a compartment is named in entity names ("upper" -> "Upper")."""
    return compartment.replace("_", " ").capitalize()


@callback
def device_info(coordinator: SmartKitchenCoordinator, device: Device) -> DeviceInfo:
    """Return the device registry entry of an appliance, connected through the server hub."""
    return DeviceInfo(
        identifiers={(DOMAIN, device.id)},
        manufacturer=MANUFACTURER,
        model=device.model,
        name=device.name,
        sw_version=device.firmware,
        via_device_id=coordinator.hub_device_id,
    )


class SmartKitchenEntity(BaseCoordinatorEntity[SmartKitchenCoordinator]):
    """The base of every Smart Kitchen entity: fed by the coordinator, written only on change."""

    _attr_has_entity_name = True
    _written: tuple[Any, ...] | None = None

    def _written_state(self) -> tuple[Any, ...]:
        """Return what Home Assistant shows of this entity, to tell whether it changed."""
        return (self.available, self.state)

    @override
    async def async_added_to_hass(self) -> None:
        """Start listening; the platform writes the first state right after this."""
        await super().async_added_to_hass()
        self._written = self._written_state()

    @callback
    @override
    def _handle_coordinator_update(self) -> None:
        """Write the state only if it changed."""
        self.async_write_state_if_changed()

    @callback
    def async_write_state_if_changed(self) -> None:
        """Write the state if it differs from the last one written."""
        if (current := self._written_state()) != self._written:
            self._written = current
            self.async_write_ha_state()

    @override
    async def async_update(self) -> None:
        """Do nothing: the server pushes every change, there is nothing to fetch."""


class SmartKitchenCompartmentEntity(SmartKitchenEntity):
    """An entity of one compartment of an appliance (or of a whole dishwasher).

    It is woken only by updates of its own compartment.
    """

    coordinator_context: CompartmentKey

    def __init__(
        self,
        coordinator: SmartKitchenCoordinator,
        device: Device,
        compartment: str | None,
        description: EntityDescription,
    ) -> None:
        """Describe the entity and attach it to its appliance."""
        super().__init__(coordinator, (device.id, compartment))
        self.entity_description = description
        self.device_id = device.id
        self.compartment_name = compartment
        self._attr_unique_id = "_".join(
            part
            for part in (device.id, compartment, description.key)
            if part is not None
        )
        self._attr_device_info = device_info(coordinator, device)
        if compartment is not None:
            self._attr_translation_placeholders = {
                "compartment": compartment_label(compartment)
            }

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
        """Send a command to this entity's appliance and compartment; the result arrives by push."""
        await self.coordinator.async_send_command(
            self.device_id, command, self.compartment_name, **args
        )


type SetupEntryFn = Callable[
    [HomeAssistant, SmartKitchenConfigEntry, AddConfigEntryEntitiesCallback],
    Coroutine[Any, Any, None],
]


@callback
def async_add_appliance_entities(
    entry: SmartKitchenConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    entities_fn: Callable[[Device], Iterable[Entity]],
) -> None:
    """Add the entities of every appliance now, and of every appliance that appears later."""
    coordinator = entry.runtime_data

    @callback
    def async_add_devices(devices: Iterable[Device]) -> None:
        async_add_entities(
            entity for device in devices for entity in entities_fn(device)
        )

    async_add_devices(coordinator.devices.values())
    entry.async_on_unload(coordinator.async_add_device_listener(async_add_devices))


@callback
def async_setup_appliance_entities[DescriptionT: SmartKitchenEntityDescription](
    entry: SmartKitchenConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    descriptions: Mapping[DeviceType, tuple[DescriptionT, ...]],
    entity_class: Callable[
        [SmartKitchenCoordinator, Device, str | None, DescriptionT],
        SmartKitchenCompartmentEntity,
    ],
) -> None:
    """Add an entity per description and compartment of every appliance, now and later."""
    coordinator = entry.runtime_data
    async_add_appliance_entities(
        entry,
        async_add_entities,
        lambda device: (
            entity_class(coordinator, device, compartment, description)
            for compartment in device.states
            for description in descriptions.get(device.type, ())
            if description.exists_fn(compartment)
        ),
    )


def appliance_platform_setup[DescriptionT: SmartKitchenEntityDescription](
    descriptions: Mapping[DeviceType, tuple[DescriptionT, ...]],
    entity_class: Callable[
        [SmartKitchenCoordinator, Device, str | None, DescriptionT],
        SmartKitchenCompartmentEntity,
    ],
) -> SetupEntryFn:
    """Return the `async_setup_entry` of a platform made only of described appliance entities."""

    async def async_setup_entry(
        hass: HomeAssistant,
        entry: SmartKitchenConfigEntry,
        async_add_entities: AddConfigEntryEntitiesCallback,
    ) -> None:
        """Set up the described entities of every appliance, now and when one appears."""
        async_setup_appliance_entities(
            entry, async_add_entities, descriptions, entity_class
        )

    return async_setup_entry
