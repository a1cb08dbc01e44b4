"""Exceptions the server turns into protocol errors."""

from typing import Any


class ApiError(Exception):
    """A request the protocol answers with an error envelope (REST) or error message."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Store the HTTP status, the snake_case error code and the human message."""
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def as_body(self) -> dict[str, Any]:
        """Return the REST error envelope."""
        return {"error": {"code": self.code, "message": self.message}}


def bad_request(message: str) -> ApiError:
    """Build the 400 error for a malformed request body."""
    return ApiError(400, "bad_request", message)


def invalid_command(message: str) -> ApiError:
    """Build the 400 error for a well-formed but invalid command."""
    return ApiError(400, "invalid_command", message)


class ConfigError(ValueError):
    """A configuration file that cannot be used."""
