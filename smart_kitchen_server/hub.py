"""Routing of simulation events to WebSocket connections, and the per-user alert buffers."""

import asyncio
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
import logging

from aiohttp import WSMsgType, web

from . import messages, probe
from .auth import Session
from .const import ALERT_BUFFER_SIZE, MAX_PENDING_MESSAGES
from .simulation import (
    AlertRaised,
    DeviceAdded,
    SimulationEvent,
    StateChanged,
    StatusChanged,
)

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Control:
    """A ping or pong frame waiting in the send queue."""

    opcode: WSMsgType
    data: bytes


@dataclass(frozen=True, slots=True)
class _Close:
    """A close frame waiting in the send queue; nothing is sent after it."""

    code: int
    reason: str


type _Outgoing = bytes | _Control | _Close


class Connection:
    """One authenticated WebSocket and everything the server sends it, in order."""

    def __init__(
        self,
        ws: web.WebSocketResponse,
        session: Session,
        transport: asyncio.Transport | None,
        now: float,
    ) -> None:
        """Wrap an open WebSocket of a logged-in user."""
        self.ws = ws
        self.session = session
        self.transport = transport
        self.subscriptions: set[str] = set()
        # Whether the client asked for device_status messages (`"deviceStatus": true` in subscribe).
        self.device_status = False
        # Loop time of the last frame received, and the keepalive pings sent since then: the
        # keepalive drops a connection once MISSED_HEARTBEATS pings in a row got no frame back.
        self.last_seen = now
        self.unanswered_pings = 0
        self.bad_messages: deque[datetime] = deque()
        self.closing = False
        self.close_started = False
        # One queue and one writer task per connection: messages keep their order, and a slow client
        # never makes the simulation or other clients wait.
        self._queue: asyncio.Queue[_Outgoing] = asyncio.Queue()

    @property
    def pending(self) -> int:
        """How many frames wait to be written to this client."""
        return self._queue.qsize()

    @property
    def user_id(self) -> str:
        """The id of the user this connection belongs to."""
        return self.session.user_id

    @property
    def username(self) -> str:
        """The name of the user this connection belongs to."""
        return self.session.username

    def send(self, payload: bytes) -> None:
        """Queue an already serialized message."""
        self._enqueue(payload)

    def send_message(self, message: dict[str, object]) -> None:
        """Serialize and queue a message meant for this connection only."""
        self.send(messages.encode(message))

    def heard_from(self, now: float) -> None:
        """Record a frame from the client: any frame (a pong in particular) is a sign of life."""
        self.last_seen = now
        self.unanswered_pings = 0

    def ping(self) -> None:
        """Queue a keepalive ping and count it until the client sends anything."""
        self.unanswered_pings += 1
        self._enqueue(_Control(WSMsgType.PING, b""))

    def pong(self, data: bytes) -> None:
        """Queue the answer to a client's ping."""
        self._enqueue(_Control(WSMsgType.PONG, data))

    def _enqueue(self, item: bytes | _Control) -> None:
        """Queue a frame, or drop a client that stopped reading (pongs count: pings cost nothing to send)."""
        if self.closing:
            return
        if self._queue.qsize() >= MAX_PENDING_MESSAGES:
            _LOGGER.warning(
                "%s is %d messages behind; dropping the connection",
                self.username,
                MAX_PENDING_MESSAGES,
            )
            self.abort()
            return
        self._queue.put_nowait(item)

    def close(self, code: int, reason: str) -> None:
        """Close after everything already queued has been sent."""
        if self.closing:
            return
        self.closing = True
        self._queue.put_nowait(_Close(code, reason))

    def abort(self) -> None:
        """Cut the connection without a close frame, like a network failure would."""
        self.closing = True
        if self.transport is not None:
            self.transport.abort()

    async def write(self) -> None:
        """Send queued frames until a close frame went out or the peer vanished."""
        try:
            while True:
                item = await self._queue.get()
                if isinstance(item, bytes):
                    if (recorder := probe.recorder) is not None:
                        recorder.writing(self, item, self._queue.qsize())
                    await self.ws.send_frame(item, WSMsgType.TEXT)
                elif isinstance(item, _Control):
                    await self.ws.send_frame(item.data, item.opcode)
                else:
                    self.close_started = True
                    await self.ws.close(code=item.code, message=item.reason.encode())
                    return
        except ConnectionResetError:
            # The peer is gone; the reading side sees the same and ends the connection.
            self.abort()


@dataclass(frozen=True, slots=True)
class _BufferedAlert:
    """An alert kept for replay after a reconnect."""

    id: int
    device_id: str
    payload: bytes


