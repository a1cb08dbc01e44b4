"""What every suite shares: the server's fake clock and one recorder of the library's events."""

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
import socket

from custom_components.smart_kitchen.api import (
    ConnectionState,
    ConnectionStateChanged,
    DeviceUpdate,
    Event,
)

# Every wait is bounded: a missing event fails the test quickly instead of hanging it.
WAIT = 10.0


class FakeClock:
    """The server's clock in tests: the real time unless a test stops it at a moment or moves it."""

    def __init__(self, stopped_at: datetime | None = None) -> None:
        """Follow the real time, or stand still at `stopped_at`."""
        self.stopped_at = stopped_at
        self.offset = timedelta()

    def __call__(self) -> datetime:
        """Return the server's idea of now (token expiry, throttle windows, timestamps, schedules)."""
        return (self.stopped_at or datetime.now(UTC)) + self.offset

    @property
    def now(self) -> datetime:
        """Return the current time of this clock."""
        return self()

    def advance(self, seconds: float) -> None:
        """Move the clock forward."""
        self.offset += timedelta(seconds=seconds)


class EventRecorder:
    """An `on_event` callback that records events and lets a test wait for a condition on them."""

    def __init__(self) -> None:
        """Start with no events."""
        self.events: list[Event] = []
        self._changed = asyncio.Event()
        # Lets a test act on an event at the moment it is delivered.
        self.hook: Callable[[Event], None] | None = None

    def __call__(self, event: Event) -> None:
        """Record one event."""
        if self.hook is not None:
            self.hook(event)
        self.events.append(event)
        self._changed.set()

    def mark(self) -> int:
        """Return a position to look from: events before it do not count."""
        return len(self.events)

    def of[T](self, event_type: type[T], start: int = 0) -> list[T]:
        """Return the recorded events of one type (since `start`)."""
        return [event for event in self.events[start:] if isinstance(event, event_type)]

    def states(self) -> list[ConnectionState]:
        """Return the recorded connection states in order."""
        return [event.state for event in self.of(ConnectionStateChanged)]

    async def wait_until(self, predicate: Callable[[], object]) -> None:
        """Return once predicate() is true, checking again after every event."""
        async with asyncio.timeout(WAIT):
            while not predicate():
                self._changed.clear()
                await self._changed.wait()

    async def wait_for_updates(self, count: int) -> None:
        """Wait until exactly `count` device updates were delivered (5: the demo user's snapshot)."""
        await self.wait_until(lambda: len(self.of(DeviceUpdate)) == count)

    async def wait_for_state(self, state: ConnectionState, count: int = 1) -> None:
        """Wait until the connection reported `state` at least `count` times."""
        await self.wait_until(lambda: self.states().count(state) >= count)


def decided_waits(recorder: EventRecorder) -> list[float]:
    """Collect the reconnect waits a connection decides, through a hook on its recorder.

    Read when each decision is delivered: `retry_at` is then now + the chosen wait, so the backoff's
    decisions are counted without waiting for them.
    """
    waits: list[float] = []

    def hook(event: Event) -> None:
        if (
            isinstance(event, ConnectionStateChanged)
            and event.state is ConnectionState.DISCONNECTED
            and event.retry_at is not None
        ):
            waits.append((event.retry_at - datetime.now(UTC)).total_seconds())

    recorder.hook = hook
    return waits


def free_port() -> int:
    """Return a port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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
