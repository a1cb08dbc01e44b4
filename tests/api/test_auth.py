"""The client owns authentication: it logs in when it must, once, and says why when it cannot."""

import asyncio
from collections.abc import Awaitable, Callable

import aiohttp
from aiohttp import web
import pytest

from custom_components.smart_kitchen.api import (
    LoginResult,
    SmartKitchenAuthenticationError,
    SmartKitchenClient,
    SmartKitchenConnectionError,
    SmartKitchenUnsupportedProtocolError,
    server_url,
)
from smart_kitchen_server import ServerConfig, SmartKitchenServer

from .conftest import DEMO

type StartFake = Callable[..., Awaitable[str]]

TS = "2030-01-01T00:00:00Z"


def count_logins(client: SmartKitchenClient) -> list[LoginResult]:
    """Wrap the client's login so that every login it makes is recorded."""
    results: list[LoginResult] = []
    login = client.login

    async def counting(
        username: str | None = None, password: str | None = None
    ) -> LoginResult:
        result = await login(username, password)
        results.append(result)
        return result

    client.login = counting  # type: ignore[method-assign]
    return results


@pytest.fixture
def cook(
    server: SmartKitchenServer, session: aiohttp.ClientSession
) -> SmartKitchenClient:
    """Return a client that holds the demo user's credentials but has not logged in."""
    return SmartKitchenClient(server.url, session, username=DEMO, password=DEMO)


async def test_first_request_logs_in(
    server: SmartKitchenServer, cook: SmartKitchenClient
) -> None:
    """A client with credentials and no token logs in by itself before the first request."""
    logins = count_logins(cook)
    assert len(await cook.get_devices()) == 3
    assert len(logins) == 1
    assert cook.token == logins[0].token
    # The token is reused: no login per request.
    await cook.send_command("oven-1", "turn_off", "upper")
    assert len(logins) == 1
    assert len(server.sessions) == 1


@pytest.mark.parametrize("forget", ["revoked", "restart", "stale"])
async def test_refused_token_is_renewed_once(
    server: SmartKitchenServer,
    cook: SmartKitchenClient,
    forget: str,
) -> None:
    """A token the server no longer knows (expired, restarted, made up) costs one login, no error."""
    await cook.login()
    old = cook.token
    assert old is not None
    restarted: SmartKitchenServer | None = None
    if forget == "revoked":
        server.sessions.revoke(old)
    elif forget == "restart":
        await server.stop()
        restarted = SmartKitchenServer(ServerConfig.demo(tick=None))
        await restarted.start(host="127.0.0.1", port=server.port)
    else:
        cook.token = "stale"
    logins = count_logins(cook)
    try:
        oven = await cook.send_command("oven-1", "set_mode", "upper", mode="grill")
        assert oven.id == "oven-1"
        assert len(logins) == 1
        assert cook.token == logins[0].token != old
    finally:
        if restarted is not None:
            await restarted.stop()


async def test_concurrent_refusals_share_one_login(
    server: SmartKitchenServer, cook: SmartKitchenClient
) -> None:
    """Requests refused together wait for the same new token instead of logging in each."""
    cook.token = "stale"
    logins = count_logins(cook)
    results = await asyncio.gather(*(cook.get_devices() for _ in range(5)))
    assert [len(devices) for devices in results] == [3] * 5
    assert len(logins) == 1
    assert len(server.sessions) == 1


async def test_refused_relogin_raises(
    server: SmartKitchenServer, session: aiohttp.ClientSession
) -> None:
    """When the stored password no longer works, the request raises the refusal: no loop."""
    client = SmartKitchenClient(server.url, session, username=DEMO, password="changed")
    client.token = "stale"
    logins = 0
    login = client.login

    async def counting(
        username: str | None = None, password: str | None = None
    ) -> LoginResult:
        nonlocal logins
        logins += 1
        return await login(username, password)

    client.login = counting  # type: ignore[method-assign]
    with pytest.raises(
        SmartKitchenAuthenticationError, match="wrong username or password"
    ):
        await client.get_devices()
    assert logins == 1
    assert client.token is None


async def test_client_without_credentials_raises_on_a_401(
    server: SmartKitchenServer, session: aiohttp.ClientSession
) -> None:
    """A token set by hand and refused is the caller's problem: raised as it is."""
    client = SmartKitchenClient(server.url, session)
    with pytest.raises(SmartKitchenAuthenticationError, match="Not logged in"):
        await client.get_devices()
    client.token = "stale"
    with pytest.raises(SmartKitchenAuthenticationError, match="valid token"):
        await client.get_devices()
    with pytest.raises(SmartKitchenAuthenticationError, match="No credentials"):
        await client.login()


async def test_login_keeps_new_credentials(
    server: SmartKitchenServer, session: aiohttp.ClientSession
) -> None:
    """Credentials given to login() are the ones the client logs in with again later."""
    client = SmartKitchenClient(server.url, session)
    await client.login(DEMO, DEMO)
    first = client.token
    await client.login()
    assert client.token not in (None, first)