class AlertLog:
    """One user's alerts of this boot: ids count up from 1, the last ALERT_BUFFER_SIZE are kept."""

    def __init__(self) -> None:
        """Start empty; the first alert gets id 1."""
        self.last_id = 0
        self._alerts: deque[_BufferedAlert] = deque(maxlen=ALERT_BUFFER_SIZE)

    def add(self, device_id: str, build: Callable[[int], bytes]) -> bytes:
        """Give a new alert the next id, keep it and return its serialized form."""
        self.last_id += 1
        payload = build(self.last_id)
        self._alerts.append(_BufferedAlert(self.last_id, device_id, payload))
        return payload

    def since(self, last_id: int, device_ids: set[str]) -> Iterator[bytes]:
        """Yield the kept alerts newer than `last_id` for the given devices, oldest first."""
        for entry in self._alerts:
            if entry.id > last_id and entry.device_id in device_ids:
                yield entry.payload


class Hub:
    """Who is connected, who listens to which device, and delivery of every event."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        """Start with no connections."""
        self._clock = clock
        self.connections: set[Connection] = set()
        self._subscribers: dict[str, set[Connection]] = {}
        self._alerts: dict[str, AlertLog] = {}
        self._changed = asyncio.Event()

    def _notify(self) -> None:
        """Wake everybody waiting in `wait_until`."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_until(self, predicate: Callable[[], bool]) -> None:
        """Return once the predicate holds; it is re-checked whenever connections or subscriptions change."""
        while not predicate():
            await self._changed.wait()

    def add(self, connection: Connection) -> None:
        """Register a freshly authenticated connection."""
        self.connections.add(connection)
        self._notify()

    def remove(self, connection: Connection) -> None:
        """Forget a connection and its subscriptions."""
        self.connections.discard(connection)
        self.set_subscriptions(connection, ())
        self._notify()

    def set_subscriptions(
        self, connection: Connection, device_ids: Iterable[str]
    ) -> None:
        """Make a connection's subscription exactly this set of devices."""
        wanted = set(device_ids)
        for device_id in connection.subscriptions - wanted:
            subscribers = self._subscribers[device_id]
            subscribers.discard(connection)
            if not subscribers:
                del self._subscribers[device_id]
        for device_id in wanted - connection.subscriptions:
            self._subscribers.setdefault(device_id, set()).add(connection)
        connection.subscriptions = wanted
        if (recorder := probe.recorder) is not None:
            recorder.subscribed(connection, len(wanted))
        self._notify()

    def subscriber_count(self, device_id: str) -> int:
        """Return how many connections are subscribed to a device."""
        return len(self._subscribers.get(device_id, ()))

    def last_alert_id(self, user_id: str) -> int:
        """Return the id of a user's newest alert of this boot (0 before the first one)."""
        log = self._alerts.get(user_id)
        return 0 if log is None else log.last_id

    def alerts_since(
        self, user_id: str, last_id: int, device_ids: set[str]
    ) -> Iterator[bytes]:
        """Yield a user's buffered alerts for replay."""
        if (log := self._alerts.get(user_id)) is not None:
            yield from log.since(last_id, device_ids)

    def close_session(self, token: str, code: int, reason: str) -> None:
        """Close every connection that authenticated with a token."""
        for connection in self.connections:
            if connection.session.token == token:
                connection.close(code, reason)

    def publish(self, event: SimulationEvent) -> None:
        """Deliver a simulation event to the connections it concerns."""
        now = self._clock()
        if isinstance(event, StateChanged):
            if subscribers := self._subscribers.get(event.device.id):
                payload = messages.encode(
                    messages.device_update(event.device, event.compartment, now)
                )
                if (recorder := probe.recorder) is not None:
                    recorder.published(
                        event.device.id, event.compartment.state.door_open, payload
                    )
                for connection in subscribers:
                    connection.send(payload)
        elif isinstance(event, StatusChanged):
            # Serialized only if somebody asked for it: old clients never do.
            if listeners := [
                connection
                for connection in self._subscribers.get(event.device.id, ())
                if connection.device_status
            ]:
                payload = messages.encode(messages.device_status(event.device, now))
                for connection in listeners:
                    connection.send(payload)
        elif isinstance(event, AlertRaised):
            device = event.device
            payload = self._alerts.setdefault(device.owner, AlertLog()).add(
                device.id,
                lambda alert_id: messages.encode(
                    messages.alert(
                        alert_id,
                        device,
                        compartment=event.compartment,
                        alert_type=event.alert_type,
                        message=event.message,
                        ts=event.ts,
                    )
                ),
            )
            for connection in self._subscribers.get(device.id, ()):
                connection.send(payload)
        elif isinstance(event, DeviceAdded):
            self._to_owner(event.device.owner, messages.device_added(event.device))
        else:
            device_id = event.device.id
            for connection in list(self._subscribers.get(device_id, ())):
                self.set_subscriptions(
                    connection, connection.subscriptions - {device_id}
                )
            self._to_owner(event.device.owner, messages.device_removed(device_id))

    def _to_owner(self, user_id: str, message: dict[str, object]) -> None:
        """Send a message to every connection of one user."""
        payload = messages.encode(message)
        for connection in self.connections:
            if connection.user_id == user_id:
                connection.send(payload)
