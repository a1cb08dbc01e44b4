"""Diagnostics of an entry: settings without secrets, the connection and the appliances."""

from datetime import UTC, datetime
import json

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from custom_components.smart_kitchen.api import ConnectionState
from custom_components.smart_kitchen.coordinator import SmartKitchenCoordinator
from smart_kitchen_server import ServerConfig, SmartKitchenServer
from tests.helpers import FakeClock

from .conftest import StreamSpy, connection_state, demo_with_password, release_reconnect

# The server stamps every update with this time, so the diagnostics are the same every run.
SERVER_TIME = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


# Unlike the demo's, this password is spelled nowhere else, so finding it anywhere is a leak.
SECRET = "correct-horse-battery-staple"


@pytest.fixture
def password() -> str:
    """Store a password that differs from the username."""
    return SECRET


@pytest.fixture
def server_config() -> ServerConfig:
    """Give the demo user that password."""
    return demo_with_password(SECRET)


@pytest.fixture
def server_clock() -> FakeClock:
    """Stop the server's clock, so that every update carries the same time."""
    clock = FakeClock()
    clock.stopped_at = SERVER_TIME
    return clock


async def test_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    server: SmartKitchenServer,
    snapshot: SnapshotAssertion,
    init_integration: MockConfigEntry,
) -> None:
    """Diagnostics show the connection and the appliances, and never the password or token."""
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, init_integration
    )

    assert diagnostics["entry"]["data"]["password"] == "**REDACTED**"
    # The account and where it lives identify the person.
    assert diagnostics["entry"]["data"]["username"] == "**REDACTED**"
    assert diagnostics["entry"]["title"] == "**REDACTED**"
    assert diagnostics["entry"]["data"]["url"] == f"http://**REDACTED**:{server.port}"
    coordinator: SmartKitchenCoordinator = init_integration.runtime_data
    assert coordinator.client.token is not None
    dump = json.dumps(diagnostics)
    assert SECRET not in dump
    assert coordinator.client.token not in dump
    # What the coordinator holds may end up in a log line by its repr.
    for held in (coordinator.client, coordinator.connection):
        assert SECRET not in repr(held)
        assert coordinator.client.token not in repr(held)
    # The URL carries the test server's random port; the stats times are the client's clock.
    assert diagnostics == snapshot(
        exclude=props("url", "last_message_at", "connected_since")
    )


async def test_diagnostics_after_a_failed_reconnect(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    server: SmartKitchenServer,
    stream: StreamSpy,
    init_integration: MockConfigEntry,
) -> None:
    """The reason of the last disconnect does not give away the server's address."""
    mark = stream.mark()
    await server.stop()
    await stream.wait_for(connection_state(ConnectionState.DISCONNECTED), mark)
    mark = stream.mark()
    release_reconnect(hass)
    await stream.wait_for(connection_state(ConnectionState.DISCONNECTED), mark)
    reason = init_integration.runtime_data.connection.stats.last_disconnect_reason
    assert reason is not None
    assert "127.0.0.1" in reason

    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, init_integration
    )
    assert "127.0.0.1" not in json.dumps(diagnostics)
    assert (
        "**REDACTED**" in diagnostics["connection"]["stats"]["last_disconnect_reason"]
    )
    await init_integration.runtime_data.async_shutdown()