async def test_ws_connect_logs_in_and_replaces_a_refused_token(
    server: SmartKitchenServer, cook: SmartKitchenClient
) -> None:
    """The reference server closes a stale token's socket with 1008; after token_refused the next opens."""
    logins = count_logins(cook)
    ws, token = await cook.ws_connect()
    assert (await ws.receive_json())["type"] == "connected"
    await ws.close()
    assert len(logins) == 1
    assert token == cook.token

    server.sessions.revoke(token)
    ws, refused = await cook.ws_connect()
    assert refused == token
    await ws.receive()
    assert ws.close_code == aiohttp.WSCloseCode.POLICY_VIOLATION
    # Another token (one the server did not refuse) is not forgotten.
    cook.token_refused("some-other-token")
    kept: str | None = cook.token
    cook.token_refused(refused)
    forgotten: str | None = cook.token
    assert (kept, forgotten) == (token, None)

    ws, fresh = await cook.ws_connect()
    assert (await ws.receive_json())["type"] == "connected"
    await ws.close()
    assert len(logins) == 2
    assert fresh == logins[1].token != token


def fake_login(logins: list[str]) -> Callable[[web.Request], Awaitable[web.Response]]:
    """Return a login handler that hands out token-1, token-2, ... and records them."""

    async def login(request: web.Request) -> web.Response:
        logins.append(f"token-{len(logins) + 1}")
        return web.json_response({"token": logins[-1], "userId": "u", "expiresAt": TS})

    return login


async def test_ws_connect_renews_a_token_refused_on_the_upgrade(
    fake_server: StartFake, session: aiohttp.ClientSession
) -> None:
    """A 401 on the upgrade (servers may refuse there) is answered with one login and a retry."""
    logins: list[str] = []
    upgrades: list[str] = []

    async def websocket(request: web.Request) -> web.StreamResponse:
        upgrades.append(request.headers["Authorization"])
        if request.headers["Authorization"] == "Bearer stale":
            return web.Response(status=401)
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.close()
        return ws

    url = await fake_server(
        [("POST", "/api/login", fake_login(logins)), ("GET", "/ws", websocket)]
    )
    client = SmartKitchenClient(url, session, username=DEMO, password=DEMO)
    client.token = "stale"
    ws, token = await client.ws_connect()
    await ws.close()
    assert (token, logins) == ("token-1", ["token-1"])
    assert upgrades == ["Bearer stale", "Bearer token-1"]


async def test_fresh_token_refused_on_the_upgrade_is_a_server_fault(
    fake_server: StartFake, session: aiohttp.ClientSession
) -> None:
    """A 401 for the token of a login just made is not a wrong password: a connection error."""
    logins: list[str] = []
    upgrades: list[str] = []

    async def websocket(request: web.Request) -> web.Response:
        upgrades.append(request.headers["Authorization"])
        return web.Response(status=401)

    url = await fake_server(
        [("POST", "/api/login", fake_login(logins)), ("GET", "/ws", websocket)]
    )
    client = SmartKitchenClient(url, session, username=DEMO, password=DEMO)
    client.token = "stale"
    with pytest.raises(SmartKitchenConnectionError, match="fresh login") as err:
        await client.ws_connect()
    assert not isinstance(err.value, SmartKitchenAuthenticationError)
    assert isinstance(err.value.__cause__, SmartKitchenAuthenticationError)
    assert logins == ["token-1"]
    assert upgrades == ["Bearer stale", "Bearer token-1"]


async def test_check_server(
    server: SmartKitchenServer, cook: SmartKitchenClient, fake_server: StartFake
) -> None:
    """The reference server speaks this protocol; one speaking protocol 2 is refused, with its info."""
    info = await cook.check_server()
    assert (info.server_id, info.protocol, info.supported) == (
        server.config.server_id,
        1,
        True,
    )

    async def future_info(request: web.Request) -> web.Response:
        return web.json_response(
            {"serverId": "s-2", "name": "Kitchen 2", "version": "9.0", "protocol": 2}
        )

    url = await fake_server([("GET", "/api/info", future_info)])
    async with SmartKitchenClient(url) as client:
        with pytest.raises(SmartKitchenUnsupportedProtocolError) as err:
            await client.check_server()
    assert (err.value.info.server_id, err.value.info.protocol) == ("s-2", 2)
    assert not err.value.info.supported
    assert str(err.value) == "Kitchen 2 speaks protocol 2, this library 1"


@pytest.mark.parametrize(
    ("url", "match"),
    [
        ("ftp://kitchen.local", "http:// or https://"),
        ("http://", "http:// or https://"),
        ("http:///kitchen", "http:// or https://"),
        ("", "http:// or https://"),
        ("http://me:pw@kitchen.local", "credentials in the URL"),
        ("http://[::1", "not a URL"),
        (5, "not a URL"),
    ],
)
def test_server_url_refuses(url: str, match: str) -> None:
    """What cannot be a server's base URL is refused with the reason, by the rule and the client."""
    with pytest.raises(ValueError, match=match):
        server_url(url)
    with pytest.raises(ValueError, match=match):
        SmartKitchenClient(url)


def test_server_url_accepts() -> None:
    """Http and https with a host, a port and a path prefix are fine."""
    assert str(server_url("http://127.0.0.1:8765")) == "http://127.0.0.1:8765"
    assert str(server_url("https://kitchen.local/kitchen/")) == (
        "https://kitchen.local/kitchen/"
    )
    assert (
        SmartKitchenClient("HTTPS://Kitchen.Local:1").url == "https://kitchen.local:1"
    )


def test_server_url_without_a_scheme_is_http() -> None:
    """An address typed without a scheme means http, as people type it."""
    assert str(server_url("kitchen.local:8765")) == "http://kitchen.local:8765"
    assert str(server_url("https://kitchen.local")) == "https://kitchen.local"
