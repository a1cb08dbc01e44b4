"""SmartKitchenServer: the aiohttp application, the simulation clock and the keepalive."""

import asyncio
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
import logging
import secrets
from types import TracebackType
from typing import Any, Self

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from .auth import Clock, LoginThrottle, PasswordChecker, SessionStore
from .config import ServerConfig
from .const import (
    CLOSE_GOING_AWAY,
    CLOSE_TIMEOUT,
    DEFAULT_BODY_TIMEOUT,
    DEFAULT_HEADER_TIMEOUT,
    DEFAULT_HEARTBEAT,
    MAX_FRAME_SIZE,
    MISSED_HEARTBEATS,
)
from .context import ServerContext
from .hub import Hub
from .rest import RestApi, body_middleware, error_middleware
from .simulation import Simulation
from .state_file import CounterStore
from .websocket import WebSocketEndpoint

_LOGGER = logging.getLogger(__name__)
# aiohttp's HTTP layer logs here instead of "aiohttp.server", through the filter below.
_HTTP_LOGGER = logging.getLogger(f"{__name__}.http")
# Errors that are the client's doing: a request aiohttp cannot parse, a body it cannot decode, a
# connection the client dropped.
_CLIENT_FAULTS = (HttpProcessingError, web.RequestPayloadError, ConnectionError)


class _ClientFaultFilter(logging.Filter):
    """Log a client's malformed request or vanished connection as one DEBUG line, not an ERROR.

    aiohttp answers HTTP it cannot parse with 400 itself and logs it with `logger.exception`: a
    traceback per bad request at ERROR, so any client could fill the log. So does its reading and
    dropping of a body after the answer (e.g. a body that is not the gzip it claims to be). Those
    records become a single DEBUG line here; errors of the server's own handlers keep their level and
    traceback.
    The line names only the kind of error: aiohttp's messages quote the request's bytes, which may
    hold a token (an `Authorization` header, or `?token=` in a URL it could not parse).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite records about the client's fault; let everything else through unchanged."""
        error = record.exc_info[1] if record.exc_info else None
        if not isinstance(error, _CLIENT_FAULTS):
            return True
        if not _HTTP_LOGGER.isEnabledFor(logging.DEBUG):
            return False
        record.msg = f"{record.getMessage()}: {type(error).__name__}"
        record.args = ()
        record.exc_info = record.exc_text = None
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return True


_HTTP_LOGGER.addFilter(_ClientFaultFilter())


def _utcnow() -> datetime:
    """Return the current time in UTC."""
    return datetime.now(UTC)


