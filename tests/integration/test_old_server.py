"""A server that predates the protocol additions: the integration still sets up and works.

The reference server always speaks the newest protocol 1, so a small proxy in front of it plays the
older server: it removes every field the additions brought (the Device `status`, `selectedProgram`,
`startsAt`, the program counters, `superMode`, `timerRemainingMinutes`) from REST answers and
WebSocket messages, and drops `device_status` messages, which an older server never sends.
"""

import asyncio
from collections.abc import AsyncGenerator
import contextlib
from typing import Any

import aiohttp
from aiohttp import web
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers.aiohttp_client import async_get_clientsession
import orjson
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    mock_restore_cache,
)

from custom_components.smart_kitchen.api import DeviceStatus
from smart_kitchen_server import SmartKitchenServer

from .conftest import StreamSpy, setup_entry, state_of
from .test_commands import select_option

PROGRAM = "select.dishwasher_program"

NEW_FIELDS = frozenset(
    {
        "selectedProgram",
        "startsAt",
        "programEnergyWh",
        "programWaterLiters",
        "superMode",
        "timerRemainingMinutes",
    }
)


def strip(value: Any) -> Any:
    """Remove what the additions brought; `status` only where it is the Device's object."""
    if isinstance(value, list):
        return [strip(item) for item in value]
    if not isinstance(value, dict):
        return value
    return {
        key: strip(item)
        for key, item in value.items()
        if key not in NEW_FIELDS and not (key == "status" and isinstance(item, dict))
    }


class OldServer:
    """A proxy that makes the reference server look like one from before the additions."""

    def __init__(self, upstream: str, session: aiohttp.ClientSession) -> None:
        """Forward to `upstream` with the given session."""
        self.upstream = upstream
        self.session = session
        self.url = ""
        self.sent_device_status = 0
        self._runner: web.AppRunner | None = None
        self._sockets: set[web.WebSocketResponse] = set()

    async def start(self) -> None:
        """Listen on a random port of 127.0.0.1."""
        app = web.Application()
        app.router.add_get("/ws", self.websocket)
        app.router.add_route("*", "/{tail:.*}", self.rest)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        """Stop listening and close every socket."""
        assert self._runner is not None
        # Closed first: the runner would otherwise wait for the relays to end by themselves.
        for socket in list(self._sockets):
            await socket.close(code=aiohttp.WSCloseCode.GOING_AWAY)
        await self._runner.cleanup()

    async def rest(self, request: web.Request) -> web.Response:
        """Forward a REST request and strip the answer."""
        headers = {
            name: request.headers[name]
            for name in ("Authorization", "Content-Type")
            if name in request.headers
        }
        async with self.session.request(
            request.method,
            self.upstream + request.path_qs,
            headers=headers,
            data=await request.read(),
        ) as answer:
            body = await answer.read()
            if body and answer.content_type == "application/json":
                body = orjson.dumps(strip(orjson.loads(body)))
            return web.Response(
                status=answer.status,
                body=body or None,
                content_type=answer.content_type if body else None,
            )

    async def websocket(self, request: web.Request) -> web.WebSocketResponse:
        """Relay a WebSocket both ways, stripping what the server sends."""
        client = web.WebSocketResponse(autoping=True)
        await client.prepare(request)
        self._sockets.add(client)
        async with self.session.ws_connect(
            self.upstream + "/ws",
            headers={"Authorization": request.headers["Authorization"]},
        ) as server:

            async def to_server() -> None:
                async for msg in client:
                    await server.send_str(msg.data)
                await server.close()

            pump = asyncio.create_task(to_server())
            try:
                async for msg in server:
                    message = orjson.loads(msg.data)
                    if message["type"] == "device_status":
                        self.sent_device_status += 1
                        continue
                    await client.send_str(orjson.dumps(strip(message)).decode())
            finally:
                pump.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await pump
        await client.close()
        self._sockets.discard(client)
        return client


@pytest.fixture
async def old_server(
    hass: HomeAssistant, server: SmartKitchenServer
) -> AsyncGenerator[OldServer]:
    """Run the proxy in front of the test server."""
    proxy = OldServer(server.url, async_get_clientsession(hass))
    await proxy.start()
    yield proxy
    await proxy.stop()


@pytest.fixture
def entry_url(old_server: OldServer) -> str:
    """Point the entry at the older server."""
    return old_server.url


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_older_server_sets_up_and_works(
    hass: HomeAssistant,
    stream: StreamSpy,
    old_server: OldServer,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Everything the older server has works; what it lacks is unknown, not an error."""
    await setup_entry(hass, mock_config_entry, stream)
    # The reference server behind it did send statuses; the older server holds them back.
    assert old_server.sent_device_status
    assert not [event for event in stream.events if isinstance(event, DeviceStatus)]
    assert state_of(hass, "sensor.double_oven_upper_temperature") == "21.0"
    assert state_of(hass, "sensor.dishwasher_status") == "idle"
    # What only a newer server reports.
    for entity_id in (
        "sensor.double_oven_energy",
        "sensor.dishwasher_water",
        "sensor.dishwasher_program_energy",
        "binary_sensor.double_oven_connection",
        "number.double_oven_upper_cook_timer",
        "sensor.double_oven_upper_cook_timer_remaining",
    ):
        assert state_of(hass, entity_id) == "unknown", entity_id
    # The older server has no super modes to switch.
    assert state_of(hass, "switch.fridge_freezer_super_cool") == "unavailable"
    coordinator = mock_config_entry.runtime_data
    assert coordinator.appliance_statuses.statuses == {}
    assert coordinator.appliance_statuses.is_reachable("oven-1")

    # Commands and their pushed results go through as before.
    await stream.update_after(
        select_option(hass, "select.double_oven_upper_mode", "bake"), "oven-1", "upper"
    )
    assert state_of(hass, "select.double_oven_upper_mode") == "bake"
    assert state_of(hass, "number.double_oven_upper_target_temperature") == "180"


async def test_older_server_leaves_the_program_to_home_assistant(
    hass: HomeAssistant,
    stream: StreamSpy,
    old_server: OldServer,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A server without `selectedProgram`: the choice is kept here, restored, and sent with start."""
    mock_restore_cache(hass, [State(PROGRAM, "intensive")])
    await setup_entry(hass, mock_config_entry, stream)
    assert state_of(hass, PROGRAM) == "intensive"

    # Shown at once: nothing to wait for from the server.
    await select_option(hass, PROGRAM, "quick")
    assert state_of(hass, PROGRAM) == "quick"
    await stream.update_after(
        hass.services.async_call(
            "button",
            "press",
            {"entity_id": "button.dishwasher_start_program"},
            blocking=True,
        ),
        "dishwasher-1",
        None,
    )
    assert state_of(hass, "sensor.dishwasher_remaining_time") == "30"
