"""Fault suite with Home Assistant: a half-open link, Home Assistant restarting mid-outage or killed.

Each test checks what a user sees: entities keep their values only for the grace after the link is
known dead, every alert the server raised arrives once as an event, and nothing is logged at ERROR or
with a traceback.
"""

from collections.abc import AsyncGenerator, Callable
from dataclasses import replace
from datetime import timedelta
import logging
from typing import Any
from unittest.mock import patch

import aiohttp
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Event, HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.smart_kitchen import coordinator as coordinator_module
from custom_components.smart_kitchen.alert_cursor import AlertCursorStore
from custom_components.smart_kitchen.api import (
    Alert,
    ConnectionState,
    SmartKitchenConnection,
)
from custom_components.smart_kitchen.const import (
    DOMAIN,
    EVENT_SMART_KITCHEN,
    UNAVAILABLE_GRACE,
)
from smart_kitchen_server import ServerConfig, SmartKitchenServer
from tests.helpers import TcpProxy
from tests.kitchen import Kitchen

from .conftest import (
    StreamSpy,
    connection_state,
    release_reconnect,
    setup_entry,
    state_of,
)

pytestmark = pytest.mark.faults

TEMPERATURE = "sensor.fridge_freezer_fridge_temperature"
SERVER_CONNECTION = "binary_sensor.demo_kitchen_demo_server_connection"
# Small, so that a dead link is noticed within milliseconds of real time.
HEARTBEAT = 0.05


@pytest.fixture
def server_config() -> ServerConfig:
    """Raise the door alert one tick after the door opened; the tests step the simulation."""
    return replace(ServerConfig.demo(tick=None), door_alert_ticks=1)


@pytest.fixture
def entry_url(proxy: TcpProxy) -> str:
    """Reach the server through the relay."""
    return proxy.url


@pytest.fixture(autouse=True)
def small_heartbeat(stream: StreamSpy) -> Any:
    """Give the connection a heartbeat of 50 ms and a request timeout that fits it."""
    spied: Callable[..., SmartKitchenConnection] = (
        coordinator_module.SmartKitchenConnection  # type: ignore[assignment]
    )

    def connection(client: Any, *args: Any, **kwargs: Any) -> SmartKitchenConnection:
        # A stalled relay also holds the pooled REST connection: give up on it quickly.
        client.request_timeout = 0.5
        return spied(client, *args, heartbeat=HEARTBEAT, **kwargs)

    with patch.object(coordinator_module, "SmartKitchenConnection", connection):
        yield


@pytest.fixture
async def kitchen(
    server: SmartKitchenServer, proxy: TcpProxy
) -> AsyncGenerator[Kitchen]:
    """Return a person in the kitchen, talking to the server directly (not through the relay)."""
    async with aiohttp.ClientSession() as session:
        person = Kitchen(server.url, session)
        await person.login("demo", "demo")
        yield person


def assert_quiet_log(caplog: pytest.LogCaptureFixture) -> None:
    """Fail on an ERROR record or a traceback of the integration or the library.

    Home Assistant itself logs a "not ready yet" setup with its traceback at DEBUG ("Full
    exception"), under the integration's logger: that one is by design, not a failure.
    """
    assert not [
        record.getMessage()
        for record in caplog.records
        if record.name.startswith("custom_components.smart_kitchen")
        and record.levelno >= logging.WARNING
        and (record.levelno >= logging.ERROR or record.exc_info)
    ]


async def raise_door_alert(
    server: SmartKitchenServer, kitchen: Kitchen, compartment: str
) -> None:
    """Open a fridge door long enough for its alert, and close it again."""
    await kitchen.set_door("fridge-1", True, compartment=compartment)
    await server.tick(2)
    await kitchen.set_door("fridge-1", False, compartment=compartment)


def alerts_of(events: list[Event]) -> list[str]:
    """Return the compartments of the smart_kitchen_event alerts fired, in order."""
    return [event.data["compartment"] for event in events]


