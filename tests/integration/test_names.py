"""How entities are named: compartments by their translated names, a single `main` one by none."""

from dataclasses import replace

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smart_kitchen.names import compartment_label
from smart_kitchen_server import DeviceConfig, ServerConfig
from smart_kitchen_server.models import DeviceType


@pytest.fixture
def server_config() -> ServerConfig:
    """Add an oven with one compartment and one with a compartment this integration does not know."""
    demo = ServerConfig.demo(tick=None)
    return replace(
        demo,
        devices=(
            *demo.devices,
            DeviceConfig(
                id="oven-2", type=DeviceType.OVEN, name="Wall Oven", owner="demo"
            ),
            DeviceConfig(
                id="oven-3",
                type=DeviceType.OVEN,
                name="Range",
                owner="demo",
                compartments=("upper", "warming_drawer"),
            ),
        ),
    )


def entity_names(
    hass: HomeAssistant, entry: MockConfigEntry, device_name: str
) -> set[str | None]:
    """Return the names of an appliance's entities (its alert left out)."""
    entity_registry = er.async_get(hass)
    device_registry = dr.async_get(hass)
    return {
        entity.original_name
        for entity in er.async_entries_for_config_entry(entity_registry, entry.entry_id)
        if entity.domain != "event"
        and entity.device_id
        and (device := device_registry.async_get(entity.device_id))
        and device.name == device_name
    }


async def test_compartment_names(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The `main` compartment adds no prefix; known names are translated, others shown as sent."""
    assert entity_names(hass, init_integration, "Wall Oven") == {
        "Temperature",
        "Target temperature",
        "Mode",
        "Status",
        "Door",
        "Cook timer",
        "Cook timer remaining",
        # Of the whole appliance, not of a compartment.
        "Connection",
        "Energy",
    }
    assert entity_names(hass, init_integration, "Range") == {
        "Upper temperature",
        "Upper target temperature",
        "Upper mode",
        "Upper status",
        "Upper door",
        "warming_drawer temperature",
        "warming_drawer target temperature",
        "warming_drawer mode",
        "warming_drawer status",
        "warming_drawer door",
        "Upper cook timer",
        "Upper cook timer remaining",
        "warming_drawer cook timer",
        "warming_drawer cook timer remaining",
        "Connection",
        "Energy",
    }
    assert entity_names(hass, init_integration, "Fridge Freezer") == {
        "Fridge temperature",
        "Fridge target temperature",
        "Fridge door",
        "Fridge door alarm",
        "Freezer temperature",
        "Freezer target temperature",
        "Freezer door",
        "Freezer door alarm",
        "Super-cool",
        "Super-freeze",
        "Connection",
        "Energy",
    }
    assert hass.states.get("select.wall_oven_mode") is not None


async def test_compartment_names_after_a_language_change(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Names loaded at setup are kept per language; another language reads the translation cache."""
    assert compartment_label(hass, "upper") == "Upper"
    hass.config.language = "de"
    # Nothing loaded for German: the names as the server sends them, until translations load.
    assert compartment_label(hass, "upper") == "upper"
    hass.config.language = "en"
    assert compartment_label(hass, "upper") == "Upper"
