"""One WebSocket link: its frames, its heartbeat, and how it ends."""

import aiohttp

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


async def receive_frame(
    ws: aiohttp.ClientWebSocketResponse, heartbeat: float
) -> aiohttp.WSMessage:
    """Return the next data frame, answering pings and declaring the link dead when pongs stop."""
    unanswered_pings = 0
    while True:
        try:
            msg = await ws.receive(timeout=heartbeat)
        except TimeoutError:
            if unanswered_pings >= MISSED_PONGS:
                raise LinkClosedError(
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
                raise LinkClosedError(
                    f"closed with 1008 {msg.extra or ''}".strip(),
                    token_rejected=True,
                )
            raise LinkClosedError(f"closed by the server (code {ws.close_code})")
        elif msg.type is not aiohttp.WSMsgType.PONG:
            return msg
