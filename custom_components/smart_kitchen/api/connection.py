"""A self-healing WebSocket connection that turns protocol messages into typed events."""

import asyncio
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
import logging
import time

import aiohttp

from .alerts import AlertTracker
from .backoff import Backoff
from .client import SmartKitchenClient
from .exceptions import (
    SmartKitchenAuthenticationError,
    SmartKitchenError,
    SmartKitchenRateLimitedError,
    SmartKitchenResponseError,
)
from .link import DEFAULT_HEARTBEAT, Link, LinkClosedError
from .models import (
    Alert,
    AlertCursor,
    Appliance,
    Connected,
    ConnectionState,
    ConnectionStateChanged,
    ConnectionStats,
    DeviceAdded,
    DeviceRemoved,
    DeviceStatus,
    DeviceUpdate,
    Event,
    ServerError,
    Subscribed,
    dumps,
    parse_message,
)
from .problems import ProblemLog
from .subscription import Subscription

_LOGGER = logging.getLogger(__name__)

# Far above any real message (a device update is < 1 KiB); a bigger frame means a broken peer.
MAX_MESSAGE_SIZE = 1024 * 1024
# While draining a backlog of frames, give the event loop a turn at least this often (seconds): a burst
# of thousands of updates must not block Home Assistant.
YIELD_INTERVAL = 0.02


@dataclass(slots=True)
class _Drop:
    """Why a connection attempt ended and what that means for the next one."""

    reason: str
    # The server closed the stream with 1008: its token is no longer valid.
    token_rejected: bool = False
    min_delay: float = 0.0


