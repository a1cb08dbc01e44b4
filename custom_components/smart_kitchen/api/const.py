"""Facts of the protocol that the whole library shares."""

from typing import Final

# The protocol version this library speaks (`GET /api/info` reports the server's).
PROTOCOL_VERSION: Final = 1
