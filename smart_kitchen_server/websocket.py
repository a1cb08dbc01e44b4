"""The `/ws` endpoint: token check on upgrade, the message loop, subscribe and unsubscribe."""

import asyncio
from datetime import timedelta
import logging
from typing import Any

from aiohttp import WSMsgType, web
import orjson

from . import messages
from .auth import loggable
from .config import DEVICE_ID_PATTERN
from .const import (
    BAD_MESSAGE_LIMIT,
    BAD_MESSAGE_WINDOW,
    CLOSE_POLICY_VIOLATION,
    CLOSE_TIMEOUT,
    MAX_FRAME_SIZE,
)
from .context import ServerContext
from .hub import Connection

_LOGGER = logging.getLogger(__name__)
# Refused (client-chosen) ids quoted in a log line; the rest are counted.
_LOGGED_IDS = 5


class BadMessage(Exception):
    """A client message the protocol does not allow."""


def bearer_token(request: web.Request) -> str | None:
    """Return the token of an `Authorization: Bearer <token>` header, if there is one."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


class WebSocketEndpoint:
    """Serves `GET /ws` for one server."""

    def __init__(self, context: ServerContext) -> None:
        """Bind the endpoint to a server's shared state."""
        self._context = context

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """Authenticate, then serve one WebSocket until either side closes it."""
        task = asyncio.current_task()
        assert task is not None
        self._context.websocket_tasks.add(task)
        try:
            return await self._serve(request)
        finally:
            self._context.websocket_tasks.discard(task)

    async def _serve(self, request: web.Request) -> web.WebSocketResponse:
        """Run the connection; the caller tracks the task."""
        context = self._context
        # Pings are answered by the writer task (autoping off) so a pong can never overtake queued data.
        ws = web.WebSocketResponse(
            autoping=False,
            compress=False,
            # aiohttp refuses frames of max_msg_size bytes or more; 64 KiB itself is allowed.
            max_msg_size=MAX_FRAME_SIZE + 1,
            timeout=CLOSE_TIMEOUT,
        )
        await ws.prepare(request)
        session = context.sessions.get(
            bearer_token(request) or request.query.get("token")
        )
        if session is None:
            _LOGGER.info(
                "WebSocket from %s refused: missing, unknown or expired token",
                request.remote,
            )
            await ws.close(code=CLOSE_POLICY_VIOLATION, message=b"Unauthorized")
            return ws

        loop = asyncio.get_running_loop()
        connection = Connection(ws, session, request.transport, loop.time())
        context.hub.add(connection)
        writer = asyncio.create_task(
            connection.write(), name=f"smart-kitchen-ws-writer-{session.username}"
        )
        _LOGGER.info(
            "%s connected from %s (%d connections)",
            session.username,
            request.remote,
            len(context.hub.connections),
        )
        connection.send_message(
            messages.connected(
                session.user_id, context.config.server_id, context.boot_id
            )
        )
        try:
            async for msg in ws:
                connection.heard_from(loop.time())
                if connection.closing:
                    # Closing already: nothing the client says matters any more.
                    continue
                if msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                    self._on_message(connection, msg.data)
                elif msg.type is WSMsgType.PING:
                    connection.pong(msg.data)
                elif msg.type is WSMsgType.ERROR:
                    break
        finally:
            connection.closing = True
            if not connection.close_started:
                writer.cancel()
            # A close frame already on its way is allowed to finish (bounded by CLOSE_TIMEOUT).
            await asyncio.wait([writer])
            _LOGGER.info(
                "%s disconnected (close code %s)", session.username, ws.close_code
            )
            # Last, so whoever waits for the connection to be gone sees everything done.
            context.hub.remove(connection)
        return ws

    def _on_message(self, connection: Connection, data: str | bytes) -> None:
        """Handle one text or binary frame; anything malformed gets `bad_message`."""
        try:
            self._dispatch(connection, _parse(data))
        except BadMessage as err:
            self._bad_message(connection, str(err))

    def _dispatch(self, connection: Connection, message: dict[str, Any]) -> None:
        """Route a parsed message by its type."""
        kind = message.get("type")
        if kind == "subscribe":
            self._subscribe(connection, message)
        elif kind == "unsubscribe":
            self._unsubscribe(connection, message)
        else:
            raise BadMessage(f"unknown message type {kind!r}")

    def _bad_message(self, connection: Connection, reason: str) -> None:
        """Answer a bad message, or close once a client sends too many of them."""
        now = self._context.clock()
        recent = connection.bad_messages
        while recent and recent[0] <= now - timedelta(seconds=BAD_MESSAGE_WINDOW):
            recent.popleft()
        recent.append(now)
        if len(recent) > BAD_MESSAGE_LIMIT:
            _LOGGER.info("Closing %s: too many bad messages", connection.username)
            connection.close(CLOSE_POLICY_VIOLATION, "Too many bad messages")
            return
        connection.send_message(messages.error("bad_message", reason))

    def _subscribe(self, connection: Connection, message: dict[str, Any]) -> None:
        """Replace the subscription, then send the snapshot and the alerts the client missed."""
        device_ids = _device_ids(message)
        last_alert_id = message.get("lastAlertId")
        if last_alert_id is not None and (
            isinstance(last_alert_id, bool)
            or not isinstance(last_alert_id, int)
            or last_alert_id < 0
        ):
            raise BadMessage("lastAlertId must be a non-negative integer or null")
        device_status = message.get("deviceStatus")
        if device_status is not None and not isinstance(device_status, bool):
            raise BadMessage("deviceStatus must be true, false or null")
        devices = self._context.simulation.devices
        accepted = [
            i
            for i in device_ids
            if (d := devices.get(i)) is not None and d.owner == connection.user_id
        ]
        refused = [i for i in device_ids if i not in accepted]
        if refused:
            connection.send_message(
                messages.error(
                    "forbidden_device",
                    f"not your device(s): {', '.join(refused)}",
                    device_ids=refused,
                )
            )
        connection.device_status = bool(device_status)
        self._context.hub.set_subscriptions(connection, accepted)
        # Everything below is queued without awaiting, so no live update can slip in between.
        connection.send_message(
            messages.subscribed(
                accepted, self._context.hub.last_alert_id(connection.user_id)
            )
        )
        now = self._context.clock()
        for device_id in accepted:
            device = devices[device_id]
            for part in device.compartments.values():
                connection.send_message(messages.device_update(device, part, now))
            if connection.device_status:
                connection.send_message(messages.device_status(device, now))
        if last_alert_id is not None:
            for payload in self._context.hub.alerts_since(
                connection.user_id, last_alert_id, set(accepted)
            ):
                connection.send(payload)
        _LOGGER.info(
            "%s subscribed to %s%s",
            connection.username,
            ", ".join(accepted) or "nothing",
            f" (refused {_loggable_ids(refused)})" if refused else "",
        )

    def _unsubscribe(self, connection: Connection, message: dict[str, Any]) -> None:
        """Remove devices from the subscription."""
        device_ids = _device_ids(message)
        removed = [i for i in device_ids if i in connection.subscriptions]
        self._context.hub.set_subscriptions(
            connection, connection.subscriptions - set(removed)
        )
        connection.send_message(messages.unsubscribed(removed))
        _LOGGER.info(
            "%s unsubscribed from %s",
            connection.username,
            ", ".join(removed) or "nothing",
        )


def _parse(data: str | bytes) -> dict[str, Any]:
    """Decode a frame that must hold a JSON object."""
    try:
        message = orjson.loads(data)
    except orjson.JSONDecodeError as err:
        raise BadMessage("message is not valid JSON") from err
    if not isinstance(message, dict):
        raise BadMessage("message must be a JSON object")
    return message


def _device_ids(message: dict[str, Any]) -> list[str]:
    """Read `deviceIds`: a list of strings, returned without duplicates in the order given."""
    device_ids = message.get("deviceIds")
    if not isinstance(device_ids, list) or not all(
        isinstance(i, str) for i in device_ids
    ):
        raise BadMessage("deviceIds must be a list of strings")
    return list(dict.fromkeys(device_ids))


def _loggable_ids(device_ids: list[str]) -> str:
    """List client-chosen ids for a log line: a few, odd ones quoted and cut, so none floods the log."""
    shown = ", ".join(
        i if DEVICE_ID_PATTERN.match(i) else loggable(i)
        for i in device_ids[:_LOGGED_IDS]
    )
    more = len(device_ids) - _LOGGED_IDS
    return f"{shown} and {more} more" if more > 0 else shown
