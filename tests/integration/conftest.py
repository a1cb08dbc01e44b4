"""Fixtures of the integration tests: a real Smart Kitchen server on 127.0.0.1 and a spy on its stream."""

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from dataclasses import replace
from datetime import timedelta
from typing import Any
from unittest.mock import patch

from aiohttp import ThreadedResolver
from homeassistant.const import CONF_PASSWORD, CONF_URL, CONF_USERNAME, CONF_VERIFY_SSL
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from custom_components.smart_kitchen.api import (
    Backoff,
    ConnectionState,
    ConnectionStateChanged,
    DeviceUpdate,
    Event,
    SmartKitchenConnection,
    Subscribed,
)
from custom_components.smart_kitchen.const import DOMAIN
from smart_kitchen_server import ServerConfig, SmartKitchenServer
from smart_kitchen_server.auth import hash_password
from tests.helpers import WAIT, EventRecorder
from tests.kitchen import Kitchen

# Every appliance state of the demo user: what a complete snapshot consists of.
DEMO_KEYS = (
    ("oven-1", "upper"),
    ("oven-1", "lower"),
    ("fridge-1", "fridge"),
    ("fridge-1", "freezer"),
    ("dishwasher-1", None),
)

# Anything a test waits for arrives within milliseconds; this only bounds a broken test.
WAIT_TIMEOUT = WAIT


@pytest.fixture(autouse=True)
def enable_sockets_and_custom_integrations(
    socket_enabled: None, enable_custom_integrations: None
) -> None:
    """Let the tests reach the server on 127.0.0.1 and load this custom integration."""


def release_reconnect(hass: HomeAssistant, seconds: float = 1) -> None:
    """Fire the timers of the next `seconds`, such as the reconnect backoff, right now."""
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=seconds))


async def wait_until_set(flag: asyncio.Event) -> None:
    """Wait for a flag a test's stand-in sets when the code under test reaches it."""
    async with asyncio.timeout(WAIT_TIMEOUT):
        await flag.wait()


@pytest.fixture
async def kitchen(hass: HomeAssistant, server: SmartKitchenServer) -> Kitchen:
    """Return a client of the demo user that acts like a person in the kitchen."""
    client = Kitchen(server.url, session=async_get_clientsession(hass))
    await client.login("demo", "demo")
    return client


@pytest.fixture
async def host_names() -> AsyncGenerator[None]:
    """Resolve host names such as localhost, on the test's own loop.

    The plugin's resolver is made once for the whole session, on another loop, so only IP
    addresses work without this.
    """
    resolver = ThreadedResolver()
    resolver.real_close = resolver.close  # type: ignore[attr-defined]
    with patch(
        "homeassistant.helpers.aiohttp_client._async_make_resolver",
        return_value=resolver,
    ):
        yield


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Compare with Home Assistant's snapshot extension, which leaves out ids and timestamps."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture
def password() -> str:
    """Return the demo user's password, as the entry stores it."""
    return "demo"


@pytest.fixture
def entry_url(server: SmartKitchenServer) -> str:
    """Return the URL the entry reaches the server by (a relay or proxy overrides it)."""
    return server.url


