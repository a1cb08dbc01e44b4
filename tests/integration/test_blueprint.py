"""The door-alert blueprint, loaded by Home Assistant's blueprint machinery and fired by real alerts."""

import asyncio
from collections.abc import AsyncGenerator
from datetime import timedelta
from pathlib import Path
import shutil
from typing import Any

import aiohttp
from homeassistant.components.automation import DOMAIN as AUTOMATION_DOMAIN
from homeassistant.components.automation.helpers import async_get_blueprints
from homeassistant.components.blueprint.const import BLUEPRINT_FOLDER
from homeassistant.core import Event, HomeAssistant, ServiceCall, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from smart_kitchen_server import SmartKitchenServer
from tests.helpers import FakeClock

BLUEPRINT = (
    Path(__file__).parents[2]
    / "blueprints"
    / "automation"
    / "smart_kitchen"
    / "fridge_door_alert.yaml"
)
BLUEPRINT_PATH = "smart_kitchen/fridge_door_alert.yaml"
AUTOMATION = "automation.fridge_door"
FRIDGE_ALARM = "binary_sensor.fridge_freezer_fridge_door_alarm"
# The demo fridge raises `door_open` on the first tick its door has been open for more than 15 ticks.
DOOR_ALERT_TICKS = 16
WAIT_TIMEOUT = 10


class Simulation:
    """Acts like a person in the kitchen through the server's public simulation API, over HTTP."""

    def __init__(self, http: aiohttp.ClientSession, url: str) -> None:
        """Talk to the server at `url`."""
        self._http = http
        self._url = url
        self._token = ""

    async def login(self) -> None:
        """Log in as the demo user, who owns the fridge."""
        async with self._http.post(
            f"{self._url}/api/login", json={"username": "demo", "password": "demo"}
        ) as response:
            assert response.status == 200
            self._token = (await response.json())["token"]

    async def door(self, compartment: str, *, open_: bool) -> None:
        """Open or close a door of the fridge."""
        async with self._http.post(
            f"{self._url}/api/simulation/devices/fridge-1/door",
            json={"compartment": compartment, "open": open_},
            headers={"Authorization": f"Bearer {self._token}"},
        ) as response:
            assert response.status == 200


class Recorder:
    """Records calls of a service or events of a type, and lets a test wait for a number of them."""

    def __init__(self) -> None:
        """Start empty."""
        self.items: list[dict[str, Any]] = []
        self._changed = asyncio.Event()

    @callback
    def record(self, item: ServiceCall | Event) -> None:
        """Remember one call's or event's data."""
        self.items.append(dict(item.data))
        self._changed.set()

    async def wait_for(self, count: int) -> None:
        """Return once `count` items have been recorded."""
        async with asyncio.timeout(WAIT_TIMEOUT):
            while len(self.items) < count:
                self._changed.clear()
                await self._changed.wait()


@pytest.fixture
async def simulation(server: SmartKitchenServer) -> AsyncGenerator[Simulation]:
    """Return the server's simulation API, logged in as the demo user."""
    async with aiohttp.ClientSession() as http:
        simulation = Simulation(http, server.url)
        await simulation.login()
        yield simulation


@pytest.fixture
def notifications(hass: HomeAssistant) -> Recorder:
    """Stand in for a phone: the `notify.kitchen_phone` action, recording what it is asked to send."""
    recorder = Recorder()
    hass.services.async_register("notify", "kitchen_phone", recorder.record)
    return recorder


@pytest.fixture
def alerts(hass: HomeAssistant) -> Recorder:
    """Record the door alerts on the event bus (what the blueprint triggers on)."""
    recorder = Recorder()

    @callback
    def door_alert(event: Event) -> None:
        if event.data["type"] == "door_open":
            recorder.record(event)

    hass.bus.async_listen("smart_kitchen_event", door_alert)
    return recorder


async def use_blueprint(hass: HomeAssistant, tmp_path: Path, **inputs: Any) -> None:
    """Install the blueprint in a configuration folder and create an automation from it."""
    folder = tmp_path / BLUEPRINT_FOLDER / AUTOMATION_DOMAIN / "smart_kitchen"
    await hass.async_add_executor_job(
        lambda: folder.mkdir(parents=True) or shutil.copy(BLUEPRINT, folder)
    )
    hass.config.config_dir = str(tmp_path)
    fridge = er.async_get(hass).async_get(FRIDGE_ALARM)
    assert fridge is not None
    assert await async_setup_component(
        hass,
        AUTOMATION_DOMAIN,
        {
            AUTOMATION_DOMAIN: {
                "alias": "Fridge door",
                "use_blueprint": {
                    "path": BLUEPRINT_PATH,
                    "input": {
                        "appliance": fridge.device_id,
                        "notify_action": "notify.kitchen_phone",
                        **inputs,
                    },
                },
            }
        },
    )
    await hass.async_block_till_done()
    assert hass.states.get(AUTOMATION) is not None


