"""One WebSocket link: its frames, its heartbeat, and how it ends."""

import asyncio
import logging
from typing import Any

import aiohttp

_LOGGER = logging.getLogger(__name__)

# A LAN server answers a ping within milliseconds: ping after 4 s of silence, and give up after two
# unanswered pings, so a half-open link is noticed within 3 x 4 = 12 s.
DEFAULT_HEARTBEAT = 4.0
# Pings that may go unanswered (one per heartbeat interval) before the link counts as dead.
MISSED_PONGS = 2

_CLOSE_POLICY_VIOLATION = aiohttp.WSCloseCode.POLICY_VIOLATION
_CLOSE_TYPES = frozenset(
    {aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED}
)


class LinkClosedError(Exception):
    """The WebSocket ended: closed, broken, or silent."""

    def __init__(self, reason: str, *, token_rejected: bool = False) -> None:
        """Store why, and whether the server refused the token (close code 1008)."""
        super().__init__(reason)
        self.token_rejected = token_rejected


class Link:
    """Frames of one WebSocket, and a watchdog that pings when it goes silent.

    The watchdog is one timer per heartbeat interval, not a timeout per frame: entering a timeout for
    every frame cost a tenth of the time spent on a frame (see benchmarks/). Any frame from the
    server (a pong too) proves the link alive; after MISSED_PONGS unanswered pings the waiting read
    ends with LinkClosedError.
    """

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, heartbeat: float) -> None:
        """Watch a freshly opened WebSocket; close() stops the watchdog."""
        self._ws = ws
        self._heartbeat = heartbeat
        self._loop = asyncio.get_running_loop()
        self._heard_at = self._loop.time()
        self._unanswered_pings = 0
        self._dead = False
        self._reader: asyncio.Task[Any] | None = None
        self._pinging: asyncio.Task[None] | None = None
        self._watchdog = self._loop.call_at(self._heard_at + heartbeat, self._check)

    def is_dead(self) -> bool:
        """Return whether the link went silent for good (pings unanswered)."""
        return self._dead

    def close(self) -> None:
        """Stop the watchdog (the caller closes the WebSocket)."""
        self._watchdog.cancel()
        if self._pinging is not None:
            self._pinging.cancel()

    def _check(self) -> None:
        """Ping a link that has been silent for a heartbeat; give up after MISSED_PONGS pings."""
        now = self._loop.time()
        if now - self._heard_at < self._heartbeat:
            self._watchdog = self._loop.call_at(
                self._heard_at + self._heartbeat, self._check
            )
            return
        if self._unanswered_pings >= MISSED_PONGS:
            self._dead = True
            if self._reader is not None:
                self._reader.cancel()
            return
        self._unanswered_pings += 1
        self._pinging = self._loop.create_task(self._ping())
        self._watchdog = self._loop.call_at(now + self._heartbeat, self._check)

    async def _ping(self) -> None:
        """Send a ping; one that cannot be sent is left to the read, which sees the socket close."""
        try:
            await self._ws.ping()
        except (aiohttp.ClientError, ConnectionError) as err:
            _LOGGER.debug("Could not send a ping: %s", err)

    async def receive(self) -> aiohttp.WSMessage:
        """Return the next data frame, answering pings; raise LinkClosedError when the link ends."""
        if self.is_dead():
            raise _half_open()
        self._reader = reader = asyncio.current_task()
        try:
            while True:
                msg = await self._ws.receive()
                self._heard_at = self._loop.time()
                self._unanswered_pings = 0
                if msg.type is aiohttp.WSMsgType.PING:
                    await self._ws.pong(msg.data)
                elif msg.type in _CLOSE_TYPES:
                    if self._ws.close_code == _CLOSE_POLICY_VIOLATION:
                        raise LinkClosedError(
                            f"closed with 1008 {msg.extra or ''}".strip(),
                            token_rejected=True,
                        )
                    raise LinkClosedError(
                        f"closed by the server (code {self._ws.close_code})"
                    )
                elif msg.type is not aiohttp.WSMsgType.PONG:
                    return msg
        except asyncio.CancelledError:
            # Cancelled by the watchdog alone (not also by whoever runs the connection).
            if self.is_dead() and reader is not None and reader.uncancel() == 0:
                raise _half_open() from None
            raise
        finally:
            self._reader = None


def _half_open() -> LinkClosedError:
    """Return the error of a link whose pings went unanswered."""
    return LinkClosedError("no pong from the server (half-open link)")
