"""Client-side security: secrets stay out of logs, diagnostics and URLs; TLS is verified by default."""

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable
import json
import logging
from typing import Any
from unittest.mock import patch

import aiohttp
from aiohttp import web
from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_PASSWORD, CONF_URL, CONF_USERNAME, CONF_VERIFY_SSL
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.smart_kitchen.api import (
    LoginResult,
    SmartKitchenAuthenticationError,
    SmartKitchenClient,
    SmartKitchenConnection,
    Subscribed,
)
from custom_components.smart_kitchen.const import DOMAIN
from smart_kitchen_server import ServerConfig, SmartKitchenServer
from tests.helpers import EventRecorder, FakeClock

from .conftest import StreamSpy, demo_with_password, reconnect

pytestmark = pytest.mark.faults

# Spelled nowhere else: finding it anywhere is a leak.
SECRET = "tr0ub4dor-and-3-more-words"
TITLE = "Kitchen of Ada Lovelace"
# Tokens of the recording server: token-<login number>-PADDING.
PADDING = "Zq8sLx2VwR7kP0nM"


@pytest.fixture
def password() -> str:
    """Store a password that differs from the username and every other text."""
    return SECRET


@pytest.fixture
def server_config() -> ServerConfig:
    """Give the demo user that password."""
    return demo_with_password(SECRET)


@pytest.fixture
def mock_config_entry(server: SmartKitchenServer) -> MockConfigEntry:
    """Return the demo user's entry, titled with a person's name."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=TITLE,
        unique_id="smart-kitchen-demo:user-demo",
        data={
            CONF_URL: server.url,
            CONF_USERNAME: "demo",
            CONF_PASSWORD: SECRET,
            CONF_VERIFY_SSL: True,
        },
    )


@pytest.fixture
def tokens() -> Any:
    """Record every token the library is given by a login (to look for it everywhere)."""
    issued: list[str] = []
    login = SmartKitchenClient.login

    async def recording_login(client: SmartKitchenClient, *args: Any) -> LoginResult:
        result = await login(client, *args)
        issued.append(result.token)
        return result

    with patch.object(SmartKitchenClient, "login", recording_login):
        yield issued


def leaks(record: logging.LogRecord, secrets: list[str]) -> list[str]:
    """Return the secrets found in a record: its message, its arguments or its traceback."""
    texts = [record.getMessage(), repr(record.args), record.exc_text or ""]
    if record.exc_info and record.exc_info[1] is not None:
        texts.append(repr(record.exc_info[1]))
    return [secret for secret in secrets if any(secret in text for text in texts)]


async def session_with_faults(
    hass: HomeAssistant,
    server: SmartKitchenServer,
    server_clock: FakeClock,
    stream: StreamSpy,
) -> None:
    """Reconnect, have the token refused and logged in again, and fail a command."""
    await reconnect(hass, server, stream)
    # Past the token's lifetime the server refuses it: the socket upgrade gets 401 and the
    # library logs in again.
    server_clock.advance(server.config.token_lifetime + 1)
    await reconnect(hass, server, stream)
    with pytest.raises(HomeAssistantError):
        await hass.services.async_call(
            "button",
            "press",
            {"entity_id": "button.dishwasher_pause_program"},
            blocking=True,
        )


async def test_no_secret_in_any_log_record(
    hass: HomeAssistant,
    *,
    server: SmartKitchenServer,
    server_clock: FakeClock,
    stream: StreamSpy,
    tokens: list[str],
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """At DEBUG, over logins, reconnects, a refused token and errors: no password, no token."""
    caplog.set_level(logging.DEBUG)
    mock_config_entry.add_to_hass(hass)
    mark = stream.mark()
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await stream.wait_for_snapshot(mark)
    await session_with_faults(hass, server, server_clock, stream)
    # A refused login too, with an old password.
    client = SmartKitchenClient(server.url, username="demo", password=SECRET + "-old")
    async with client:
        with pytest.raises(SmartKitchenAuthenticationError):
            await client.login()
    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)

    assert len(tokens) >= 2  # the first login and the one after the refused token
    ours = [
        record
        for record in caplog.records
        if record.name.startswith(("custom_components.smart_kitchen", "homeassistant"))
    ]
    assert ours
    assert not [
        (record.name, found)
        for record in caplog.records
        if (found := leaks(record, [SECRET, SECRET + "-old", *tokens]))
    ]


async def test_no_secret_in_diagnostics_after_a_session(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    *,
    server: SmartKitchenServer,
    server_clock: FakeClock,
    stream: StreamSpy,
    tokens: list[str],
    mock_config_entry: MockConfigEntry,
) -> None:
    """Diagnostics leave out the password, every token, the username, the title and the host."""
    mock_config_entry.add_to_hass(hass)
    mark = stream.mark()
    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await stream.wait_for_snapshot(mark)
    await session_with_faults(hass, server, server_clock, stream)

    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, mock_config_entry
    )
    dump = json.dumps(diagnostics)
    for secret in (SECRET, TITLE, "127.0.0.1", *tokens):
        assert secret not in dump
    assert diagnostics["entry"]["data"][CONF_USERNAME] == "**REDACTED**"
    assert diagnostics["entry"]["title"] == "**REDACTED**"


type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@pytest.fixture
async def recording_server() -> AsyncGenerator[tuple[str, list[web.Request]]]:
    """Run a small protocol server that records every request; refuses each new token once."""
    seen: list[web.Request] = []
    logins = 0

    def authorized(request: web.Request, first: str) -> bool:
        """Refuse the first token of the client's first login (REST) and second login (WebSocket)."""
        return request.headers.get("Authorization") != f"Bearer token-{first}-{PADDING}"

    async def login(request: web.Request) -> web.Response:
        nonlocal logins
        seen.append(request)
        assert (await request.json())["password"] == SECRET
        logins += 1
        return web.json_response(
            {
                "token": f"token-{logins}-{PADDING}",
                "userId": "user-demo",
                "expiresAt": "2026-12-31T00:00:00Z",
            }
        )

    async def devices(request: web.Request) -> web.Response:
        seen.append(request)
        if not authorized(request, "1"):
            return web.json_response(
                {"error": {"code": "unauthorized", "message": "Unauthorized"}},
                status=401,
            )
        return web.json_response({"devices": []})

    async def websocket(request: web.Request) -> web.StreamResponse:
        seen.append(request)
        if not authorized(request, "2"):
            return web.json_response(
                {"error": {"code": "unauthorized", "message": "Unauthorized"}},
                status=401,
            )
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json(
            {"type": "connected", "userId": "u", "serverId": "s", "bootId": "b"}
        )
        await ws.receive()
        await ws.send_json({"type": "subscribed", "deviceIds": [], "lastAlertId": 0})
        await ws.receive()
        return ws

    app = web.Application()
    app.router.add_post("/api/login", login)
    app.router.add_get("/api/devices", devices)
    app.router.add_get("/ws", websocket)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}", seen
    await runner.cleanup()


