"""Protocol constants shared by the server's modules (and quoted in docs/protocol.md)."""

from typing import Final

VERSION: Final = "0.1.0"
PROTOCOL_VERSION: Final = 1

DEFAULT_HOST: Final = "127.0.0.1"
DEFAULT_PORT: Final = 8765
DEFAULT_TICK: Final = 2.0
DEFAULT_HEARTBEAT: Final = 20.0
DEFAULT_DOOR_ALERT_TICKS: Final = 15
DEFAULT_TOKEN_LIFETIME: Final = 24 * 60 * 60.0

# A client is dropped once this many pings in a row (one per heartbeat) got nothing at all back (a
# pong included): after 3 to 4 heartbeats of silence.
MISSED_HEARTBEATS: Final = 3

MAX_FRAME_SIZE: Final = 64 * 1024
BAD_MESSAGE_LIMIT: Final = 20
BAD_MESSAGE_WINDOW: Final = 60.0
# Enough for a full snapshot plus a full alert replay; a client further behind is dropped.
MAX_PENDING_MESSAGES: Final = 10_000
# How long the server waits for a client to answer its close frame.
CLOSE_TIMEOUT: Final = 2.0

# Failed logins allowed within the window, per username and per client address (an address may hold
# several users, e.g. one Home Assistant with an entry per account, so it gets more).
LOGIN_FAILURE_LIMIT: Final = 5
LOGIN_ADDRESS_FAILURE_LIMIT: Final = 10
LOGIN_FAILURE_WINDOW: Final = 60.0

# Slow clients: a connection must deliver a complete request head within DEFAULT_HEADER_TIMEOUT seconds
# of opening (or of the previous response), and a body within DEFAULT_BODY_TIMEOUT of its head.
DEFAULT_HEADER_TIMEOUT: Final = 10.0
DEFAULT_BODY_TIMEOUT: Final = 10.0

ALERT_BUFFER_SIZE: Final = 1000

# Close codes (RFC 6455) the server uses.
CLOSE_GOING_AWAY: Final = 1001
CLOSE_POLICY_VIOLATION: Final = 1008
CLOSE_MESSAGE_TOO_BIG: Final = 1009

ZEROCONF_TYPE: Final = "_smartkitchen._tcp.local."
