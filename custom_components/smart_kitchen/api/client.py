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
    SmartKitchenCertificateError,
    SmartKitchenCommandError,
    SmartKitchenConnectionClosedError,
    SmartKitchenConnectionError,
    SmartKitchenConnectionTimeoutError,
    SmartKitchenError,
    SmartKitchenRateLimitedError,
    SmartKitchenResponseError,
    SmartKitchenUnsupportedProtocolError,
)
from .models import Device, LoginResult, ServerInfo, dumps, loads, parse_devices

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
        *,
        username: str | None = None,
        password: str | None = None,
        verify_ssl: bool = True,
        request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
    ) -> None:
        """Store the base URL (e.g. `http://kitchen.local:8765`), the session and the credentials.

        With credentials (here or from `login()`), the client owns the session token: it logs in
        when it has none, and logs in again once when the server refuses the token, for REST
        requests and the WebSocket alike. Raise ValueError for a URL that cannot be a server's
        (see `server_url`).
        """
        self._url = server_url(url)
        self._session = session
        self._close_session = False
        self.verify_ssl = verify_ssl
        self.request_timeout = request_timeout
        self._username = username
        self._password = password
        self._token: str | None = None
        # One login at a time: requests refused together wait for the same new token.
        self._login_lock = asyncio.Lock()

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
        scheme = _WS_SCHEMES[self._url.scheme]
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

    async def _current_token(self) -> str:
        """Return the session token, logging in first if there is none."""
        if self._token is None:
            await self._renew_token(None)
        assert self._token is not None
        return self._token

    async def _renew_token(self, refused: str | None) -> None:
        """Log in again, unless a login since the token was refused already got a new one.

        Raise SmartKitchenAuthenticationError without credentials to log in with, or when the
        server refuses them.
        """
        async with self._login_lock:
            if self._token is not None and self._token != refused:
                return
            self._token = None
            if self._username is None or self._password is None:
                raise SmartKitchenAuthenticationError("Not logged in")
            await self.login()

    def token_refused(self, token: str) -> None:
        """Forget a token the server refused (e.g. it closed the WebSocket with 1008)."""
        if self._token == token:
            self._token = None

    async def _request(
        self,
        method: str,
        *segments: str,
        body: dict[str, Any] | None = None,
        token: str | None = None,
    ) -> Any:
        """Send one request (with `token` as its bearer, if given) and return its parsed JSON body."""
        url = self._url.joinpath(
            *(quote(segment, safe="") for segment in segments), encoded=True
        )
        headers = {"Accept": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        data = None
        if body is not None:
            data = dumps(body)
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
        except aiohttp.ClientConnectorCertificateError as err:
            raise _certificate_error(self.url, err) from err
        except aiohttp.ClientError as err:
            raise SmartKitchenConnectionError(
                f"Error talking to {self.url}: {err}"
            ) from err
        return _parse_answer(response, raw)

    async def _authorized(
        self, method: str, *segments: str, body: dict[str, Any] | None = None
    ) -> Any:
        """Send a request that needs a session; a refused token is renewed once."""
        token = await self._current_token()
        try:
            return await self._request(method, *segments, body=body, token=token)
        except SmartKitchenAuthenticationError:
            # Sessions expire and vanish when the server restarts; the credentials still work.
            if self._username is None:
                raise
        await self._renew_token(token)
        return await self._request(
            method, *segments, body=body, token=await self._current_token()
        )

    async def get_info(self) -> ServerInfo:
        """Return what the server says about itself (needs no login)."""
        return ServerInfo.from_wire(await self._request("GET", "api", "info"))

    async def check_server(self) -> ServerInfo:
        """Return the server's info, or raise SmartKitchenUnsupportedProtocolError for another protocol."""
        info = await self.get_info()
        if not info.supported:
            raise SmartKitchenUnsupportedProtocolError(info)
        return info

    async def login(
        self, username: str | None = None, password: str | None = None
    ) -> LoginResult:
        """Log in (with new credentials, kept once the server accepts them, or the stored ones)."""
        if username is None or password is None:
            username, password = self._username, self._password
        if username is None or password is None:
            raise SmartKitchenAuthenticationError("No credentials to log in with")
        result = LoginResult.from_wire(
            await self._request(
                "POST",
                "api",
                "login",
                body={"username": username, "password": password},
            )
        )
        self._username, self._password = username, password
        self._token = result.token
        return result

    async def logout(self) -> None:
        """End the session: the token stops working and the server closes its WebSockets."""
        if (token := self._token) is None:
            return
        self._token = None
        try:
            await self._request("POST", "api", "logout", token=token)
        except SmartKitchenAuthenticationError:
            # The server no longer knows the token, which is what logging out wants.
            _LOGGER.debug("Token was already invalid at logout")

    async def get_devices(self) -> list[Device]:
        """Return the logged-in user's devices with their current state."""
        return parse_devices(await self._authorized("GET", "api", "devices"))

    async def send_command(
        self, device_id: str, command: str, compartment: str | None = None, **args: Any
    ) -> Device:
        """Send a command (e.g. `set_target_temperature`, value=180) and return the new device."""
        body: dict[str, Any] = {"command": command}
        if compartment is not None:
            body["compartment"] = compartment
        if args:
            body["args"] = args
        return Device.from_wire(
            await self._authorized(
                "POST", "api", "devices", device_id, "commands", body=body
            )
        )

    async def ws_connect(
        self, *, autoping: bool = True, max_msg_size: int = 4 * 1024 * 1024
    ) -> tuple[aiohttp.ClientWebSocketResponse, str]:
        """Open the WebSocket with the session token; return it and the token it was opened with.

        A refused token is renewed once; a token refused right after a login is a server fault
        (SmartKitchenConnectionError), not a wrong password.
        """
        token = await self._current_token()
        try:
            return await self._ws_connect(token, autoping, max_msg_size), token
        except SmartKitchenAuthenticationError:
            if self._username is None:
                raise
        await self._renew_token(token)
        token = await self._current_token()
        try:
            return await self._ws_connect(token, autoping, max_msg_size), token
        except SmartKitchenAuthenticationError as err:
            raise SmartKitchenConnectionError(
                f"{self.url} refused the token of a fresh login"
            ) from err

    async def _ws_connect(
        self, token: str, autoping: bool, max_msg_size: int
    ) -> aiohttp.ClientWebSocketResponse:
        """Open the WebSocket with a token in the Authorization header."""
        try:
            async with asyncio.timeout(self.request_timeout):
                return await self._get_session().ws_connect(
                    self.ws_url,
                    headers={"Authorization": f"Bearer {token}"},
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
        except aiohttp.ClientConnectorCertificateError as err:
            raise _certificate_error(self.url, err) from err
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


def _certificate_error(
    url: str, err: aiohttp.ClientConnectorCertificateError
) -> SmartKitchenCertificateError:
    """Say that the certificate is not trusted, and why (self-signed, expired, wrong host)."""
    return SmartKitchenCertificateError(
        f"The TLS certificate of {url} is not trusted: {err.certificate_error}"
    )


def server_url(url: str) -> URL:
    """Return the base URL of a server, or raise ValueError saying why it cannot be one.

    It needs http or https and a host, and no credentials: the protocol logs in with `login()`, and a
    password in the URL would be sent as Basic auth and leak into every message, log line and repr
    that shows the URL. An address without a scheme (`127.0.0.1:8765`) means http, as people type it.
    """
    if isinstance(url, str) and "://" not in url:
        url = f"http://{url}"
    try:
        parsed = URL(url)
    except (TypeError, ValueError) as err:
        raise ValueError("not a URL") from err
    if parsed.user is not None or parsed.password is not None:
        raise ValueError(
            "credentials in the URL are not supported; pass them to login()"
        )
    if parsed.scheme not in _WS_SCHEMES or not parsed.host:
        raise ValueError("the URL needs http:// or https:// and a host")
    return parsed


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
