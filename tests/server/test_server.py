"""The in-process server API: lifecycle, restarts, the automatic tick and dropped connections."""

import asyncio
from collections.abc import Awaitable, Callable

from aiohttp import ClientSession
import pytest

from smart_kitchen_server import ServerConfig, SmartKitchenServer
from smart_kitchen_server.hub import Connection
from tests.helpers import FakeClock

from .conftest import TIMEOUT, WsClient


async def test_start_and_stop() -> None:
    """start() returns the bound port, url names it, stop() may be called twice."""
    server = SmartKitchenServer(ServerConfig.demo(tick=None))
    assert server.port == 0
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.url

    port = await server.start()
    try:
        assert port > 0
        assert server.port == port
        assert server.url == f"http://127.0.0.1:{port}"
        with pytest.raises(RuntimeError, match="already running"):
            await server.start()
    finally:
        await server.stop()
    await server.stop()


async def test_async_with(clock: FakeClock) -> None:
    """`async with` starts on 127.0.0.1 with a free port and stops on the way out."""
    server = SmartKitchenServer(ServerConfig.demo(tick=None), clock=clock)

    async with server as entered:
        assert entered is server
        assert server.url == f"http://127.0.0.1:{server.port}"
        async with ClientSession(base_url=server.url) as http:
            assert (await http.get("/api/info")).status == 200

    with pytest.raises(RuntimeError, match="not running"):
        _ = server.url


def test_heartbeat_must_be_positive() -> None:
    """A zero heartbeat is refused."""
    with pytest.raises(ValueError, match="heartbeat"):
        SmartKitchenServer(ServerConfig.demo(), heartbeat=0)


async def test_port_in_use(server: SmartKitchenServer) -> None:
    """Starting on a taken port raises OSError and leaves nothing running."""
    other = SmartKitchenServer(ServerConfig.demo(tick=None))

    with pytest.raises(OSError):
        await other.start(port=server.port)

    await other.stop()


async def test_restart_on_same_port(
    server: SmartKitchenServer,
    http: ClientSession,
    auth: dict[str, str],
    client: WsClient,
) -> None:
    """A new server on the same port has a new boot id, no sessions and fresh appliances."""
    await http.post(
        "/api/devices/dishwasher-1/commands",
        json={"command": "start", "args": {"program": "eco"}},
        headers=auth,
    )
    boot_id = server.boot_id
    await server.stop()
    assert await client.closed() == (1001, "Server shutting down")

    restarted = SmartKitchenServer(ServerConfig.demo(tick=None))
    await restarted.start(port=server.port)
    try:
        assert restarted.boot_id != boot_id
        assert (await http.get("/api/devices", headers=auth)).status == 401
        token = (
            await (
                await http.post(
                    "/api/login", json={"username": "demo", "password": "demo"}
                )
            ).json()
        )["token"]
        devices = await (
            await http.get("/api/devices", headers={"Authorization": f"Bearer {token}"})
        ).json()
        assert devices["devices"][2]["state"]["status"] == "idle"
    finally:
        await restarted.stop()


async def test_automatic_tick() -> None:
    """With a tick interval the simulation runs by itself: an oven reaches ready."""
    server = SmartKitchenServer(ServerConfig.demo(tick=0.01))
    await server.start()
    try:
        async with ClientSession(base_url=server.url) as session:
            token = (
                await (
                    await session.post(
                        "/api/login", json={"username": "demo", "password": "demo"}
                    )
                ).json()
            )["token"]
            auth = {"Authorization": f"Bearer {token}"}
            ws = await session.ws_connect("/ws", headers=auth)
            client = WsClient(ws)
            await client.receive()
            await client.subscribe(["oven-1"])
            await session.post(
                "/api/devices/oven-1/commands",
                json={
                    "command": "set_mode",
                    "compartment": "lower",
                    "args": {"mode": "defrost"},
                },
                headers=auth,
            )
            received = await client.receive_until(lambda m: m["type"] == "alert")
            assert received[-1]["alertType"] == "preheat_done"
            # Manual ticks still work alongside the automatic ones.
            ticks = server.simulation.ticks
            await server.tick(2)
            assert server.simulation.ticks >= ticks + 2
            await ws.close()
    finally:
        await server.stop()


async def test_drop_connections(
    server: SmartKitchenServer, connect: Callable[..., Awaitable[WsClient]], token: str
) -> None:
    """drop_connections cuts every socket abnormally and returns once they are gone."""
    clients = [await connect(token) for _ in range(2)]
    assert server.connection_count == 2

    await server.drop_connections()

    assert server.connection_count == 0
    for client in clients:
        assert await client.closed() == (1006, "")
    # New connections work afterwards.
    client = await connect(token)
    await client.barrier()


async def test_wait_until(
    server: SmartKitchenServer, connect: Callable[..., Awaitable[WsClient]], token: str
) -> None:
    """wait_until returns once its condition holds after a connection or subscription change."""
    waiter = asyncio.create_task(
        server.wait_until(lambda: server.subscriber_count("oven-1") == 1)
    )
    client = await connect(token)
    assert not waiter.done()

    await client.send({"type": "subscribe", "deviceIds": ["oven-1"]})

    async with asyncio.timeout(TIMEOUT):
        await waiter


async def test_stop_cuts_connections_that_do_not_close(
    server: SmartKitchenServer,
    connect: Callable[..., Awaitable[WsClient]],
    token: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """stop() does not wait forever: a connection still open after the close timeout is cut."""
    monkeypatch.setattr("smart_kitchen_server.server.CLOSE_TIMEOUT", 0.05)
    client = await connect(token)
    # Stand-in for a connection stuck behind a full send buffer: its close frame never goes out.
    monkeypatch.setattr(Connection, "close", lambda self, code, reason: None)

    async with asyncio.timeout(TIMEOUT):
        await server.stop()

    assert server.connection_count == 0
    assert await client.closed() == (1006, "")


async def test_introspection(server: SmartKitchenServer, client: WsClient) -> None:
    """The read-only views tests use."""
    assert server.hub.connections == set(server.hub.connections)
    assert len(server.hub.connections) == server.connection_count == 1
    assert server.config.server_id == "smart-kitchen-demo"
    assert server.heartbeat == 20.0