async def test_tokens_only_in_the_authorization_header(
    recording_server: tuple[str, list[web.Request]],
) -> None:
    """The token travels in the Authorization header of REST and WebSocket requests, never in a URL."""
    url, seen = recording_server
    recorder = EventRecorder()
    async with aiohttp.ClientSession() as session:
        client = SmartKitchenClient(url, session, username="demo", password=SECRET)
        # A refused token on REST: one new login, one retry.
        assert await client.get_devices() == []
        connection = SmartKitchenConnection(client, on_event=recorder)
        task = asyncio.create_task(connection.run())
        try:
            await recorder.wait_until(lambda: recorder.of(Subscribed))
        finally:
            await connection.close()
            await task

    paths = [request.path_qs for request in seen]
    assert paths[0] == "/api/login"
    tokens = [
        header.removeprefix("Bearer ")
        for request in seen
        if (header := request.headers.get("Authorization"))
    ]
    # Refused once on REST and once on the WebSocket upgrade: three logins, three tokens.
    assert [request.path for request in seen].count("/api/login") == 3
    assert len(set(tokens)) == 3
    for request in seen:
        assert SECRET not in str(request.url)
        for token in tokens:
            assert token not in str(request.url)
        if request.path != "/api/login":
            assert request.headers["Authorization"].startswith("Bearer token-")


def test_tls_is_verified_by_default() -> None:
    """A client made without a word about TLS verifies certificates."""
    assert SmartKitchenClient.__init__.__kwdefaults__["verify_ssl"] is True


async def test_tls_is_verified_by_default_in_the_form(hass: HomeAssistant) -> None:
    """The form proposes certificate checks (a real self-signed server: tests/api/test_reliability.py)."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    schema = result["data_schema"]
    assert schema is not None
    defaults = {
        str(key): key.default()
        for key in schema.schema
        if callable(getattr(key, "default", None))
    }
    assert defaults[CONF_VERIFY_SSL] is True