class SmartKitchenServer:
    """The reference appliance server, runnable in-process (tests) or from the command line."""

    def __init__(
        self,
        config: ServerConfig,
        *,
        heartbeat: float = DEFAULT_HEARTBEAT,
        clock: Clock | None = None,
        header_timeout: float = DEFAULT_HEADER_TIMEOUT,
        body_timeout: float = DEFAULT_BODY_TIMEOUT,
    ) -> None:
        """Prepare a server; nothing listens until `start()` (or `async with`).

        `heartbeat` is the WebSocket ping interval in seconds; `clock` (default: the real UTC time) is what
        token expiry, the login throttle, the bad-message window and timestamps read. A connection must
        send a complete request head within `header_timeout` seconds of opening or of the previous
        response (so an idle keep-alive connection is closed after that long too), and a request body
        within `body_timeout` seconds of its head.
        """
        for name, value in (
            ("heartbeat", heartbeat),
            ("header_timeout", header_timeout),
            ("body_timeout", body_timeout),
        ):
            if not value > 0:
                raise ValueError(f"{name} must be a positive number of seconds")
        self.config = config
        self.heartbeat = heartbeat
        self.header_timeout = header_timeout
        self.body_timeout = body_timeout
        clock = clock or _utcnow
        hub = Hub(clock)
        simulation = Simulation(config, hub.publish, clock)
        # Reads the state file now, so a damaged one stops the server before it serves anything.
        self._counters = (
            None
            if config.state_file is None
            else CounterStore(config.state_file, simulation, clock)
        )
        self._context = ServerContext(
            config=config,
            # A new id per start-up tells clients that sessions and alert ids were reset.
            boot_id=secrets.token_hex(8),
            clock=clock,
            sessions=SessionStore(clock, config.token_lifetime),
            throttle=LoginThrottle(clock),
            passwords=PasswordChecker(
                {user.username: user.password_hash for user in config.users}
            ),
            simulation=simulation,
            hub=hub,
            users={user.username: user for user in config.users},
        )
        self._runner: web.AppRunner | None = None
        self._host = ""
        self._port = 0
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def boot_id(self) -> str:
        """Random id of this server instance, sent in every `connected` message."""
        return self._context.boot_id

    @property
    def simulation(self) -> Simulation:
        """The simulated appliances (read them; change them through the API or `tick()`)."""
        return self._context.simulation

    @property
    def sessions(self) -> SessionStore:
        """The logged-in sessions."""
        return self._context.sessions

    @property
    def hub(self) -> Hub:
        """Connections, subscriptions and alert buffers."""
        return self._context.hub

    @property
    def connection_count(self) -> int:
        """How many authenticated WebSockets are open."""
        return len(self._context.hub.connections)

    def subscriber_count(self, device_id: str) -> int:
        """How many WebSockets are subscribed to a device."""
        return self._context.hub.subscriber_count(device_id)

    async def wait_until(self, predicate: Callable[[], bool]) -> None:
        """Return once `predicate()` holds; re-checked whenever a connection or subscription changes."""
        await self._context.hub.wait_until(predicate)

    @property
    def port(self) -> int:
        """The bound TCP port (0 before `start()`)."""
        return self._port

    @property
    def url(self) -> str:
        """Base URL of the running server, e.g. `http://127.0.0.1:8765`."""
        if self._runner is None:
            raise RuntimeError("the server is not running")
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self._port}"

    def _application(self) -> web.Application:
        """Build the aiohttp application with every route."""
        app = web.Application(
            client_max_size=MAX_FRAME_SIZE,
            middlewares=[
                error_middleware,
                body_middleware(MAX_FRAME_SIZE, self.body_timeout),
            ],
        )
        app.add_routes(RestApi(self._context).routes())
        app.router.add_get("/ws", WebSocketEndpoint(self._context).handle)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen on host:port (0 picks a free port) and start the simulation clock; return the port."""
        if self._runner is not None:
            raise RuntimeError("the server is already running")
        # No access log: a WebSocket URL may carry ?token=..., and tokens are never logged.
        runner = web.AppRunner(
            self._application(),
            access_log=None,
            handle_signals=False,
            shutdown_timeout=CLOSE_TIMEOUT,
            logger=_HTTP_LOGGER,
            # aiohttp's keep-alive timer is its header timeout: it closes a connection still waiting
            # for a complete request head this long after opening or after the previous response.
            # Slowloris clients dribbling a head byte by byte are cut off by it, idle ones too.
            keepalive_timeout=self.header_timeout,
            # After answering without reading a body (e.g. 413), aiohttp reads and drops what still
            # comes, so the client sees the answer rather than a reset, for at most this long.
            lingering_time=self.body_timeout,
        )
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
        except OSError:
            await runner.cleanup()
            raise
        self._runner = runner
        self._host = host
        self._port = runner.addresses[0][1]
        if self.config.tick is not None:
            self._spawn(self._tick_loop(self.config.tick), "tick")
        self._spawn(self._keepalive_loop(), "keepalive")
        _LOGGER.info(
            "Serving %s (%s) on %s", self.config.name, self.config.server_id, self.url
        )
        return self._port

    async def __aenter__(self) -> Self:
        """Start on 127.0.0.1 with a free port (use `start()` for another address)."""
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Stop the server."""
        await self.stop()

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        """Run a background loop that stop() cancels."""
        task = asyncio.create_task(coro, name=f"smart-kitchen-{name}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def tick(self, n: int = 1) -> None:
        """Advance the simulation n ticks now; the resulting messages are queued before this returns."""
        for _ in range(n):
            self._step()

    def _step(self) -> None:
        """Advance the simulation one tick, and save its counters when that is due."""
        self._context.simulation.step()
        if self._counters is not None:
            self._counters.save_if_due()

    async def _tick_loop(self, interval: float) -> None:
        """Step the simulation every `interval` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time()
        while True:
            # Aim at a fixed schedule, but skip ticks rather than burst after the loop was busy.
            deadline = max(deadline + interval, loop.time())
            await asyncio.sleep(deadline - loop.time())
            self._step()

    async def _keepalive_loop(self) -> None:
        """Ping every connection each heartbeat and drop those that stopped answering."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self.heartbeat)
            now = loop.time()
            for connection in list(self._context.hub.connections):
                # Counted in pings, not measured in seconds: a late wake-up of this loop must not
                # cost the client one of the pings it is owed.
                if connection.unanswered_pings >= MISSED_HEARTBEATS:
                    _LOGGER.info(
                        "Dropping %s: no answer to %d pings in %g seconds",
                        connection.username,
                        connection.unanswered_pings,
                        now - connection.last_seen,
                    )
                    connection.abort()
                else:
                    connection.ping()

    async def _wait_for_websockets(self) -> None:
        """Wait (bounded) for every WebSocket handler to finish, cutting off the ones that do not."""
        if tasks := set(self._context.websocket_tasks):
            _, pending = await asyncio.wait(tasks, timeout=CLOSE_TIMEOUT)
            if pending:
                for connection in list(self._context.hub.connections):
                    connection.abort()
                await asyncio.wait(pending)

    async def drop_connections(self) -> None:
        """Cut every WebSocket without a close frame (a network blip) and wait until they are gone."""
        for connection in list(self._context.hub.connections):
            connection.abort()
        await self._wait_for_websockets()

    async def stop(self) -> None:
        """Close every WebSocket (1001), stop listening and cancel everything the server started."""
        if self._runner is None:
            return
        runner, self._runner = self._runner, None
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._counters is not None:
            self._counters.save()
        for connection in list(self._context.hub.connections):
            connection.close(CLOSE_GOING_AWAY, "Server shutting down")
        await self._wait_for_websockets()
        await runner.cleanup()
        _LOGGER.info("Stopped %s", self.config.server_id)
