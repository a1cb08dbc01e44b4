"""Diagnostics of an entry: settings without secrets, the connection and the appliances."""

from datetime import UTC, datetime

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from .conftest import ServerClock

# The server stamps every update with this time, so the diagnostics are the same every run.
SERVER_TIME = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


@pytest.fixture
def server_clock() -> ServerClock:
    """Stop the server's clock, so that every update carries the same time."""
    clock = ServerClock()
    clock.stopped_at = SERVER_TIME
    return clock


async def test_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    snapshot: SnapshotAssertion,
    init_integration: MockConfigEntry,
) -> None:
    """Diagnostics show the connection and the appliances, and never the password."""
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, init_integration
    )

    assert diagnostics["entry"]["data"]["password"] == "**REDACTED**"
    assert "demo" not in str(diagnostics["entry"]["data"]["password"])
    # The URL carries the test server's random port; the stats times are the client's clock.
    assert diagnostics == snapshot(
        exclude=props("url", "last_message_at", "connected_since")
    )
