"""A self-healing WebSocket connection that turns protocol messages into typed events."""

import asyncio
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
import logging
import random

import aiohttp

from .client import SmartKitchenClient
from .exceptions import (
    SmartKitchenAuthenticationError,
    SmartKitchenError,
    SmartKitchenRateLimitedError,
    SmartKitchenResponseError,
)
from .models import (
    Alert,
    AlertCursor,
    Connected,
    ConnectionState,
    ConnectionStateChanged,
    ConnectionStats,
    DeviceAdded,
    DeviceRemoved,
    Event,
    Subscribed,
    encode,
    parse_message,
)

_LOGGER = logging.getLogger(__name__)

DEFAULT_HEARTBEAT = 20.0
BACKOFF_INITIAL = 0.5
BACKOFF_MAX = 60.0
# A connection that stayed up this long counts as healthy: the next drop retries quickly again.
BACKOFF_RESET_AFTER = 60.0
# Far above any real message (a device update is < 1 KiB); a bigger frame means a broken peer.
MAX_MESSAGE_SIZE = 1024 * 1024
# The server buffers at least 1,000 alerts per user, so this covers any replay.
ALERT_MEMORY = 4096
MALFORMED_LOG_INTERVAL = 60.0
# Pings that may go unanswered (one per heartbeat interval) before the link counts as dead.
MISSED_PONGS = 2

_CLOSE_POLICY_VIOLATION = aiohttp.WSCloseCode.POLICY_VIOLATION
_CLOSE_TYPES = frozenset(
    {aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED}
)


def backoff_delay(
    attempt: int,
    *,
    initial: float = BACKOFF_INITIAL,
    maximum: float = BACKOFF_MAX,
    rand: Callable[[], float] = random.random,
) -> float:
    """Return the wait before retry number `attempt` (0-based): exponential with full jitter."""
    # Capping the exponent keeps 2.0**attempt finite however long a server stays away.
    ceiling = min(maximum, initial * 2.0 ** min(attempt, 1000))
    return rand() * ceiling


class Backoff:
    """Reconnect delays: exponential with full jitter, starting over after a healthy connection."""

    def __init__(
        self,
        *,
        initial: float = BACKOFF_INITIAL,
        maximum: float = BACKOFF_MAX,
        reset_after: float = BACKOFF_RESET_AFTER,
        rand: Callable[[], float] = random.random,
    ) -> None:
        """Start at retry number 0."""
        self._initial = initial
        self._maximum = maximum
        self._reset_after = reset_after
        self._rand = rand
        self.attempt = 0

    def connection_ended(self, connected_for: float | None) -> None:
        """Start over if the connection that just ended had been up for long enough."""
        if connected_for is not None and connected_for >= self._reset_after:
            self.attempt = 0

    def next_delay(self) -> float:
        """Return the wait before the next retry and count the retry."""
        delay = backoff_delay(
            self.attempt, initial=self._initial, maximum=self._maximum, rand=self._rand
        )
        self.attempt += 1
        return delay


class _LinkClosedError(Exception):
    """The WebSocket ended: closed, broken, or silent."""

    def __init__(self, reason: str, *, token_rejected: bool = False) -> None:
        """Store why, and whether the server refused the token (close code 1008)."""
        super().__init__(reason)
        self.token_rejected = token_rejected


@dataclass(slots=True)
class _Drop:
    """Why a connection attempt ended and what that means for the next one."""

    reason: str
    # Seconds the stream was up after `connected`, or None if it never got there.
    connected_for: float | None = None
    # The server refused the token (HTTP 401 on the upgrade, or close code 1008).
    token_rejected: bool = False
    retry_now: bool = False
    min_delay: float = 0.0


