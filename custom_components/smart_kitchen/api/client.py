"""REST client for a Smart Kitchen server (protocol v1)."""

import asyncio
from http import HTTPStatus
import logging
import math
from typing import Any, Self
from urllib.parse import quote

import aiohttp
from yarl import URL

from .exceptions import (
    SmartKitchenAuthenticationError,
    SmartKitchenCommandError,
    SmartKitchenConnectionClosedError,
    SmartKitchenConnectionError,
    SmartKitchenConnectionTimeoutError,
    SmartKitchenError,
    SmartKitchenRateLimitedError,
    SmartKitchenResponseError,
)
from .models import (
    Device,
    DeviceType,
    LoginResult,
    ServerInfo,
    encode,
    loads,
    parse_device,
    parse_devices,
    parse_login,
    parse_server_info,
)

_LOGGER = logging.getLogger(__name__)

DEFAULT_REQUEST_TIMEOUT = 10.0
# Statuses the protocol answers with an error envelope carrying a snake_case code.
_COMMAND_ERROR_STATUSES = frozenset({400, 403, 404, 409})
_WS_SCHEMES = {"http": "ws", "https": "wss"}


class SmartKitchenClient:
    """Talks REST to one server and opens its WebSocket for SmartKitchenConnection."""

    def __init__(
        self,
        url: str,
        session: aiohttp.ClientSession | None = None,
        verify_ssl: bool = True,
        request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
    ) -> None:
        """Store the base URL (e.g. `http://kitchen.local:8765`) and the session to use.

        Raise ValueError for a URL with credentials (`http://me:secret@host`): the protocol logs in
        with `login()`, and a password in the URL would be sent as Basic auth and leak into every
        message, log line and repr that shows the URL.
        """
        self._url = URL(url)
        if self._url.user is not None or self._url.password is not None:
            raise ValueError(
                "credentials in the URL are not supported; pass them to login()"
            )
        self._session = session
        self._close_session = False
        self.verify_ssl = verify_ssl
        self.request_timeout = request_timeout
        self._token: str | None = None

    def __repr__(self) -> str:
        """Describe the client without its token."""
        return f"{type(self).__name__}({self.url!r})"

    @property
    def url(self) -> str:
        """Return the base URL of the server (it never carries credentials, so it may be shown)."""
        return str(self._url)

    @property
    def ws_url(self) -> str:
        """Return the URL of the server's WebSocket."""
        scheme = _WS_SCHEMES.get(self._url.scheme, self._url.scheme)
        return str(self._url.with_scheme(scheme).joinpath("ws"))

    @property
    def token(self) -> str | None:
        """Return the session token of the last login, if any."""
        return self._token

    @token.setter
    def token(self, token: str | None) -> None:
        """Use a session token obtained earlier (or forget it with None)."""
        self._token = token

    @property
    def _ssl(self) -> bool:
        """Return aiohttp's `ssl` argument: True verifies certificates, False does not."""
        return self.verify_ssl

    def _get_session(self) -> aiohttp.ClientSession:
        """Return the injected session, creating (and owning) one if none was given."""
        if self._session is None:
            self._session = aiohttp.ClientSession()
            self._close_session = True
        return self._session

    def _auth_headers(self) -> dict[str, str]:
        """Return the Authorization header, or raise if there was no login."""
        if self._token is None:
            raise SmartKitchenAuthenticationError("Not logged in")
        return {"Authorization": f"Bearer {self._token}"}

    async def _request(
        self,
        method: str,
        *segments: str,
        body: dict[str, Any] | None = None,
        auth: bool = True,
    ) -> Any:
        """Send one request and return its parsed JSON body (None for 204)."""
        url = self._url.joinpath(
            *(quote(segment, safe="") for segment in segments), encoded=True
        )
        headers = {"Accept": "application/json"}
        if auth:
            headers.update(self._auth_headers())
        data = None
        if body is not None:
            data = encode(**body)
            headers["Content-Type"] = "application/json"
        try:
            async with asyncio.timeout(self.request_timeout):
                response = await self._get_session().request(
                    method, url, data=data, headers=headers, ssl=self._ssl
                )
                async with response:
                    raw = await response.read()
        except TimeoutError as err:
            raise SmartKitchenConnectionTimeoutError(
                f"Timeout after {self.request_timeout} s talking to {self.url}"
            ) from err
        except aiohttp.ServerDisconnectedError as err:
            raise SmartKitchenConnectionClosedError(
                f"{self.url} closed the connection before answering"
            ) from err
        except aiohttp.ClientError as err:
            raise SmartKitchenConnectionError(
                f"Error talking to {self.url}: {err}"
            ) from err
        return _parse_answer(response, raw)

    async def get_info(self) -> ServerInfo:
        """Return what the server says about itself (needs no login)."""
        return parse_server_info(await self._request("GET", "api", "info", auth=False))

    async def login(self, username: str, password: str) -> LoginResult:
        """Log in and keep the session token for the following requests."""
        result = parse_login(
            await self._request(
                "POST",
                "api",
                "login",
                body={"username": username, "password": password},
                auth=False,
            )
        )
        self._token = result.token
        return result

    async def logout(self) -> None:
        """End the session: the token stops working and the server closes its WebSockets."""
        if self._token is None:
            return
        try:
            await self._request("POST", "api", "logout")
        except SmartKitchenAuthenticationError:
            # The server no longer knows the token, which is what logging out wants.
            _LOGGER.debug("Token was already invalid at logout")
        self._token = None

    async def get_devices(self) -> list[Device]:
        """Return the logged-in user's devices with their current state."""
        return parse_devices(await self._request("GET", "api", "devices"))

    async def send_command(
        self, device_id: str, command: str, compartment: str | None = None, **args: Any
    ) -> Device:
        """Send a command (e.g. `set_target_temperature`, value=180) and return the new device."""
        body: dict[str, Any] = {"command": command}
        if compartment is not None:
            body["compartment"] = compartment
        if args:
            body["args"] = args
        return parse_device(
            await self._request(
                "POST", "api", "devices", device_id, "commands", body=body
            )
        )

    async def set_door(
        self, device_id: str, open: bool, compartment: str | None = None
    ) -> Device:
        """Open or close a door through the simulation API and return the new device."""
        body: dict[str, Any] = {"open": open}
        if compartment is not None:
            body["compartment"] = compartment
        return parse_device(
            await self._request(
                "POST", "api", "simulation", "devices", device_id, "door", body=body
            )
        )

    async def add_device(self, device_type: DeviceType, name: str) -> Device:
        """Install a new appliance for the user through the simulation API."""
        return parse_device(
            await self._request(
                "POST",
                "api",
                "simulation",
                "devices",
                body={"type": device_type, "name": name},
            )
        )

    async def remove_device(self, device_id: str) -> None:
        """Remove one of the user's appliances through the simulation API."""
        await self._request("DELETE", "api", "simulation", "devices", device_id)

    async def ws_connect(
        self, *, autoping: bool = True, max_msg_size: int = 4 * 1024 * 1024
    ) -> aiohttp.ClientWebSocketResponse:
        """Open the WebSocket with the token in the Authorization header (low level)."""
        headers = self._auth_headers()
        try:
            async with asyncio.timeout(self.request_timeout):
                return await self._get_session().ws_connect(
                    self.ws_url,
                    headers=headers,
                    ssl=self._ssl,
                    autoping=autoping,
                    max_msg_size=max_msg_size,
                )
        except aiohttp.WSServerHandshakeError as err:
            if err.status == HTTPStatus.UNAUTHORIZED:
                raise SmartKitchenAuthenticationError(
                    "The server refused the token"
                ) from err
            raise SmartKitchenConnectionError(
                f"WebSocket upgrade refused by {self.url}: HTTP {err.status}"
            ) from err
        except TimeoutError as err:
            raise SmartKitchenConnectionTimeoutError(
                f"Timeout after {self.request_timeout} s opening the WebSocket of {self.url}"
            ) from err
        except aiohttp.ClientError as err:
            raise SmartKitchenConnectionError(
                f"Error opening the WebSocket of {self.url}: {err}"
            ) from err

    async def close(self) -> None:
        """Close the HTTP session if this client created it."""
        if self._session is not None and self._close_session:
            await self._session.close()
            self._session = None
            self._close_session = False

    async def __aenter__(self) -> Self:
        """Return the client for `async with`."""
        return self

    async def __aexit__(self, *_exc_info: object) -> None:
        """Close the session this client created, if any."""
        await self.close()


