"""A small client of Home Assistant's REST and WebSocket APIs, shared by the development scripts.

It does what the frontend does — onboard, log in, run a config flow, send WebSocket commands — so
`scripts/develop`, `scripts/ha_smoke.py` and `scripts/screenshots` drive a real Home Assistant the way a
user's browser would. Tokens stay in memory and are never printed.
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from typing import Any

import aiohttp

# Everything a step waits for arrives within seconds on a healthy instance; this only bounds a broken one.
TIMEOUT = 60


class HomeAssistantApiError(Exception):
    """Home Assistant refused or failed a request."""


@dataclass(frozen=True, slots=True)
class Tokens:
    """The tokens of one login (what the frontend keeps in its `hassTokens`)."""

    access_token: str
    refresh_token: str
    expires_in: int


class HomeAssistantApi:
    """Home Assistant at `url`, as a frontend at the same origin talks to it."""

    def __init__(self, http: aiohttp.ClientSession, url: str) -> None:
        """Talk to the instance at `url` (e.g. http://127.0.0.1:8123) through `http`."""
        self.http = http
        self.url = url.rstrip("/")
        self.tokens: Tokens | None = None

    @property
    def client_id(self) -> str:
        """Return the OAuth client id the frontend of this instance uses: its own origin."""
        return f"{self.url}/"

    async def onboarding(self) -> dict[str, bool] | None:
        """Return which onboarding steps are done, or None while Home Assistant does not answer yet.

        An empty dict means onboarding is over: Home Assistant then no longer serves its API (404).
        """
        try:
            async with self.http.get(
                f"{self.url}/api/onboarding",
                timeout=aiohttp.ClientTimeout(total=5),
            ) as response:
                if response.status == 404:
                    return {}
                if response.status != 200:
                    return None
                return {step["step"]: step["done"] for step in await response.json()}
        except aiohttp.ClientError, TimeoutError:
            return None

    async def onboard_owner(self, name: str, username: str, password: str) -> Tokens:
        """Create the owner account (onboarding's first step) and log in as it."""
        body = await self._post_json(
            "/api/onboarding/users",
            {
                "client_id": self.client_id,
                "name": name,
                "username": username,
                "password": password,
                "language": "en",
            },
            auth=False,
        )
        return await self._exchange(body["auth_code"])

    async def login(self, username: str, password: str) -> Tokens:
        """Log in through the login flow of the login page."""
        flow = await self._post_json(
            "/auth/login_flow",
            {
                "client_id": self.client_id,
                "handler": ["homeassistant", None],
                "redirect_uri": self.client_id,
            },
            auth=False,
        )
        result = await self._post_json(
            f"/auth/login_flow/{flow['flow_id']}",
            {"client_id": self.client_id, "username": username, "password": password},
            auth=False,
        )
        if result.get("type") != "create_entry":
            raise HomeAssistantApiError(
                f"Home Assistant refused the login of {username!r}: {result.get('errors')}"
            )
        return await self._exchange(result["result"])

    async def _exchange(self, code: str) -> Tokens:
        """Exchange an authorization code for tokens and use them from now on."""
        async with self.http.post(
            f"{self.url}/auth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": self.client_id,
            },
        ) as response:
            if response.status != 200:
                raise HomeAssistantApiError(f"/auth/token answered {response.status}")
            body = await response.json()
        self.tokens = Tokens(
            body["access_token"], body["refresh_token"], body["expires_in"]
        )
        return self.tokens

    async def revoke(self) -> None:
        """Log out: remove this login's refresh token, so logins do not pile up in auth storage."""
        if self.tokens is None:
            return
        with suppress(aiohttp.ClientError):
            async with self.http.post(
                f"{self.url}/auth/revoke", data={"token": self.tokens.refresh_token}
            ):
                pass
        self.tokens = None

    def _headers(self) -> dict[str, str]:
        """Return the authorization header of the current login."""
        if self.tokens is None:
            raise HomeAssistantApiError("not logged in")
        return {"Authorization": f"Bearer {self.tokens.access_token}"}

    async def _post_json(
        self, path: str, data: dict[str, Any], *, auth: bool = True
    ) -> dict[str, Any]:
        """POST a JSON body and return the JSON answer; any status but 200/201 is an error."""
        async with self.http.post(
            f"{self.url}{path}", json=data, headers=self._headers() if auth else None
        ) as response:
            if response.status not in (200, 201):
                raise HomeAssistantApiError(
                    f"POST {path} answered {response.status}: {(await response.text())[:300]}"
                )
            answer: dict[str, Any] = await response.json()
            return answer

    async def post(self, path: str, data: dict[str, Any]) -> dict[str, Any]:
        """POST to an authenticated REST endpoint, e.g. a config flow step."""
        return await self._post_json(path, data)

    async def delete(self, path: str) -> None:
        """DELETE an authenticated REST resource, e.g. a config flow in progress."""
        async with self.http.delete(
            f"{self.url}{path}", headers=self._headers()
        ) as response:
            if response.status != 200:
                raise HomeAssistantApiError(f"DELETE {path} answered {response.status}")

    async def call_service(
        self, domain: str, service: str, data: dict[str, Any]
    ) -> None:
        """Call an action through the REST API, as a script or the frontend would."""
        async with self.http.post(
            f"{self.url}/api/services/{domain}/{service}",
            json=data,
            headers=self._headers(),
        ) as response:
            if response.status != 200:
                raise HomeAssistantApiError(
                    f"{domain}.{service} answered {response.status}: {(await response.text())[:300]}"
                )

    @asynccontextmanager
    async def websocket(self) -> AsyncIterator[HomeAssistantSocket]:
        """Open the WebSocket API with the current login."""
        if self.tokens is None:
            raise HomeAssistantApiError("not logged in")
        async with self.http.ws_connect(
            f"{self.url}/api/websocket", max_msg_size=0
        ) as ws:
            await ws.receive_json()  # auth_required
            await ws.send_json(
                {"type": "auth", "access_token": self.tokens.access_token}
            )
            if (answer := await ws.receive_json())["type"] != "auth_ok":
                raise HomeAssistantApiError(
                    f"the WebSocket API refused the login: {answer}"
                )
            socket = HomeAssistantSocket(ws)
            try:
                yield socket
            finally:
                socket.close()