async def leave_door_open(
    server: SmartKitchenServer, simulation: Simulation, compartment: str = "fridge"
) -> None:
    """Open a fridge door and leave it open until the server raises its door alert."""
    await simulation.door(compartment, open_=True)
    await server.tick(DOOR_ALERT_TICKS)


@pytest.mark.usefixtures("init_integration")
async def test_notifies_when_the_door_is_left_open(
    hass: HomeAssistant,
    tmp_path: Path,
    server: SmartKitchenServer,
    simulation: Simulation,
    notifications: Recorder,
) -> None:
    """A real door alert from the server sends one notification with the server's message."""
    await use_blueprint(hass, tmp_path)

    await leave_door_open(server, simulation)
    await notifications.wait_for(1)
    await hass.async_block_till_done()

    assert notifications.items == [
        {
            "title": "Smart Kitchen",
            "message": "Fridge Freezer fridge door has been open for more than 30 seconds",
        }
    ]
    # Without a reminder interval the run ends at once.
    assert hass.states.get(AUTOMATION).attributes["current"] == 0


@pytest.mark.usefixtures("init_integration")
async def test_reminds_while_the_door_stays_open(
    hass: HomeAssistant,
    tmp_path: Path,
    server: SmartKitchenServer,
    simulation: Simulation,
    notifications: Recorder,
) -> None:
    """With a reminder interval it notifies again while the door is open, and stops once it closes."""
    await use_blueprint(hass, tmp_path, repeat_minutes=5, title="Kitchen")

    await leave_door_open(server, simulation)
    await notifications.wait_for(1)
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=5, seconds=1))
    await notifications.wait_for(2)

    alarm_off = asyncio.Event()

    @callback
    def door_alarm_changed(event: Event) -> None:
        if (
            event.data["entity_id"] == FRIDGE_ALARM
            and event.data["new_state"].state == "off"
        ):
            alarm_off.set()

    hass.bus.async_listen("state_changed", door_alarm_changed)
    await simulation.door("fridge", open_=False)
    async with asyncio.timeout(WAIT_TIMEOUT):
        await alarm_off.wait()
    await hass.async_block_till_done()
    assert hass.states.get(AUTOMATION).attributes["current"] == 0

    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=11))
    await hass.async_block_till_done()
    message = "Fridge Freezer fridge door has been open for more than 30 seconds"
    assert notifications.items == [
        {"title": "Kitchen", "message": message},
        {"title": "Kitchen", "message": f"Still open: {message}"},
    ]


@pytest.mark.parametrize(
    ("only_when_not_late", "notified_compartments"),
    [(True, ["fridge"]), (False, ["freezer", "fridge"])],
)
@pytest.mark.usefixtures("init_integration")
async def test_late_alerts(
    hass: HomeAssistant,
    *,
    tmp_path: Path,
    server: SmartKitchenServer,
    server_clock: FakeClock,
    simulation: Simulation,
    notifications: Recorder,
    alerts: Recorder,
    only_when_not_late: bool,
    notified_compartments: list[str],
) -> None:
    """`Only when not late` skips an alert stamped long ago; otherwise it is notified like any other."""
    await use_blueprint(hass, tmp_path, only_when_not_late=only_when_not_late)

    server_clock.offset = timedelta(minutes=-10)
    await leave_door_open(server, simulation, "freezer")
    server_clock.offset = timedelta()
    await alerts.wait_for(1)
    await leave_door_open(server, simulation, "fridge")
    await alerts.wait_for(2)
    await hass.async_block_till_done()

    assert [(alert["compartment"], alert["late"]) for alert in alerts.items] == [
        ("freezer", True),
        ("fridge", False),
    ]
    assert [
        item["message"].split()[2] for item in notifications.items
    ] == notified_compartments


async def test_blueprint_inputs(hass: HomeAssistant, tmp_path: Path) -> None:
    """The blueprint loads with the inputs the README documents, and only those are required."""
    folder = tmp_path / BLUEPRINT_FOLDER / AUTOMATION_DOMAIN / "smart_kitchen"
    await hass.async_add_executor_job(
        lambda: folder.mkdir(parents=True) or shutil.copy(BLUEPRINT, folder)
    )
    hass.config.config_dir = str(tmp_path)
    blueprint = await async_get_blueprints(hass).async_get_blueprint(BLUEPRINT_PATH)

    assert blueprint.name == "Smart Kitchen door left open"
    inputs = blueprint.inputs
    assert list(inputs) == [
        "appliance",
        "notify_action",
        "title",
        "repeat_minutes",
        "only_when_not_late",
    ]
    assert [name for name, spec in inputs.items() if "default" not in spec] == [
        "appliance",
        "notify_action",
    ]
    assert inputs["appliance"]["selector"]["device"]["filter"] == [
        {"integration": "smart_kitchen"}
    ]
