"""What every suite shares: the server's fake clock and one recorder of the library's events."""

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

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
