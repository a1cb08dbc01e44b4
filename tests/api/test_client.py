"""Tests for the REST client: every call against the real server, every error mapping."""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
import ipaddress
from pathlib import Path
import ssl
from typing import Any

import aiohttp
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
import pytest

from custom_components.smart_kitchen.api import (
    DeviceType,
    DishwasherProgram,
    DishwasherState,
    DishwasherStatus,
    FridgeState,
    OvenMode,
    OvenState,
    SmartKitchenAuthenticationError,
    SmartKitchenClient,
    SmartKitchenCommandError,
    SmartKitchenConnectionClosedError,
    SmartKitchenConnectionError,
    SmartKitchenConnectionTimeoutError,
    SmartKitchenRateLimitedError,
    SmartKitchenResponseError,
)
from smart_kitchen_server import SmartKitchenServer
from tests.helpers import free_port
from tests.kitchen import Kitchen

from .conftest import DISHWASHER_IDLE

type StartFake = Callable[..., Awaitable[str]]


def self_signed_context(tmp_path: Path) -> ssl.SSLContext:
    """Return a server TLS context with a fresh self-signed certificate for 127.0.0.1."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return context


async def test_get_info(client: SmartKitchenClient, server: SmartKitchenServer) -> None:
    """The info endpoint needs no login."""
    info = await client.get_info()
    assert info.server_id == server.config.server_id
    assert info.protocol == 1
    assert info.name
    assert info.version


async def test_login_stores_the_token(client: SmartKitchenClient) -> None:
    """A login returns a typed result and the client keeps the token, which no repr shows."""
    before = client.token
    assert before is None
    result = await client.login("demo", "demo")
    assert result.user_id == "user-demo"
    assert result.expires_at > datetime.now(UTC)
    assert client.token == result.token
    assert result.token not in repr(result)
    assert result.token not in repr(client)


async def test_login_refused(client: SmartKitchenClient) -> None:
    """Wrong credentials are an authentication error carrying the server's message."""
    with pytest.raises(
        SmartKitchenAuthenticationError, match="wrong username or password"
    ):
        await client.login("demo", "wrong")
    assert client.token is None


async def test_login_bad_request(client: SmartKitchenClient) -> None:
    """A body the server cannot use is a command error with the code bad_request."""
    with pytest.raises(SmartKitchenCommandError) as err:
        await client.login("demo", 5)  # type: ignore[arg-type]
    assert (err.value.code, err.value.status) == ("bad_request", 400)


async def test_login_throttled(client: SmartKitchenClient) -> None:
    """After five failures the server answers 429 with Retry-After, even for the right password."""
    for _ in range(5):
        with pytest.raises(SmartKitchenAuthenticationError):
            await client.login("demo", "wrong")
    with pytest.raises(SmartKitchenRateLimitedError) as err:
        await client.login("demo", "demo")
    assert err.value.retry_after is not None
    assert 0 < err.value.retry_after <= 60


async def test_get_devices_only_returns_own_devices(
    demo_client: Kitchen,
    client: SmartKitchenClient,
    session: aiohttp.ClientSession,
) -> None:
    """Each user sees their own devices, typed."""
    devices = {device.id: device for device in await demo_client.get_devices()}
    assert set(devices) == {"oven-1", "fridge-1", "dishwasher-1"}
    assert devices["oven-1"].compartments == ("upper", "lower")
    assert devices["fridge-1"].compartments == ("fridge", "freezer")
    assert devices["dishwasher-1"].compartments == (None,)
    assert isinstance(devices["fridge-1"].states["freezer"], FridgeState)

    alice = SmartKitchenClient(client.url, session)
    await alice.login("alice", "alice")
    assert [device.id for device in await alice.get_devices()] == ["fridge-2"]


