"""The bare entity: a unique id, a device, a name, a fixed state."""

from collections.abc import Callable, Iterator

from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import BareConfigEntry


def bare_entities[EntityT: Entity](
    entry: BareConfigEntry, platform: str, entity_class: Callable[[], EntityT]
) -> Iterator[EntityT]:
    """Return the platform's share of entities, spread over the devices in turn."""
    devices: list[dr.DeviceEntry] = entry.runtime_data
    for index in range(entry.data["entities"].get(platform, 0)):
        entity = entity_class()
        entity.device_entry = devices[index % len(devices)]
        entity._attr_unique_id = f"{platform}-{index}"  # noqa: SLF001 - the bare minimum
        entity._attr_name = f"{platform} {index // len(devices)}"  # noqa: SLF001
        entity._attr_has_entity_name = True  # noqa: SLF001
        entity._attr_should_poll = False  # noqa: SLF001
        yield entity


def setup(
    platform: str, entity_class: Callable[[], Entity]
) -> Callable[[object, BareConfigEntry, AddConfigEntryEntitiesCallback], object]:
    """Return a platform's async_setup_entry."""

    async def async_setup_entry(
        _hass: object,
        entry: BareConfigEntry,
        async_add_entities: AddConfigEntryEntitiesCallback,
    ) -> None:
        async_add_entities(bare_entities(entry, platform, entity_class))

    return async_setup_entry