class HomeAssistantSocket:
    """A logged-in WebSocket API connection: commands with results, and event subscriptions."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        """Start reading the connection in the background."""
        self._ws = ws
        self._next_id = 0
        self._results: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._events: dict[int, asyncio.Queue[dict[str, Any]]] = {}
        self._reader = asyncio.create_task(self._read(), name="ha websocket reader")

    async def _read(self) -> None:
        """Route every message to the command or subscription it belongs to."""
        try:
            async for message in self._ws:
                if message.type is not aiohttp.WSMsgType.TEXT:
                    continue
                # Home Assistant may coalesce several messages into one JSON array frame.
                data = message.json()
                for item in data if isinstance(data, list) else [data]:
                    if item["type"] == "event" and item["id"] in self._events:
                        self._events[item["id"]].put_nowait(item["event"])
                    elif (
                        future := self._results.pop(item["id"], None)
                    ) is not None and not future.done():
                        future.set_result(item)
        finally:
            error = HomeAssistantApiError("Home Assistant closed the WebSocket")
            for future in self._results.values():
                if not future.done():
                    future.set_exception(error)
            for queue in self._events.values():
                queue.put_nowait({"closed": True})

    def close(self) -> None:
        """Stop reading (the connection itself is closed by its context manager)."""
        self._reader.cancel()

    async def call(self, command: str, **data: Any) -> Any:
        """Send a command and return its result; an error answer raises."""
        self._next_id += 1
        message_id = self._next_id
        future: asyncio.Future[dict[str, Any]] = (
            asyncio.get_running_loop().create_future()
        )
        self._results[message_id] = future
        await self._ws.send_json({"id": message_id, "type": command, **data})
        try:
            async with asyncio.timeout(TIMEOUT):
                answer = await future
        except TimeoutError:
            self._results.pop(message_id, None)
            raise HomeAssistantApiError(
                f"{command}: no answer within {TIMEOUT} s"
            ) from None
        if not answer.get("success", False):
            raise HomeAssistantApiError(f"{command}: {answer.get('error')}")
        return answer.get("result")

    async def subscribe(
        self, command: str, **data: Any
    ) -> asyncio.Queue[dict[str, Any]]:
        """Subscribe (e.g. `subscribe_events`) and return the queue its events arrive in."""
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._events[self._next_id + 1] = queue
        await self.call(command, **data)
        return queue

    async def wait_until_running(self) -> dict[str, Any]:
        """Return Home Assistant's `get_config` once it has finished starting (core state RUNNING)."""
        started = await self.subscribe(
            "subscribe_events", event_type="homeassistant_started"
        )
        # Subscribed first, so a start finishing between the two calls is not missed.
        config: dict[str, Any] = await self.call("get_config")
        if config["state"] != "RUNNING":
            event = await started.get()
            if event.get("closed"):
                raise HomeAssistantApiError("Home Assistant went away while starting")
        return config
