"""Exceptions raised by the Smart Kitchen client library."""

from typing import TYPE_CHECKING

from .const import PROTOCOL_VERSION

if TYPE_CHECKING:
    from .models import ServerInfo


class SmartKitchenError(Exception):
    """Base error for everything the library raises."""


class SmartKitchenConnectionError(SmartKitchenError):
    """The server could not be reached or the connection broke."""


class SmartKitchenConnectionTimeoutError(SmartKitchenConnectionError):
    """The server did not answer in time."""


class SmartKitchenConnectionClosedError(SmartKitchenConnectionError):
    """The server closed the connection."""


class SmartKitchenCertificateError(SmartKitchenConnectionError):
    """The server's TLS certificate is not trusted (self-signed, expired, or for another host)."""


class SmartKitchenAuthenticationError(SmartKitchenError):
    """The server refused the credentials or the token."""


class SmartKitchenRateLimitedError(SmartKitchenError):
    """The server throttles the caller (HTTP 429); retry after `retry_after` seconds."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        """Store the server's hint of how long to wait, if it gave one."""
        super().__init__(message)
        self.retry_after = retry_after


class SmartKitchenCommandError(SmartKitchenError):
    """The server rejected a request (HTTP 400/403/404/409) with a protocol error code."""

    def __init__(self, message: str, *, code: str, status: int) -> None:
        """Store the server's snake_case error code, its message and the HTTP status."""
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


class SmartKitchenResponseError(SmartKitchenError):
    """The server answered with something the protocol does not allow."""


class SmartKitchenUnsupportedProtocolError(SmartKitchenError):
    """The server speaks a protocol version this library does not; `info` says which."""

    def __init__(self, info: ServerInfo) -> None:
        """Keep what the server said about itself, for a message that names it."""
        super().__init__(
            f"{info.name} speaks protocol {info.protocol}, this library {PROTOCOL_VERSION}"
        )
        self.info = info