async def test_half_open_link(
    hass: HomeAssistant,
    *,
    proxy: TcpProxy,
    stream: StreamSpy,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A link that silently drops everything: noticed by the heartbeat, values kept only for the grace."""
    await setup_entry(hass, mock_config_entry, stream)
    before = state_of(hass, TEMPERATURE)
    assert before != "unavailable"

    mark = stream.mark()
    proxy.refuse()
    proxy.stall()
    await stream.wait_for(connection_state(ConnectionState.DISCONNECTED), mark)
    await hass.async_block_till_done()
    # Known dead: the server connection shows it at once, the values stay for the grace.
    assert state_of(hass, SERVER_CONNECTION) == "off"
    assert state_of(hass, TEMPERATURE) == before
    # async_fire_time_changed adds half a second: this is just under the grace.
    release_reconnect(hass, UNAVAILABLE_GRACE.total_seconds() - 1)
    await hass.async_block_till_done()
    assert state_of(hass, TEMPERATURE) == before
    release_reconnect(hass, UNAVAILABLE_GRACE.total_seconds())
    await hass.async_block_till_done()
    assert state_of(hass, TEMPERATURE) == "unavailable"

    mark = stream.mark()
    proxy.refuse(False)
    release_reconnect(hass, UNAVAILABLE_GRACE.total_seconds() + 1)
    await stream.wait_for_snapshot(mark)
    await hass.async_block_till_done()
    assert state_of(hass, TEMPERATURE) == before
    assert state_of(hass, SERVER_CONNECTION) == "on"
    assert_quiet_log(caplog)


async def test_home_assistant_restarts_mid_outage(
    hass: HomeAssistant,
    *,
    server: SmartKitchenServer,
    proxy: TcpProxy,
    stream: StreamSpy,
    kitchen: Kitchen,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Alerts raised before and after a restart of Home Assistant during an outage arrive once each."""
    fired = async_capture_events(hass, EVENT_SMART_KITCHEN)
    await setup_entry(hass, mock_config_entry, stream)
    mark = stream.mark()
    await raise_door_alert(server, kitchen, "fridge")
    await stream.wait_for(lambda event: isinstance(event, Alert), mark)

    # The network goes away; an alert is raised that Home Assistant cannot see yet.
    mark = stream.mark()
    proxy.refuse()
    proxy.cut()
    await stream.wait_for(connection_state(ConnectionState.DISCONNECTED), mark)
    await raise_door_alert(server, kitchen, "freezer")

    # Home Assistant stops during the outage (saving where its alert stream stood) and starts
    # again while the server is still out of reach: the entry waits to be set up.
    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
    await raise_door_alert(server, kitchen, "fridge")
    assert not await hass.config_entries.async_setup(mock_config_entry.entry_id)
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY
    assert state_of(hass, TEMPERATURE) == "unavailable"

    mark = stream.mark()
    proxy.refuse(False)
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=5))
    await stream.wait_for_snapshot(mark)
    await hass.async_block_till_done()
    assert mock_config_entry.state is ConfigEntryState.LOADED
    # Each alert once: the live one, then the two of the outage, replayed in order.
    assert alerts_of(fired) == ["fridge", "freezer", "fridge"]
    assert_quiet_log(caplog)


async def test_home_assistant_killed_right_after_an_alert(
    hass: HomeAssistant,
    *,
    server: SmartKitchenServer,
    stream: StreamSpy,
    kitchen: Kitchen,
    mock_config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Killed (no unload, no final save) right after an alert: not lost, and not repeated.

    The cursor is written in the loop turn after the alert was handled, so there is no window of
    seconds in which a kill brings the alert back.
    """
    fired = async_capture_events(hass, EVENT_SMART_KITCHEN)
    await setup_entry(hass, mock_config_entry, stream)
    key = f"{DOMAIN}.{mock_config_entry.entry_id}.alert_cursor"
    mark = stream.mark()
    await raise_door_alert(server, kitchen, "fridge")
    await stream.wait_for(lambda event: isinstance(event, Alert), mark)
    await hass.async_block_till_done()
    on_disk = dict(hass_storage[key]["data"])
    assert on_disk == {"boot_id": server.boot_id, "last_alert_id": 1}

    # The kill: the process ends without unloading, so nothing more is written.
    with patch.object(AlertCursorStore, "async_save"):
        assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
    hass_storage[key]["data"] = on_disk

    mark = stream.mark()
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await stream.wait_for_snapshot(mark)
    await hass.async_block_till_done()
    assert alerts_of(fired) == ["fridge"]
    assert_quiet_log(caplog)