async def test_send_command(demo_client: Kitchen) -> None:
    """Commands return the device's new state."""
    oven = await demo_client.send_command(
        "oven-1", "set_mode", "upper", mode=OvenMode.GRILL
    )
    assert oven.states["upper"].mode is OvenMode.GRILL  # type: ignore[union-attr]
    oven = await demo_client.send_command(
        "oven-1", "set_target_temperature", compartment="upper", value=200
    )
    upper = oven.states["upper"]
    assert isinstance(upper, OvenState)
    assert upper.target_temperature == 200

    dishwasher = await demo_client.send_command(
        "dishwasher-1", "start", program=DishwasherProgram.QUICK
    )
    state = dishwasher.states[None]
    assert isinstance(state, DishwasherState)
    assert (state.status, state.program) == (
        DishwasherStatus.RUNNING,
        DishwasherProgram.QUICK,
    )
    dishwasher = await demo_client.send_command("dishwasher-1", "pause")
    assert dishwasher.states[None].status is DishwasherStatus.PAUSED  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("device_id", "command", "compartment", "args", "code", "status"),
    [
        (
            "fridge-1",
            "set_target_temperature",
            "fridge",
            {"value": 99},
            "value_out_of_range",
            400,
        ),
        ("oven-1", "fly", "upper", {}, "invalid_command", 400),
        (
            "fridge-2",
            "set_target_temperature",
            "fridge",
            {"value": 4},
            "forbidden",
            403,
        ),
        ("toaster-9", "turn_off", None, {}, "unknown_device", 404),
    ],
)
async def test_command_errors(
    demo_client: Kitchen,
    *,
    device_id: str,
    command: str,
    compartment: str | None,
    args: dict[str, object],
    code: str,
    status: int,
) -> None:
    """400/403/404 carry the server's code, message and the HTTP status."""
    with pytest.raises(SmartKitchenCommandError) as err:
        await demo_client.send_command(device_id, command, compartment, **args)
    assert (err.value.code, err.value.status) == (code, status)
    assert err.value.message
    assert str(err.value) == err.value.message


async def test_command_conflict(demo_client: Kitchen) -> None:
    """Starting a running dishwasher is a 409 conflict."""
    await demo_client.send_command("dishwasher-1", "start", program="eco")
    with pytest.raises(SmartKitchenCommandError) as err:
        await demo_client.send_command("dishwasher-1", "start", program="eco")
    assert (err.value.code, err.value.status) == ("conflict", 409)


async def test_simulation_api(demo_client: Kitchen) -> None:
    """Doors open and close; appliances are installed and removed."""
    fridge = await demo_client.set_door("fridge-1", open=True, compartment="freezer")
    assert fridge.states["freezer"].door_open is True
    dishwasher = await demo_client.set_door("dishwasher-1", True)
    assert dishwasher.states[None].door_open is True

    cellar = await demo_client.add_device(DeviceType.FRIDGE, "Cellar Fridge")
    assert (cellar.type, cellar.name) == (DeviceType.FRIDGE, "Cellar Fridge")
    assert cellar.id in {device.id for device in await demo_client.get_devices()}
    await demo_client.remove_device(cellar.id)
    assert cellar.id not in {device.id for device in await demo_client.get_devices()}
    with pytest.raises(SmartKitchenCommandError) as err:
        await demo_client.remove_device(cellar.id)
    assert err.value.status == 404


async def test_logout(demo_client: Kitchen, session: aiohttp.ClientSession) -> None:
    """Logout ends the session on the server and forgets the token (not the credentials)."""
    token = demo_client.token
    assert token is not None
    await demo_client.logout()
    # Held in a name: mypy would keep `demo_client.token` narrowed to None below.
    logged_out = demo_client.token
    assert logged_out is None
    # Without a token there is nothing to end.
    await demo_client.logout()

    stale = SmartKitchenClient(demo_client.url, session)
    stale.token = token
    with pytest.raises(SmartKitchenAuthenticationError, match="valid token"):
        await stale.get_devices()
    # A token the server no longer knows is already logged out.
    await stale.logout()
    # Without credentials nothing can log in again.
    with pytest.raises(SmartKitchenAuthenticationError, match="Not logged in"):
        await stale.get_devices()

    # The credentials stay with the client, so the next request simply logs in again.
    assert len(await demo_client.get_devices()) == 3
    assert demo_client.token not in (None, token)
    assert stale.token is None