def _parse_answer(response: aiohttp.ClientResponse, raw: bytes) -> Any:
    """Return the JSON body of a successful answer, or raise the error it stands for."""
    status = response.status
    if HTTPStatus.OK <= status < HTTPStatus.MULTIPLE_CHOICES:
        return None if status == HTTPStatus.NO_CONTENT else loads(raw)
    code, message = _error_envelope(raw)
    if status == HTTPStatus.UNAUTHORIZED:
        raise SmartKitchenAuthenticationError(message or "Unauthorized")
    if status == HTTPStatus.TOO_MANY_REQUESTS:
        raise SmartKitchenRateLimitedError(
            message or "Too many requests",
            retry_after=_retry_after(response.headers.get("Retry-After")),
        )
    if status in _COMMAND_ERROR_STATUSES and code is not None:
        raise SmartKitchenCommandError(message or code, code=code, status=status)
    if status >= HTTPStatus.INTERNAL_SERVER_ERROR:
        raise SmartKitchenConnectionError(f"Server error: HTTP {status}")
    raise SmartKitchenResponseError(f"Unexpected answer: HTTP {status}")


def _error_envelope(raw: bytes) -> tuple[str | None, str | None]:
    """Return code and message of a protocol error body, or Nones if it is not one."""
    try:
        error = loads(raw).get("error")
        code, message = error["code"], error["message"]
    except SmartKitchenError, AttributeError, KeyError, TypeError:
        return None, None
    if not isinstance(code, str) or not isinstance(message, str):
        return None, None
    return code, message


def _retry_after(value: str | None) -> float | None:
    """Parse a Retry-After header given in seconds (the form the protocol uses)."""
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return max(seconds, 0.0) if math.isfinite(seconds) else None
