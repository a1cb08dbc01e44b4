"""Fixtures shared by every Smart Kitchen test."""

from collections.abc import AsyncGenerator, Generator
from unittest.mock import patch

import pytest

# Imported at module level on purpose: it makes `custom_components` resolve to this repository's folder
# instead of the testing_config folder of pytest-homeassistant-custom-component.
import custom_components.smart_kitchen  # noqa: F401
from smart_kitchen_server import ServerConfig, SmartKitchenServer

from .helpers import FakeClock, TcpProxy


@pytest.fixture
def entity_registry_enabled_by_default() -> Generator[None]:
    """Enable entities that are disabled by default, so tests see every entity."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        return_value=True,
    ):
        yield


@pytest.fixture
def server_config() -> ServerConfig:
    """Return the embedded demo without automatic ticking: tests step the simulation."""
    return ServerConfig.demo(tick=None)


@pytest.fixture
def server_clock() -> FakeClock:
    """Return the clock the test server reads (the real time until a test moves or stops it)."""
    return FakeClock()


@pytest.fixture
async def server(
    server_config: ServerConfig, server_clock: FakeClock
) -> AsyncGenerator[SmartKitchenServer]:
    """Run a real Smart Kitchen server in-process on 127.0.0.1, the peer of every suite."""
    async with SmartKitchenServer(server_config, clock=server_clock) as server:
        yield server


@pytest.fixture
async def proxy(server: SmartKitchenServer) -> AsyncGenerator[TcpProxy]:
    """Put a controllable TCP relay in front of the real server."""
    proxy = TcpProxy(server.port)
    await proxy.start()
    yield proxy
    await proxy.close()