class SmartKitchenConnection:
    """Keeps the event stream of one user alive and delivers every Event to a callback."""

    def __init__(
        self,
        client: SmartKitchenClient,
        username: str,
        password: str,
        on_event: Callable[[Event], None],
        device_ids: Iterable[str] = (),
        *,
        heartbeat: float = DEFAULT_HEARTBEAT,
        backoff_initial: float = BACKOFF_INITIAL,
        backoff_max: float = BACKOFF_MAX,
        backoff_reset_after: float = BACKOFF_RESET_AFTER,
        rand: Callable[[], float] = random.random,
        max_message_size: int = MAX_MESSAGE_SIZE,
        alert_cursor: AlertCursor | None = None,
    ) -> None:
        """Store what is needed to (re)connect; nothing happens before run()."""
        self._client = client
        self._username = username
        self._password = password
        self._on_event = on_event
        self._device_ids = tuple(dict.fromkeys(device_ids))
        self._heartbeat = heartbeat
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max
        self._backoff_reset_after = backoff_reset_after
        self._rand = rand
        self._max_message_size = max_message_size

        self._state = ConnectionState.DISCONNECTED
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self._need_login = True
        # Set while a socket is open: wakes the writer that sends the subscription.
        self._subscribe_wanted: asyncio.Event | None = None

        # Alert bookkeeping, per server boot (alert ids restart at 1 when the server restarts).
        self._boot_id: str | None = None
        # The lastAlertId of the next subscribe; None (no replay) until `subscribed` told a fresh
        # client where history ends.
        self._cursor: int | None = None
        if alert_cursor is not None:
            # A different bootId on `connected` turns this into "everything of the new boot".
            self._boot_id = alert_cursor.boot_id
            self._cursor = alert_cursor.last_alert_id
        # The highest id delivered (for stats only).
        self._last_alert_id: int | None = None
        self._seen_alerts: set[int] = set()
        self._seen_order: deque[int] = deque()

        self._reconnects = 0
        self._connections = 0
        self._messages = 0
        self._malformed = 0
        self._malformed_suppressed = 0
        self._malformed_logged_at: float | None = None
        self._alerts = 0
        self._last_message_at: datetime | None = None
        self._connected_since: datetime | None = None
        self._last_disconnect_reason: str | None = None
        self._next_retry_at: datetime | None = None

    def __repr__(self) -> str:
        """Describe the connection without credentials."""
        return f"{type(self).__name__}({self._client.url!r}, user={self._username!r}, state={self._state})"

    @property
    def state(self) -> ConnectionState:
        """Return the current state."""
        return self._state

    @property
    def device_ids(self) -> tuple[str, ...]:
        """Return the ids the connection subscribes to."""
        return self._device_ids

    @property
    def alert_cursor(self) -> AlertCursor | None:
        """Return where to resume after the last delivered alert (None before the first `subscribed`)."""
        if self._boot_id is None or self._cursor is None:
            return None
        return AlertCursor(self._boot_id, self._cursor)

    @property
    def stats(self) -> ConnectionStats:
        """Return a snapshot of the counters, for diagnostics."""
        return ConnectionStats(
            reconnects=self._reconnects,
            messages=self._messages,
            malformed_messages=self._malformed,
            alerts=self._alerts,
            last_message_at=self._last_message_at,
            connected_since=self._connected_since,
            last_alert_id=self._last_alert_id,
            last_disconnect_reason=self._last_disconnect_reason,
            next_retry_at=self._next_retry_at,
        )

    def set_device_ids(self, device_ids: Iterable[str]) -> None:
        """Replace the subscription; an open socket is re-subscribed without reconnecting."""
        new_ids = tuple(dict.fromkeys(device_ids))
        if set(new_ids) == set(self._device_ids):
            return
        self._device_ids = new_ids
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
        backoff = Backoff(
            initial=self._backoff_initial,
            maximum=self._backoff_max,
            reset_after=self._backoff_reset_after,
            rand=self._rand,
        )
        self._need_login = self._client.token is None
        try:
            while True:
                try:
                    drop = await self._attempt()
                except SmartKitchenAuthenticationError as err:
                    # Only a refused login gets here; a refused token is retried with a new login.
                    _LOGGER.debug("Login refused for %s: %s", self._client.url, err)
                    self._last_disconnect_reason = str(err)
                    self._set_state(ConnectionState.AUTH_FAILED, str(err))
                    raise
                except SmartKitchenRateLimitedError as err:
                    drop = _Drop(str(err), min_delay=err.retry_after or 0.0)
                except (SmartKitchenError, aiohttp.ClientError, OSError) as err:
                    # aiohttp and OS errors can still escape from pings on a socket that just broke.
                    drop = _Drop(str(err) or type(err).__name__)
                backoff.connection_ended(drop.connected_for)
                delay = (
                    0.0 if drop.retry_now else max(drop.min_delay, backoff.next_delay())
                )
                self._last_disconnect_reason = drop.reason
                self._next_retry_at = datetime.now(UTC) + timedelta(seconds=delay)
                _LOGGER.debug(
                    "Disconnected from %s (%s); retrying in %.1f s",
                    self._client.url,
                    drop.reason,
                    delay,
                )
                self._set_state(
                    ConnectionState.DISCONNECTED, drop.reason, self._next_retry_at
                )
                if delay:
                    await asyncio.sleep(delay)
                self._next_retry_at = None
        finally:
            self._connected_since = None
            self._next_retry_at = None
            if self._state is not ConnectionState.AUTH_FAILED:
                self._closed = True
                self._set_state(ConnectionState.CLOSED)

    async def _attempt(self) -> _Drop:
        """Make one connection attempt (logging in first if needed) and stream until it drops."""
        self._set_state(ConnectionState.CONNECTING)
        fresh_login = False
        if self._need_login:
            await self._client.login(self._username, self._password)
            self._need_login = False
            fresh_login = True
        try:
            ws = await self._client.ws_connect(
                autoping=False, max_msg_size=self._max_message_size
            )
        except SmartKitchenAuthenticationError as err:
            drop = _Drop(str(err), token_rejected=True)
        else:
            try:
                drop = await self._stream(ws)
            finally:
                # A socket that went silent or was cancelled is closed without waiting for the peer.
                await ws.close()
        if drop.token_rejected:
            drop.reason = f"token refused: {drop.reason}"
            self._need_login = True
            # Sessions vanish when the server restarts, so an old token is replaced at once; a
            # token refused right after a login waits for the backoff, so that nothing loops hot.
            drop.retry_now = not fresh_login
        return drop

    async def _stream(self, ws: aiohttp.ClientWebSocketResponse) -> _Drop:
        """Wait for `connected`, subscribe, and deliver events until the socket ends."""
        loop = asyncio.get_running_loop()
        connected_at: float | None = None
        writer: asyncio.Task[None] | None = None
        try:
            try:
                async with asyncio.timeout(self._client.request_timeout):
                    while not isinstance(
                        event := await self._next_event(ws), Connected
                    ):
                        if event is not None:
                            self._dispatch(event)
            except TimeoutError:
                return _Drop("no 'connected' message from the server")
            connected_at = loop.time()
            self._subscribe_wanted = asyncio.Event()
            self._subscribe_wanted.set()
            # The server sends the snapshot right after `subscribed`, so no waiting is needed.
            writer = asyncio.create_task(
                self._send_subscriptions(ws, self._subscribe_wanted)
            )
            self._on_connected(event)
            while True:
                if (event := await self._next_event(ws)) is not None:
                    self._dispatch(event)
        except _LinkClosedError as err:
            return _Drop(
                str(err),
                connected_for=None
                if connected_at is None
                else loop.time() - connected_at,
                token_rejected=err.token_rejected,
            )
        finally:
            self._subscribe_wanted = None
            self._connected_since = None
            if writer is not None:
                writer.cancel()
                await asyncio.wait((writer,))

    def _on_connected(self, event: Connected) -> None:
        """Take over a new stream: reset alert memory on a new server boot, report CONNECTED."""
        if self._boot_id is not None and event.boot_id != self._boot_id:
            # The server restarted: alert ids start over, and every alert of the new boot is news.
            self._cursor = 0
            self._last_alert_id = None
            self._seen_alerts.clear()
            self._seen_order.clear()
        self._boot_id = event.boot_id
        if self._connections:
            self._reconnects += 1
        self._connections += 1
        self._connected_since = datetime.now(UTC)
        _LOGGER.debug("Connected to %s", self._client.url)
        self._set_state(ConnectionState.CONNECTED)
        self._emit(event)

    async def _send_subscriptions(
        self, ws: aiohttp.ClientWebSocketResponse, wanted: asyncio.Event
    ) -> None:
        """Send a subscribe whenever the wanted set changes (the first one right after connecting)."""
        while True:
            await wanted.wait()
            wanted.clear()
            await self._send_subscribe(ws)

    async def _send_subscribe(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        """Send the current subscription with the alert cursor, so missed alerts replay."""
        message: dict[str, object] = {
            "type": "subscribe",
            "device_ids": list(self._device_ids),
        }
        if self._cursor is not None:
            message["last_alert_id"] = self._cursor
        # Else a fresh client: without lastAlertId the server replays nothing (no stale alerts at
        # start-up), and its `subscribed` says where history ends.
        try:
            await ws.send_str(encode(**message).decode())
        except (aiohttp.ClientError, ConnectionError) as err:
            # The reader sees the same broken socket and reconnects, which subscribes again.
            _LOGGER.debug("Could not send the subscription: %s", err)

    def _request_subscribe(self) -> None:
        """Ask the writer of the open socket, if any, to send the subscription again."""
        if self._subscribe_wanted is not None:
            self._subscribe_wanted.set()

    def _dispatch(self, event: Event) -> None:
        """Apply what an event means to the connection itself, then deliver it."""
        if isinstance(event, Subscribed):
            if self._cursor is None:
                # Only a fresh client takes the server's newest id: "alerts from now on". A known
                # cursor must stay put until the replay that follows has been delivered.
                self._cursor = event.last_alert_id
        elif isinstance(event, Alert):
            if event.id in self._seen_alerts:
                return
            self._remember_alert(event.id)
            self._alerts += 1
        elif isinstance(event, DeviceAdded):
            if event.device.id not in self._device_ids:
                self._device_ids = (*self._device_ids, event.device.id)
                self._request_subscribe()
        elif isinstance(event, DeviceRemoved):
            self._device_ids = tuple(
                i for i in self._device_ids if i != event.device_id
            )
        self._emit(event)

    def _remember_alert(self, alert_id: int) -> None:
        """Remember a delivered alert id (a bounded memory) and advance the cursor."""
        self._seen_alerts.add(alert_id)
        self._seen_order.append(alert_id)
        if len(self._seen_order) > ALERT_MEMORY:
            self._seen_alerts.discard(self._seen_order.popleft())
        if self._last_alert_id is None or alert_id > self._last_alert_id:
            self._last_alert_id = alert_id
        if self._cursor is None or alert_id > self._cursor:
            self._cursor = alert_id

    async def _next_event(self, ws: aiohttp.ClientWebSocketResponse) -> Event | None:
        """Return the next event (None for a skipped message); raise when the link ends."""
        msg = await self._receive(ws)
        self._messages += 1
        self._last_message_at = datetime.now(UTC)
        if msg.type is aiohttp.WSMsgType.ERROR:
            self._count_malformed(f"unreadable frame: {msg.data}")
            raise _LinkClosedError(f"broken frame: {msg.data}")
        if msg.type is not aiohttp.WSMsgType.TEXT:
            self._count_malformed(f"unexpected {msg.type.name} frame")
            return None
        try:
            event = parse_message(msg.data)
        except SmartKitchenResponseError as err:
            self._count_malformed(str(err))
            return None
        if event is None:
            _LOGGER.debug("Ignoring a message of an unknown type")
        return event

    async def _receive(self, ws: aiohttp.ClientWebSocketResponse) -> aiohttp.WSMessage:
        """Return the next data frame, answering pings and declaring the link dead when pongs stop."""
        unanswered_pings = 0
        while True:
            try:
                msg = await ws.receive(timeout=self._heartbeat)
            except TimeoutError:
                if unanswered_pings >= MISSED_PONGS:
                    raise _LinkClosedError(
                        "no pong from the server (half-open link)"
                    ) from None
                unanswered_pings += 1
                await ws.ping()
                continue
            unanswered_pings = 0
            if msg.type is aiohttp.WSMsgType.PING:
                await ws.pong(msg.data)
            elif msg.type in _CLOSE_TYPES:
                if ws.close_code == _CLOSE_POLICY_VIOLATION:
                    raise _LinkClosedError(
                        f"closed with 1008 {msg.extra or ''}".strip(),
                        token_rejected=True,
                    )
                raise _LinkClosedError(f"closed by the server (code {ws.close_code})")
            elif msg.type is not aiohttp.WSMsgType.PONG:
                return msg

    def _count_malformed(self, detail: str) -> None:
        """Count a malformed message and log it at debug, at most once per interval."""
        self._malformed += 1
        now = asyncio.get_running_loop().time()
        if (
            self._malformed_logged_at is not None
            and now - self._malformed_logged_at < MALFORMED_LOG_INTERVAL
        ):
            self._malformed_suppressed += 1
            return
        _LOGGER.debug(
            "Skipping a malformed message from %s (%d more skipped since the last report): %s",
            self._client.url,
            self._malformed_suppressed,
            detail,
        )
        self._malformed_logged_at = now
        self._malformed_suppressed = 0
