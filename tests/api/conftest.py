"""Fixtures for the client library: the real server on 127.0.0.1, plain pytest-asyncio, no Home Assistant."""

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
import ssl
from typing import Any

import aiohttp
from aiohttp import web
import pytest

from custom_components.smart_kitchen.api import (
    Backoff,
    SmartKitchenClient,
    SmartKitchenConnection,
)
from smart_kitchen_server import SmartKitchenServer
from tests.helpers import WAIT, EventRecorder
from tests.kitchen import Kitchen

# Username and password of the demo server's main user.
DEMO = "demo"
# The wire state of a dishwasher that has not run yet.
DISHWASHER_IDLE: dict[str, Any] = {
    "status": "idle",
    "program": None,
    "remainingMinutes": 0,
    "progress": 0,
    "doorOpen": False,
}


@pytest.fixture(autouse=True)
def allow_localhost_sockets(request: pytest.FixtureRequest) -> None:
    """Let every test here open sockets where pytest-socket blocks them (the HA plugin does).

    Without pytest-socket (the library's suite run on its own) nothing blocks sockets.
    """
    if request.config.pluginmanager.hasplugin("socket"):
        request.getfixturevalue("socket_enabled")


@asynccontextmanager
async def no_leaked_tasks() -> AsyncIterator[None]:
    """Fail if the body leaves a task it created still pending (the leak is cancelled first)."""
    before = asyncio.all_tasks()
    yield
    leaked = asyncio.all_tasks() - before - {asyncio.current_task()}
    if not leaked:
        return
    # Described before cancelling, so the message shows where each task was waiting.
    described = sorted(map(repr, leaked))
    for task in leaked:
        task.cancel()
    await asyncio.wait(leaked)
    pytest.fail(f"left {len(leaked)} pending task(s): {described}")


@pytest.fixture(autouse=True)
async def fail_on_leaked_tasks() -> AsyncGenerator[None]:
    """Prove in this suite itself (not only through the HA plugin) that nothing outlives a test.

    Autouse, so it is set up before and torn down after the test's own fixtures: what the
    server, connections and relays leave behind after their teardown is a leak.
    """
    async with no_leaked_tasks():
        yield


# The suite's recorder is the one every suite shares.
Recorder = EventRecorder


@pytest.fixture
async def session() -> AsyncGenerator[aiohttp.ClientSession]:
    """Give each test its own HTTP session, as Home Assistant would inject one."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def client(server: SmartKitchenServer, session: aiohttp.ClientSession) -> Kitchen:
    """Return a client for the demo server (not logged in), which can also use the simulation."""
    return Kitchen(server.url, session, request_timeout=5.0)


@pytest.fixture
async def demo_client(client: Kitchen) -> Kitchen:
    """Return a client logged in as the demo user."""
    await client.login(DEMO, DEMO)
    return client


@dataclass
class Running:
    """A connection whose run() is being awaited in a task, and the events it delivered."""

    connection: SmartKitchenConnection
    recorder: Recorder
    task: asyncio.Task[None]

    async def finished(self) -> None:
        """Wait (bounded) until run() has returned or raised."""
        async with asyncio.timeout(WAIT):
            await asyncio.wait((self.task,))


type StartConnection = Callable[..., Awaitable[Running]]


@pytest.fixture
async def start_connection() -> AsyncGenerator[StartConnection]:
    """Start connections with tiny backoffs; each is closed (and its run() awaited) at teardown."""
    started: list[Running] = []

    async def start(client: SmartKitchenClient, **options: Any) -> Running:
        recorder = Recorder()
        options = {
            "backoff": Backoff(steps=(), minimum=0.01, maximum=0.05, rand=lambda: 1.0),
            **options,
        }
        connection = SmartKitchenConnection(client, on_event=recorder, **options)
        running = Running(connection, recorder, asyncio.create_task(connection.run()))
        started.append(running)
        return running

    yield start
    for running in started:
        await running.connection.close()
        await running.finished()
        if not running.task.cancelled():
            # A test that expected run() to raise has looked at the error already.
            running.task.exception()


type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@pytest.fixture
async def fake_server() -> AsyncGenerator[Callable[..., Awaitable[str]]]:
    """Start small aiohttp servers speaking (or breaking) the protocol; return their base URL."""
    runners: list[web.AppRunner] = []

    async def start(
        routes: Iterable[tuple[str, str, Handler]],
        ssl_context: ssl.SSLContext | None = None,
    ) -> str:
        app = web.Application()
        for method, path, handler in routes:
            app.router.add_route(method, path, handler)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ssl_context)
        await site.start()
        runners.append(runner)
        scheme = "http" if ssl_context is None else "https"
        return f"{scheme}://127.0.0.1:{runner.addresses[0][1]}"

    yield start
    for runner in runners:
        await runner.cleanup()
