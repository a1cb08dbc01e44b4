"""The README's automation examples, run against a real server: they fire once per alert."""

from dataclasses import replace
from pathlib import Path
import re
from typing import Any

from homeassistant.components import automation
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import yaml

from custom_components.smart_kitchen.api import Alert
from custom_components.smart_kitchen.const import UNAVAILABLE_GRACE
from smart_kitchen_server import ServerConfig, SmartKitchenServer
from tests.kitchen import Kitchen

from .conftest import StreamSpy, demo_identifier, reconnect, release_reconnect

README = (Path(__file__).parents[2] / "README.md").read_text()
USING = README[
    README.index("## Using the integration") : README.index("## Development")
]
EXAMPLES = [
    automation_config
    for block in re.findall(r"```yaml\n(.*?)```", USING, re.DOTALL)
    # Other examples (an action call, say) are not automations.
    for automation_config in yaml.safe_load(block).get("automation", ())
]
DEVICE_EXAMPLE = "Fridge door left open"
ENTITY_EXAMPLE = "Fridge door left open (alert entity)"


@pytest.fixture
def server_config() -> ServerConfig:
    """Raise the door alert after one tick with the door open, instead of fifteen."""
    return replace(ServerConfig.demo(tick=None), door_alert_ticks=1)


def example(alias: str) -> dict[str, Any]:
    """Return the README's automation of that alias."""
    return next(config for config in EXAMPLES if config["alias"] == alias)


def test_examples_and_hints() -> None:
    """The alert entity's example ignores availability; the README says where to click."""
    (trigger,) = example(ENTITY_EXAMPLE)["triggers"]
    assert trigger["entity_id"].startswith("event.")
    assert trigger["not_from"] == trigger["not_to"] == "unavailable"
    assert "blueprints/automation/smart_kitchen/fridge_door_alert.yaml" in USING
    assert "**Add trigger**" in USING
    assert "**By type**, choose\n**Device**" in USING


async def test_alert_examples_fire_once_per_alert(
    hass: HomeAssistant,
    *,
    server: SmartKitchenServer,
    stream: StreamSpy,
    kitchen: Kitchen,
    service_calls: list[ServiceCall],
    init_integration: MockConfigEntry,
) -> None:
    """Both door examples fire for a door left open; outages and reloads fire neither again.

    The examples notify a phone; here their action data goes to a test service instead.
    """
    fridge = dr.async_get(hass).async_get_device_by_identifier(
        demo_identifier("fridge-1"), init_integration.entry_id
    )
    assert fridge is not None
    configs = []
    for alias in (DEVICE_EXAMPLE, ENTITY_EXAMPLE):
        config = example(alias)
        (action,) = config["actions"]
        triggers = [
            {**trigger, "device_id": fridge.id} if "device_id" in trigger else trigger
            for trigger in config["triggers"]
        ]
        configs.append(
            {
                **config,
                "triggers": triggers,
                "actions": [
                    {
                        "action": "test.automation",
                        "data": {**action["data"], "by": alias},
                    }
                ],
            }
        )
    assert await async_setup_component(hass, automation.DOMAIN, {"automation": configs})

    def fired() -> list[tuple[str, str]]:
        return [(call.data["by"], call.data["message"]) for call in service_calls]

    mark = stream.mark()
    await kitchen.set_door("fridge-1", True, compartment="fridge")
    await server.tick(2)
    await stream.wait_for(lambda event: isinstance(event, Alert), mark)
    await hass.async_block_till_done()
    message = "Fridge Freezer fridge door has been open for more than 2 seconds"
    assert sorted(fired()) == [(DEVICE_EXAMPLE, message), (ENTITY_EXAMPLE, message)]

    # A long outage, and a reload (the alert entity unavailable, then back with the last alert).
    await server.drop_connections()
    release_reconnect(hass, UNAVAILABLE_GRACE.total_seconds())
    await hass.async_block_till_done()
    await reconnect(hass, server, stream)
    mark = stream.mark()
    await hass.config_entries.async_reload(init_integration.entry_id)
    await stream.wait_for_snapshot(mark)
    await hass.async_block_till_done()
    assert len(fired()) == 2