async def test_client_owns_only_the_session_it_created(
    server: SmartKitchenServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client without an injected session creates one and closes it on exit."""
    created: list[aiohttp.ClientSession] = []
    session_class = aiohttp.ClientSession

    def spy(*args: Any, **kwargs: Any) -> aiohttp.ClientSession:
        created.append(session_class(*args, **kwargs))
        return created[-1]

    monkeypatch.setattr(aiohttp, "ClientSession", spy)
    async with SmartKitchenClient(server.url) as client:
        await client.get_info()
    monkeypatch.undo()
    (own_session,) = created
    assert own_session.closed
    await client.close()

    async with aiohttp.ClientSession() as injected:
        async with SmartKitchenClient(server.url, session=injected) as client:
            await client.get_info()
        assert not injected.closed


async def test_urls_keep_a_path_prefix_and_quote_ids(fake_server: StartFake) -> None:
    """A server behind a path prefix works, and device ids are one path segment.

    The protocol's ids never need quoting, so the client must not rely on them being clean: a
    slash sent in an id stays inside its segment.
    """
    seen: list[str] = []

    async def record(request: web.Request) -> web.Response:
        seen.append(request.raw_path)
        return web.json_response(
            {
                "id": "dishwasher-1",
                "type": "dishwasher",
                "name": "n",
                "model": "m",
                "firmware": "f",
                "state": DISHWASHER_IDLE,
            }
        )

    url = await fake_server([("POST", "/{tail:.*}", record)])
    client = SmartKitchenClient(url + "/kitchen/")
    async with client:
        client.token = "t"
        await client.send_command("a/b", "pause")
    assert seen == ["/kitchen/api/devices/a%2Fb/commands"]
    assert (
        SmartKitchenClient("https://host:1/kitchen").ws_url == "wss://host:1/kitchen/ws"
    )
    assert SmartKitchenClient("http://host:1").ws_url == "ws://host:1/ws"


@pytest.mark.parametrize(
    ("status", "body", "headers", "error", "match"),
    [
        (500, b"boom", {}, SmartKitchenConnectionError, "HTTP 500"),
        (
            503,
            b'{"error": {"code": "x", "message": "y"}}',
            {},
            SmartKitchenConnectionError,
            "503",
        ),
        (418, b"teapot", {}, SmartKitchenResponseError, "HTTP 418"),
        (404, b"<html>not found</html>", {}, SmartKitchenResponseError, "HTTP 404"),
        (
            400,
            b'{"error": {"code": 1, "message": "y"}}',
            {},
            SmartKitchenResponseError,
            "400",
        ),
        (400, b'{"error": "bad"}', {}, SmartKitchenResponseError, "400"),
        (400, b"[]", {}, SmartKitchenResponseError, "400"),
        (401, b"", {}, SmartKitchenAuthenticationError, "Unauthorized"),
        (429, b"", {}, SmartKitchenRateLimitedError, "Too many requests"),
        (200, b"<html>", {}, SmartKitchenResponseError, "Not JSON"),
        (200, b'{"serverId": 1}', {}, SmartKitchenResponseError, "serverId"),
    ],
)
async def test_unexpected_answers(
    fake_server: StartFake,
    *,
    status: int,
    body: bytes,
    headers: dict[str, str],
    error: type[Exception],
    match: str,
) -> None:
    """Anything the protocol does not allow maps to a library error, never to a raw exception."""

    async def answer(request: web.Request) -> web.Response:
        return web.Response(status=status, body=body, headers=headers)

    url = await fake_server([("GET", "/api/info", answer)])
    async with SmartKitchenClient(url) as client:
        with pytest.raises(error, match=match):
            await client.get_info()


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("7", 7.0),
        ("2.5", 2.5),
        ("-3", 0.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", None),
        ("inf", None),
        (None, None),
    ],
)
async def test_retry_after(
    fake_server: StartFake, header: str | None, expected: float | None
) -> None:
    """Retry-After in seconds is passed on; other forms are dropped rather than guessed."""

    async def throttle(request: web.Request) -> web.Response:
        headers = {} if header is None else {"Retry-After": header}
        return web.json_response(
            {"error": {"code": "too_many_attempts", "message": "slow down"}},
            status=429,
            headers=headers,
        )

    url = await fake_server([("POST", "/api/login", throttle)])
    async with SmartKitchenClient(url) as client:
        with pytest.raises(SmartKitchenRateLimitedError, match="slow down") as err:
            await client.login("demo", "demo")
    assert err.value.retry_after == expected


async def test_timeout(fake_server: StartFake) -> None:
    """A server that does not answer in time is a timeout error, for REST and the WebSocket."""
    release = asyncio.Event()

    async def hang(request: web.Request) -> web.Response:
        await release.wait()
        return web.Response()

    url = await fake_server([("GET", "/api/info", hang), ("GET", "/ws", hang)])
    try:
        async with SmartKitchenClient(url, request_timeout=0.05) as client:
            with pytest.raises(SmartKitchenConnectionTimeoutError):
                await client.get_info()
            client.token = "t"
            with pytest.raises(SmartKitchenConnectionTimeoutError):
                await client.ws_connect()
    finally:
        release.set()


async def test_server_closes_without_answer(fake_server: StartFake) -> None:
    """A connection cut before the answer is a closed-connection error."""

    async def hang_up(request: web.Request) -> web.Response:
        assert request.transport is not None
        request.transport.close()
        return web.Response()

    url = await fake_server([("GET", "/api/info", hang_up)])
    async with SmartKitchenClient(url) as client:
        with pytest.raises(SmartKitchenConnectionClosedError):
            await client.get_info()


@pytest.mark.parametrize(
    "url",
    [
        "http://me:s3cret@127.0.0.1:8765",
        "http://:s3cret@127.0.0.1:8765",
        "https://s3cret@kitchen.local",
    ],
)
def test_credentials_in_the_url_are_refused(url: str) -> None:
    """A URL with userinfo is refused at once, and the error does not repeat the secret.

    Accepted, it would be sent as Basic auth and shown in reprs, error messages, the stats'
    last_disconnect_reason and debug logs.
    """
    with pytest.raises(ValueError, match="credentials in the URL") as err:
        SmartKitchenClient(url)
    assert "s3cret" not in str(err.value)
    assert "s3cret" not in repr(err.value)


async def test_connection_refused() -> None:
    """Nothing listening is a connection error, for REST and the WebSocket."""
    async with SmartKitchenClient(f"http://127.0.0.1:{free_port()}") as client:
        with pytest.raises(SmartKitchenConnectionError, match="Error talking to"):
            await client.get_info()
        client.token = "t"
        with pytest.raises(
            SmartKitchenConnectionError, match="Error opening the WebSocket"
        ):
            await client.ws_connect()


async def test_ws_connect(demo_client: Kitchen, fake_server: StartFake) -> None:
    """The upgrade carries the token in the header; 401 and other refusals map to errors."""
    ws, token = await demo_client.ws_connect()
    assert token == demo_client.token
    assert (await ws.receive_json())["type"] == "connected"
    await ws.close()

    async def unauthorized(request: web.Request) -> web.Response:
        assert request.headers["Authorization"] == "Bearer t"
        assert "token" not in request.query
        return web.Response(status=401)

    async def missing(request: web.Request) -> web.Response:
        return web.Response(status=404)

    for handler, error in (
        (unauthorized, SmartKitchenAuthenticationError),
        (missing, SmartKitchenConnectionError),
    ):
        url = await fake_server([("GET", "/ws", handler)])
        async with SmartKitchenClient(url) as client:
            with pytest.raises(SmartKitchenAuthenticationError, match="Not logged in"):
                await client.ws_connect()
            client.token = "t"
            with pytest.raises(error):
                await client.ws_connect()


async def test_verify_ssl(fake_server: StartFake, tmp_path: Path) -> None:
    """Certificates are verified unless verify_ssl=False, for REST and the WebSocket."""

    async def info(request: web.Request) -> web.Response:
        return web.json_response(
            {"serverId": "s", "name": "n", "version": "v", "protocol": 1}
        )

    async def websocket(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.close()
        return ws

    url = await fake_server(
        [("GET", "/api/info", info), ("GET", "/ws", websocket)],
        ssl_context=self_signed_context(tmp_path),
    )
    assert url.startswith("https://")
    async with SmartKitchenClient(url) as client:
        with pytest.raises(SmartKitchenConnectionError, match="certificate"):
            await client.get_info()
    async with SmartKitchenClient(url, verify_ssl=False) as client:
        assert (await client.get_info()).server_id == "s"
        client.token = "t"
        assert client.ws_url.startswith("wss://")
        ws, token = await client.ws_connect()
        await ws.close()
        assert token == "t"
