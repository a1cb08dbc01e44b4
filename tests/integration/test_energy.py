"""The Energy dashboard takes the appliances' energy and the dishwasher's water as they are."""

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
    do_adhoc_statistics,
)
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from .conftest import StreamSpy, setup_entry
from .test_features import (
    DISHWASHER_ENERGY,
    DISHWASHER_WATER,
    FRIDGE_ENERGY,
    OVEN_ENERGY,
)


@pytest.fixture
def mock_recorder_before_hass(async_test_recorder: Any) -> None:
    """Prepare the recorder's database before Home Assistant starts: the dashboard reads statistics."""


@pytest.mark.usefixtures("recorder_mock")
async def test_energy_dashboard_accepts_the_sensors(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    mock_config_entry: MockConfigEntry,
    stream: StreamSpy,
) -> None:
    """Every appliance's energy is an individual device; the dishwasher's water a water source."""
    await setup_entry(hass, mock_config_entry, stream)
    # The dashboard reads long-term statistics: compile those of the period the states fell in.
    await async_wait_recording_done(hass)
    now = dt_util.utcnow()
    do_adhoc_statistics(
        hass,
        start=now.replace(minute=now.minute - now.minute % 5, second=0, microsecond=0),
    )
    await async_wait_recording_done(hass)
    assert await async_setup_component(hass, "energy", {})
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {
            "type": "energy/save_prefs",
            "energy_sources": [
                {
                    "type": "water",
                    "stat_energy_from": DISHWASHER_WATER,
                    "stat_cost": None,
                    "entity_energy_price": None,
                    "number_energy_price": None,
                }
            ],
            "device_consumption": [
                {"stat_consumption": entity_id}
                for entity_id in (OVEN_ENERGY, FRIDGE_ENERGY, DISHWASHER_ENERGY)
            ],
            "device_consumption_water": [{"stat_consumption": DISHWASHER_WATER}],
        }
    )
    assert (await client.receive_json())["success"]
    await hass.async_block_till_done()

    await client.send_json_auto_id({"type": "energy/validate"})
    answer = await client.receive_json()
    assert answer["success"]
    assert answer["result"] == {
        "energy_sources": [[]],
        "device_consumption": [[], [], []],
        "device_consumption_water": [[]],
    }
