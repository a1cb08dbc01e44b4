"""The REST endpoints: info, login/logout, devices, commands and the simulation API."""

import asyncio
from collections.abc import Awaitable, Callable
import logging
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Middleware
import orjson

from .auth import Session, Throttled, loggable
from .const import CLOSE_POLICY_VIOLATION, PROTOCOL_VERSION, VERSION
from .context import ServerContext
from .errors import ApiError, bad_request, invalid_command
from .models import Device, DeviceType, isoformat
from .websocket import bearer_token

_LOGGER = logging.getLogger(__name__)

type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Codes for the errors aiohttp raises itself (unknown path, wrong method); body_middleware answers
# oversized bodies itself.
_HTTP_ERROR_CODES = {
    404: "not_found",
    405: "method_not_allowed",
}


def json_response(
    body: object, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """Serialize a response body with orjson."""
    return web.Response(
        body=orjson.dumps(body),
        status=status,
        headers=headers,
        content_type="application/json",
    )


@web.middleware
async def error_middleware(
    request: web.Request, handler: Handler
) -> web.StreamResponse:
    """Turn every error into the protocol's `{"error": {"code", "message"}}` envelope."""
    try:
        return await handler(request)
    except ApiError as err:
        return json_response(err.as_body(), err.status, err.headers)
    except web.HTTPError as err:
        code = _HTTP_ERROR_CODES.get(err.status, "http_error")
        headers = {"Allow": err.headers["Allow"]} if "Allow" in err.headers else None
        return json_response(
            {"error": {"code": code, "message": err.reason}}, err.status, headers
        )


def _closing_error(err: ApiError) -> web.Response:
    """Build an error envelope after which the connection is closed (the body was not read)."""
    response = json_response(err.as_body(), err.status, err.headers)
    response.force_close()
    return response


def body_middleware(max_size: int, timeout: float) -> Middleware:
    """Read every request body before its handler, within `timeout` seconds and `max_size` bytes.

    A body declared larger than the limit is refused at once, unread (nothing is gained by waiting for
    99 GB); a body that does not arrive in time is refused too. Handlers then read it from memory.
    """

    @web.middleware
    async def read_body(request: web.Request, handler: Handler) -> web.StreamResponse:
        """Refuse or read the body, then run the handler."""
        too_large = f"request bodies are limited to {max_size} bytes"
        if request.content_length is not None and request.content_length > max_size:
            return _closing_error(ApiError(413, "payload_too_large", too_large))
        if request.body_exists:
            try:
                async with asyncio.timeout(timeout):
                    await request.read()
            except TimeoutError:
                return _closing_error(
                    ApiError(
                        408,
                        "request_timeout",
                        f"the body did not arrive within {timeout:g} s",
                    )
                )
            except web.HTTPRequestEntityTooLarge:
                # A chunked body declares no length: it is refused when it grows past the limit.
                return _closing_error(ApiError(413, "payload_too_large", too_large))
            except web.RequestPayloadError:
                # E.g. "Content-Encoding: gzip" on a body that is not: aiohttp would answer 500.
                return _closing_error(bad_request("the body could not be decoded"))
            except ConnectionError:
                # The client left mid-body: nobody is there to answer, and it is not a server error.
                _LOGGER.debug(
                    "%s left before sending the body of %s %s",
                    request.remote,
                    request.method,
                    loggable(request.path),
                )
                return web.Response(status=400)
        return await handler(request)

    return read_body


async def _json_object(request: web.Request) -> dict[str, Any]:
    """Read a request body that must be a JSON object."""
    try:
        body = orjson.loads(await request.read())
    except orjson.JSONDecodeError:
        raise bad_request("body must be a JSON object") from None
    if not isinstance(body, dict):
        raise bad_request("body must be a JSON object")
    return body


def _optional_string(body: dict[str, Any], key: str) -> str | None:
    """Read a field that may be absent, null or a string."""
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise bad_request(f"{key} must be a string or null")
    return value


def _string(body: dict[str, Any], key: str) -> str:
    """Read a field that must be a string."""
    value = body.get(key)
    if not isinstance(value, str):
        raise bad_request(f"{key} must be a string")
    return value


class RestApi:
    """The REST handlers of one server."""

    def __init__(self, context: ServerContext) -> None:
        """Bind the handlers to a server's shared state."""
        self._context = context

    def routes(self) -> list[web.RouteDef]:
        """Return every REST route."""
        return [
            web.get("/api/info", self.info),
            web.post("/api/login", self.login),
            web.post("/api/logout", self.logout),
            web.get("/api/devices", self.devices),
            web.post("/api/devices/{device_id}/commands", self.command),
            web.post("/api/simulation/devices", self.add_device),
            web.post("/api/simulation/devices/{device_id}/door", self.door),
            web.post("/api/simulation/devices/{device_id}/online", self.online),
            web.delete("/api/simulation/devices/{device_id}", self.remove_device),
        ]

    def _session(self, request: web.Request) -> Session:
        """Return the caller's session or raise 401."""
        session = self._context.sessions.get(bearer_token(request))
        if session is None:
            raise ApiError(
                401,
                "unauthorized",
                "a valid token is required (Authorization: Bearer <token>)",
                {"WWW-Authenticate": "Bearer"},
            )
        return session

    def _owned_device(self, request: web.Request) -> tuple[Session, Device]:
        """Return the caller's session and the device in the path: 401, then 404 or 403."""
        session = self._session(request)
        device = self._context.simulation.owned(
            session.user_id, request.match_info["device_id"]
        )
        return session, device

    async def info(self, request: web.Request) -> web.Response:
        """Describe the server; needs no token."""
        config = self._context.config
        return json_response(
            {
                "serverId": config.server_id,
                "name": config.name,
                "version": VERSION,
                "protocol": PROTOCOL_VERSION,
            }
        )

    async def login(self, request: web.Request) -> web.Response:
        """Trade a username and password for a token."""
        body = await _json_object(request)
        username = _string(body, "username")
        password = _string(body, "password")
        context = self._context
        address = request.remote or ""
        try:
            async with context.throttle.attempt(username, address) as attempt:
                # scrypt takes tens of milliseconds on purpose; keep it off the event loop.
                attempt.succeeded = await asyncio.get_running_loop().run_in_executor(
                    None, context.passwords.verify, username, password
                )
        except Throttled as err:
            raise ApiError(
                429,
                "too_many_attempts",
                f"too many failed logins; try again in {err.retry_after} seconds",
                {"Retry-After": str(err.retry_after)},
            ) from None
        if not attempt.succeeded:
            _LOGGER.info("Failed login for %s", loggable(username))
            raise ApiError(401, "invalid_credentials", "wrong username or password")
        user = context.users[username]
        session = context.sessions.create(user.user_id, user.username)
        _LOGGER.info("%s logged in", user.username)
        return json_response(
            {
                "token": session.token,
                "userId": session.user_id,
                "expiresAt": isoformat(session.expires_at),
            }
        )

    async def logout(self, request: web.Request) -> web.Response:
        """End the session: the token stops working and its WebSockets close with 1008."""
        session = self._session(request)
        self._context.sessions.revoke(session.token)
        self._context.hub.close_session(
            session.token, CLOSE_POLICY_VIOLATION, "Logged out"
        )
        _LOGGER.info("%s logged out", session.username)
        return web.Response(status=204)

    async def devices(self, request: web.Request) -> web.Response:
        """List the caller's appliances."""
        session = self._session(request)
        devices = self._context.simulation.devices_of(session.user_id)
        return json_response({"devices": [device.to_wire() for device in devices]})

    async def command(self, request: web.Request) -> web.Response:
        """Run a command on one of the caller's appliances and return its new state."""
        _, device = self._owned_device(request)
        body = await _json_object(request)
        command = _string(body, "command")
        compartment = _optional_string(body, "compartment")
        args = body.get("args")
        if args is None:
            args = {}
        elif not isinstance(args, dict):
            raise bad_request("args must be an object")
        self._context.simulation.command(device, command, compartment, args)
        return json_response(device.to_wire())

    async def door(self, request: web.Request) -> web.Response:
        """Open or close a door of one of the caller's appliances."""
        _, device = self._owned_device(request)
        body = await _json_object(request)
        compartment = _optional_string(body, "compartment")
        door_open = body.get("open")
        if not isinstance(door_open, bool):
            raise bad_request("open must be true or false")
        self._context.simulation.set_door(device, compartment, door_open)
        return json_response(device.to_wire())

    async def online(self, request: web.Request) -> web.Response:
        """Take one of the caller's appliances off the network, or bring it back."""
        session, device = self._owned_device(request)
        body = await _json_object(request)
        online = body.get("online")
        if not isinstance(online, bool):
            raise bad_request("online must be true or false")
        if online != device.online:
            _LOGGER.info(
                "%s %s %s",
                session.username,
                "brought" if online else "took",
                f"{device.id} online" if online else f"{device.id} offline",
            )
        self._context.simulation.set_online(device, online)
        return json_response(device.to_wire())

    async def add_device(self, request: web.Request) -> web.Response:
        """Install a new appliance for the caller."""
        session = self._session(request)
        body = await _json_object(request)
        type_name = _string(body, "type")
        name = _string(body, "name")
        try:
            device_type = DeviceType(type_name)
        except ValueError:
            raise invalid_command(
                f"type must be one of {', '.join(DeviceType)}"
            ) from None
        device = self._context.simulation.add_device(session.user_id, device_type, name)
        _LOGGER.info("%s installed %s", session.username, device.id)
        return json_response(device.to_wire(), status=201)

    async def remove_device(self, request: web.Request) -> web.Response:
        """Remove one of the caller's appliances."""
        session, device = self._owned_device(request)
        self._context.simulation.remove_device(device)
        _LOGGER.info("%s removed %s", session.username, device.id)
        return web.Response(status=204)
