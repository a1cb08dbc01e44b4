"""Every platform's entities, states and registry entries, compared with snapshots."""

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize(
    "platforms",
    [
        [Platform.BINARY_SENSOR],
        [Platform.BUTTON],
        [Platform.EVENT],
        [Platform.NUMBER],
        [Platform.SELECT],
        [Platform.SENSOR],
        [Platform.SWITCH],
    ],
)
async def test_entities(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    init_integration: MockConfigEntry,
) -> None:
    """The demo appliances give these entities, with these states."""
    await snapshot_platform(hass, entity_registry, snapshot, init_integration.entry_id)


async def test_devices(
    device_registry: dr.DeviceRegistry,
    snapshot: SnapshotAssertion,
    init_integration: MockConfigEntry,
) -> None:
    """One device per appliance, each connected through the server hub."""
    devices = dr.async_entries_for_config_entry(
        device_registry, init_integration.entry_id
    )
    hub = next(device for device in devices if device.via_device_id is None)
    assert all(
        device.via_device_id == hub.id for device in devices if device is not hub
    )
    assert sorted(devices, key=lambda device: device.name or "") == snapshot