class SmartKitchenConnection:
    """Keeps the event stream of one user alive and delivers every Event to a callback.

    It owns the subscription. By default it follows the user's appliances: after every reconnect it
    loads the appliance list again, reports the appliances that came or went meanwhile as
    DeviceAdded / DeviceRemoved, and subscribes to all of them. Given `device_ids`, it subscribes
    to exactly those instead.
    """

    def __init__(
        self,
        client: SmartKitchenClient,
        on_event: Callable[[Event], None],
        *,
        appliances: Iterable[Appliance] | None = None,
        device_ids: Iterable[str] | None = None,
        heartbeat: float = DEFAULT_HEARTBEAT,
        backoff: Backoff | None = None,
        max_message_size: int = MAX_MESSAGE_SIZE,
        alert_cursor: AlertCursor | None = None,
    ) -> None:
        """Store what is needed to (re)connect; nothing happens before run().

        `appliances` is the appliance list the caller already loaded (else it is loaded when the
        stream first connects); `device_ids` fixes the subscription instead. The client must be
        able to log in (credentials given to it, or a login done).
        """
        self._client = client
        self._on_event = on_event
        self._subscription = Subscription(appliances, device_ids)
        self._heartbeat = heartbeat
        self._backoff = backoff or Backoff()
        self._max_message_size = max_message_size
        self._alerts = AlertTracker(alert_cursor)

        self._state = ConnectionState.DISCONNECTED
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self._has_connected = False
        # Set while a socket is open: wakes the writer that sends the subscription.
        self._subscribe_wanted: asyncio.Event | None = None

        self._stats = ConnectionStats()
        # Kept as a float: reading the clock for every message is cheaper than building a datetime.
        self._last_message_time: float | None = None
        self._problems = ProblemLog(client.url, self._stats)

    def __repr__(self) -> str:
        """Describe the connection without credentials."""
        return f"{type(self).__name__}({self._client.url!r}, state={self._state})"

    @property
    def state(self) -> ConnectionState:
        """Return the current state."""
        return self._state

    @property
    def device_ids(self) -> tuple[str, ...]:
        """Return the ids the connection subscribes to."""
        return self._subscription.device_ids

    @property
    def appliances(self) -> Mapping[str, Appliance]:
        """Return the user's appliances as last known (empty with a fixed subscription)."""
        return self._subscription.appliances

    @property
    def alert_cursor(self) -> AlertCursor | None:
        """Return where to resume after the last delivered alert (None before the first `subscribed`)."""
        return self._alerts.cursor

    @property
    def stats(self) -> ConnectionStats:
        """Return a snapshot of the counters, for diagnostics."""
        return replace(
            self._stats,
            last_alert_id=self._alerts.last_alert_id,
            last_message_at=None
            if self._last_message_time is None
            else datetime.fromtimestamp(self._last_message_time, UTC),
        )

    def set_device_ids(self, device_ids: Iterable[str]) -> None:
        """Subscribe to exactly these ids from now on; an open socket is re-subscribed in place."""
        if self._subscription.fix(device_ids):
            self._request_subscribe()

    async def run(self) -> None:
        """Keep the stream alive until close(); raise SmartKitchenAuthenticationError if login is refused."""
        if self._task is not None:
            raise RuntimeError("run() can only be called once")
        if self._closed:
            return
        task = self._task = asyncio.create_task(
            self._run_loop(), name="smart_kitchen_connection"
        )
        try:
            await asyncio.wait((task,))
        except asyncio.CancelledError:
            # Whoever awaits run() cancelled it: take the stream down with it.
            self._closed = True
            task.cancel()
            await asyncio.wait((task,))
            raise
        if not task.cancelled():
            task.result()

    async def close(self) -> None:
        """Stop the stream: cancel everything started, close the socket, make run() return."""
        self._closed = True
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.wait((self._task,))
        if self._state is not ConnectionState.CLOSED:
            self._set_state(ConnectionState.CLOSED)

    def _emit(self, event: Event) -> None:
        """Hand one event to the callback; a failing callback must not kill the stream."""
        try:
            self._on_event(event)
        except Exception:
            # The callback is the caller's code: log its bug and keep the stream going.
            _LOGGER.exception(
                "Error in the event callback for %s", type(event).__name__
            )

    def _set_state(
        self,
        state: ConnectionState,
        reason: str | None = None,
        retry_at: datetime | None = None,
    ) -> None:
        """Record a state transition and report it as an event."""
        self._state = state
        self._emit(
            ConnectionStateChanged(state=state, reason=reason, retry_at=retry_at)
        )

    async def _run_loop(self) -> None:
        """Connect, stream, and reconnect with backoff until cancelled or the login is refused."""
        token_refused_before = False
        try:
            while True:
                try:
                    drop = await self._attempt()
                except SmartKitchenAuthenticationError as err:
                    # Only a refused login gets here; a refused token is renewed by the client.
                    _LOGGER.debug("Login refused for %s: %s", self._client.url, err)
                    self._stats.last_disconnect_reason = str(err)
                    self._set_state(ConnectionState.AUTH_FAILED, str(err))
                    raise
                except SmartKitchenRateLimitedError as err:
                    drop = _Drop(str(err), min_delay=err.retry_after or 0.0)
                except (SmartKitchenError, aiohttp.ClientError, OSError) as err:
                    # aiohttp and OS errors can still escape from pings on a socket that just broke.
                    drop = _Drop(str(err) or type(err).__name__)
                # Sessions vanish when the server restarts, so a refused token is replaced at once;
                # refused again right away, it waits for the backoff so that nothing loops hot.
                retry_now = drop.token_rejected and not token_refused_before
                token_refused_before = drop.token_rejected
                delay = (
                    0.0
                    if retry_now
                    else max(drop.min_delay, self._backoff.next_delay())
                )
                self._stats.last_disconnect_reason = drop.reason
                retry_at = self._stats.next_retry_at = datetime.now(UTC) + timedelta(
                    seconds=delay
                )
                _LOGGER.debug(
                    "Disconnected from %s (%s); retrying in %.1f s",
                    self._client.url,
                    drop.reason,
                    delay,
                )
                self._set_state(ConnectionState.DISCONNECTED, drop.reason, retry_at)
                if delay:
                    await asyncio.sleep(delay)
                self._stats.next_retry_at = None
        finally:
            self._stats.connected_since = None
            self._stats.next_retry_at = None
            if self._state is not ConnectionState.AUTH_FAILED:
                self._closed = True
                self._set_state(ConnectionState.CLOSED)

    async def _attempt(self) -> _Drop:
        """Make one connection attempt (the client logs in if needed) and stream until it drops."""
        self._set_state(ConnectionState.CONNECTING)
        ws, token = await self._client.ws_connect(
            autoping=False, max_msg_size=self._max_message_size
        )
        try:
            drop = await self._stream(ws)
        finally:
            # A socket that went silent or was cancelled is closed without waiting for the peer.
            await ws.close()
        if drop.token_rejected:
            drop.reason = f"token refused: {drop.reason}"
            self._client.token_refused(token)
        return drop

    async def _stream(self, ws: aiohttp.ClientWebSocketResponse) -> _Drop:
        """Wait for `connected`, catch up, subscribe, and deliver events until the socket ends."""
        loop = asyncio.get_running_loop()
        writer: asyncio.Task[None] | None = None
        link = Link(ws, self._heartbeat)
        try:
            try:
                async with asyncio.timeout(self._client.request_timeout):
                    while not isinstance(
                        event := await self._next_event(link), Connected
                    ):
                        if event is not None:
                            self._dispatch(event)
            except TimeoutError:
                return _Drop("no 'connected' message from the server")
            if self._subscription.following and (
                self._has_connected or not self._subscription.loaded
            ):
                # What came or went while the stream was down was announced to nobody. Messages
                # wait in the socket meanwhile, so none is lost and each is newer than the list.
                devices = await self._client.get_devices()
                for change in self._subscription.replace(devices):
                    self._emit(change)
            self._on_connected(event)
            self._subscribe_wanted = wanted = asyncio.Event()
            # The server sends the snapshot right after `subscribed`, so no waiting is needed.
            await self._send_subscribe(ws)
            writer = asyncio.create_task(self._send_subscriptions(ws, wanted))
            yielded_at = loop.time()
            while True:
                if (event := await self._next_event(link)) is not None:
                    self._dispatch(event)
                if loop.time() - yielded_at > YIELD_INTERVAL:
                    # Buffered frames are read without suspending: let the loop run others.
                    await asyncio.sleep(0)
                    yielded_at = loop.time()
        except LinkClosedError as err:
            return _Drop(str(err), token_rejected=err.token_rejected)
        finally:
            link.close()
            self._subscribe_wanted = None
            self._stats.connected_since = None
            if writer is not None:
                writer.cancel()
                await asyncio.wait((writer,))

    def _on_connected(self, event: Connected) -> None:
        """Take over a new stream: note the server boot, report CONNECTED."""
        self._alerts.connected(event.boot_id)
        if self._has_connected:
            self._stats.reconnects += 1
        self._has_connected = True
        self._stats.connected_since = datetime.now(UTC)
        _LOGGER.debug("Connected to %s", self._client.url)
        self._set_state(ConnectionState.CONNECTED)
        self._emit(event)

    async def _send_subscriptions(
        self, ws: aiohttp.ClientWebSocketResponse, wanted: asyncio.Event
    ) -> None:
        """Send the subscription again whenever the wanted set changes."""
        while True:
            await wanted.wait()
            wanted.clear()
            try:
                await self._send_subscribe(ws)
            except (aiohttp.ClientError, ConnectionError) as err:
                # A stream that cannot subscribe is deaf: end it, and the reader reconnects.
                _LOGGER.debug("Could not send the subscription: %s", err)
                await ws.close()

    async def _send_subscribe(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        """Send the current subscription with the alert cursor, so missed alerts replay."""
        message: dict[str, object] = {
            "type": "subscribe",
            "deviceIds": list(self.device_ids),
            # Opt-in: device_status messages (online state, energy and water); older servers ignore it.
            "deviceStatus": True,
        }
        # Without lastAlertId (a fresh client) the server replays nothing (no stale alerts at
        # start-up), and its `subscribed` says where history ends.
        if (resume_from := self._alerts.resume_from) is not None:
            message["lastAlertId"] = resume_from
        await ws.send_str(dumps(message).decode())

    def _request_subscribe(self) -> None:
        """Ask the writer of the open socket, if any, to send the subscription again."""
        if self._subscribe_wanted is not None:
            self._subscribe_wanted.set()

    def _dispatch(self, event: Event) -> None:
        """Apply what an event means to the connection itself, then deliver it."""
        match event:
            case DeviceUpdate() | DeviceStatus() | Alert() if (
                mismatch := self._subscription.mismatch(event)
            ):
                self._problems.malformed(f"about {event.device_id}", mismatch)
                return
            case Subscribed():
                self._alerts.subscribed(event.last_alert_id)
                # The server is back and serving: the next outage starts with fast retries.
                self._backoff.reset()
            case Alert():
                if not self._alerts.accept(event):
                    return
                self._stats.alerts += 1
            case DeviceAdded():
                if not self._subscription.add(event.device):
                    return
                if self._subscription.following:
                    self._request_subscribe()
            case DeviceRemoved() if not self._subscription.remove(event.device_id):
                return
            case ServerError():
                self._problems.server_error(event)
        self._emit(event)

    async def _next_event(self, link: Link) -> Event | None:
        """Return the next event (None for a skipped message); raise when the link ends."""
        msg = await link.receive()
        self._stats.messages += 1
        self._last_message_time = time.time()
        if msg.type is aiohttp.WSMsgType.ERROR:
            self._problems.malformed("unreadable", f"unreadable frame: {msg.data}")
            raise LinkClosedError(f"broken frame: {msg.data}")
        if msg.type is not aiohttp.WSMsgType.TEXT:
            self._problems.malformed(msg.type.name, f"unexpected {msg.type.name} frame")
            return None
        try:
            event = parse_message(msg.data)
        except SmartKitchenResponseError as err:
            # The kind is where decoding failed, e.g. "OvenState.currentTemperature".
            self._problems.malformed(str(err).partition(":")[0], str(err))
            return None
        if event is None:
            _LOGGER.debug("Ignoring a message of an unknown type")
        return event