@pytest.fixture
def mock_config_entry(entry_url: str, password: str) -> MockConfigEntry:
    """Return the entry of the demo user on the test server."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Demo Kitchen (demo)",
        unique_id="smart-kitchen-demo:user-demo",
        data={
            CONF_URL: entry_url,
            CONF_USERNAME: "demo",
            CONF_PASSWORD: password,
            CONF_VERIFY_SSL: True,
        },
    )


class StreamSpy(EventRecorder):
    """Records every event the coordinator handles, so tests wait for what they expect.

    Several messages can be handled in one go without the test getting a turn, so waiting looks at
    everything recorded since a mark instead of listening for the next event.
    """

    def __init__(self) -> None:
        """Start with no events and nobody waiting."""
        super().__init__()
        # The coordinator's own `on_event`, as the connection calls it.
        self.deliver: Callable[[Event], None] = self

    async def wait_since(
        self, condition: Callable[[list[Event]], bool], start: int
    ) -> None:
        """Return once the events recorded since `start` satisfy the condition."""
        await self.wait_until(lambda: condition(self.events[start:]))

    async def wait_for(self, predicate: Callable[[Event], bool], start: int) -> Event:
        """Return the first event since `start` that matches."""
        await self.wait_since(lambda events: any(map(predicate, events)), start)
        return next(event for event in self.events[start:] if predicate(event))

    async def wait_for_update(
        self, device_id: str, compartment: str | None, start: int
    ) -> DeviceUpdate:
        """Return the first update of one compartment since `start`."""
        event = await self.wait_for(
            lambda event: (
                isinstance(event, DeviceUpdate)
                and (event.device_id, event.compartment) == (device_id, compartment)
            ),
            start,
        )
        assert isinstance(event, DeviceUpdate)
        return event

    async def update_after(
        self, action: Awaitable[object], device_id: str, compartment: str | None
    ) -> DeviceUpdate:
        """Run an action (a command, a tick) and return the update of one compartment after it."""
        start = self.mark()
        await action
        return await self.wait_for_update(device_id, compartment, start)

    async def wait_for_snapshot(
        self, start: int, keys: tuple[tuple[str, str | None], ...] = DEMO_KEYS
    ) -> None:
        """Wait until a subscription since `start` and the snapshot after it have been handled."""

        def complete(events: list[Event]) -> bool:
            subscribed = [
                i for i, event in enumerate(events) if isinstance(event, Subscribed)
            ]
            if not subscribed:
                return False
            updated = {
                (event.device_id, event.compartment)
                for event in events[subscribed[0] :]
                if isinstance(event, DeviceUpdate)
            }
            return updated >= set(keys)

        await self.wait_since(complete, start)


def connection_state(state: ConnectionState) -> Callable[[Event], bool]:
    """Return a predicate for a connection state change."""
    return lambda event: (
        isinstance(event, ConnectionStateChanged) and event.state is state
    )


async def reconnect(
    hass: HomeAssistant,
    server: SmartKitchenServer,
    stream: StreamSpy,
    seconds: float = 1,
) -> None:
    """Cut the connection, end the reconnect backoff at once and wait for the new snapshot."""
    mark = stream.mark()
    await server.drop_connections()
    release_reconnect(hass, seconds)
    await stream.wait_for_snapshot(mark)


@pytest.fixture(autouse=True)
def stream() -> Generator[StreamSpy]:
    """Spy on the events the coordinator handles, through the connection's public `on_event`.

    The reconnect backoff loses its jitter too: the first retry waits exactly 0.5 s. A test that
    cuts the connection then has that long to act (e.g. raise an alert the client misses) before
    the client is back, and `release_reconnect` ends the wait at once.
    """
    spy = StreamSpy()

    def connection(
        *args: Any, on_event: Callable[[Event], None], **kwargs: Any
    ) -> SmartKitchenConnection:
        spy.deliver = on_event

        def spy_on_event(event: Event) -> None:
            on_event(event)
            spy(event)

        return SmartKitchenConnection(
            *args,
            on_event=spy_on_event,
            backoff=Backoff(rand=lambda: 1.0),
            **kwargs,
        )

    with patch(
        "custom_components.smart_kitchen.coordinator.SmartKitchenConnection",
        connection,
    ):
        yield spy


async def setup_entry(
    hass: HomeAssistant, entry: MockConfigEntry, stream: StreamSpy
) -> None:
    """Set up an entry and wait until its live stream has delivered the first snapshot."""
    entry.add_to_hass(hass)
    mark = stream.mark()
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await stream.wait_for_snapshot(mark)


@pytest.fixture
def platforms() -> list[str] | None:
    """Return the platforms to set up; None means all of them."""
    return None


@pytest.fixture
async def init_integration(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    stream: StreamSpy,
    platforms: list[str] | None,
) -> MockConfigEntry:
    """Set up the demo user's entry, connected and with a fresh snapshot."""
    if platforms is None:
        await setup_entry(hass, mock_config_entry, stream)
    else:
        with patch("custom_components.smart_kitchen.PLATFORMS", platforms):
            await setup_entry(hass, mock_config_entry, stream)
    return mock_config_entry


def demo_identifier(device_id: str) -> tuple[str, str]:
    """Return the device registry identifier of an appliance of the demo server."""
    return (DOMAIN, f"smart-kitchen-demo:{device_id}")


def demo_with_password(password: str) -> ServerConfig:
    """Return the demo configuration with another password for the demo user."""
    config = ServerConfig.demo(tick=None)
    return replace(
        config,
        users=tuple(
            replace(user, password_hash=hash_password(password))
            if user.username == "demo"
            else user
            for user in config.users
        ),
    )


def state_of(hass: HomeAssistant, entity_id: str) -> str:
    """Return the state of an entity that must exist."""
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state.state


def attributes_of(hass: HomeAssistant, entity_id: str) -> dict[str, Any]:
    """Return the attributes of an entity that must exist."""
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return dict(state.attributes)
