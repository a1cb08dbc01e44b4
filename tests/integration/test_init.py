"""Setup, unload and the lifecycle of the Smart Kitchen entry."""

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from .conftest import state_of


async def test_setup_and_unload(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The entry loads, connects and unloads without leaving anything running."""
    assert init_integration.state is ConfigEntryState.LOADED
    assert state_of(hass, "binary_sensor.demo_kitchen_server_connection") == "on"

    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.NOT_LOADED
