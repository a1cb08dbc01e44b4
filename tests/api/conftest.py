"""Fixtures for the client library: the real server on 127.0.0.1, plain pytest-asyncio, no Home Assistant."""

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
import socket
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


def free_port() -> int:
    """Return a port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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


class TcpProxy:
    """A TCP relay in front of the real server that misbehaves like a network on request."""

    def __init__(self, target_port: int) -> None:
        """Relay to 127.0.0.1:target_port once started."""
        self._target_port = target_port
        self._server: asyncio.Server | None = None
        self._open = asyncio.Event()
        self._open.set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._stalled: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._refusing = False
        self.connections = 0

    async def start(self) -> None:
        """Listen on a free port; `url` is the base URL to give the client."""
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    def hold(self) -> None:
        """Keep new connections waiting (accepted but not relayed) until release()."""
        self._open.clear()

    def release(self) -> None:
        """Let held and new connections through."""
        self._open.set()

    def refuse(self, refusing: bool = True) -> None:
        """Reset new connections at once, like a server that is down (refuse(False) ends it)."""
        self._refusing = refusing

    def cut(self) -> None:
        """Reset every relayed connection, like a network failure."""
        for writer in list(self._writers):
            writer.transport.abort()

    def stall(self) -> None:
        """Silently drop all further bytes of the current connections (a half-open link)."""
        self._stalled.update(self._writers)

    async def _relay(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        """Relay one client connection to the server, both ways."""
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        streams = [writer]
        self._writers.add(writer)
        try:
            await self._open.wait()
            if self._refusing:
                return
            self.connections += 1
            upstream_reader, upstream_writer = await asyncio.open_connection(
                "127.0.0.1", self._target_port
            )
            streams.append(upstream_writer)
            self._writers.add(upstream_writer)
            await asyncio.gather(
                self._pump(reader, upstream_writer, writer),
                self._pump(upstream_reader, writer, upstream_writer),
            )
        finally:
            for stream in streams:
                self._writers.discard(stream)
                stream.transport.abort()
            self._tasks.discard(task)

    async def _pump(
        self,
        source: asyncio.StreamReader,
        sink: asyncio.StreamWriter,
        source_writer: asyncio.StreamWriter,
    ) -> None:
        """Copy bytes one way until EOF, dropping them once the link is stalled."""
        try:
            while data := await source.read(65536):
                if source_writer in self._stalled or sink in self._stalled:
                    continue
                sink.write(data)
                await sink.drain()
        except OSError:
            pass
        finally:
            sink.transport.abort()

    async def close(self) -> None:
        """Stop listening and end every relayed connection."""
        assert self._server is not None
        self._server.close()
        self.release()
        self.cut()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(set(self._tasks))
        await self._server.wait_closed()


@pytest.fixture
async def proxy(server: SmartKitchenServer) -> AsyncGenerator[TcpProxy]:
    """Put a controllable TCP relay in front of the real server."""
    proxy = TcpProxy(server.port)
    await proxy.start()
    yield proxy
    await proxy.close()
