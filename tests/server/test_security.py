"""Security properties: no user reaches another's devices, the login throttle, tokens, secrets in logs."""

import asyncio
import base64
from collections import Counter
from collections.abc import AsyncGenerator, Awaitable, Callable
import logging
import re

from aiohttp import ClientSession, TCPConnector
import pytest

from smart_kitchen_server import ServerConfig, SmartKitchenServer, UserConfig
from smart_kitchen_server.auth import hash_password
from tests.helpers import FakeClock

from .conftest import WsClient
from .wire import RawConnection

type Login = Callable[..., Awaitable[str]]
type Connect = Callable[..., Awaitable[WsClient]]

OTHER_ADDRESS = (
    "127.0.0.2"  # the whole of 127.0.0.0/8 is loopback: a second client address
)


def auth_header(token: str) -> dict[str, str]:
    """Return headers authenticating with a token."""
    return {"Authorization": f"Bearer {token}"}


async def login_status(http: ClientSession, username: str, password: str) -> int:
    """Try a login and return the status."""
    response = await http.post(
        "/api/login", json={"username": username, "password": password}
    )
    return response.status


@pytest.fixture
async def other_address(server: SmartKitchenServer) -> AsyncGenerator[ClientSession]:
    """Open an HTTP session whose connections come from a second address."""
    async with ClientSession(
        base_url=server.url, connector=TCPConnector(local_addr=(OTHER_ADDRESS, 0))
    ) as session:
        yield session


# Cross-user refusals


@pytest.mark.parametrize(
    ("user", "own", "foreign"),
    [("demo", "fridge-1", "fridge-2"), ("alice", "fridge-2", "oven-1")],
)
async def test_rest_refuses_another_users_device(
    http: ClientSession,
    login: Login,
    server: SmartKitchenServer,
    *,
    user: str,
    own: str,
    foreign: str,
) -> None:
    """A user neither sees, commands, opens nor removes another user's appliance; nothing changes."""
    headers = auth_header(await login(user))
    before = server.simulation.devices[foreign].to_wire()

    devices = await (await http.get("/api/devices", headers=headers)).json()
    assert own in [device["id"] for device in devices["devices"]]
    assert foreign not in [device["id"] for device in devices["devices"]]
    for method, path, body in [
        ("POST", f"/api/devices/{foreign}/commands", {"command": "turn_off"}),
        ("POST", f"/api/simulation/devices/{foreign}/door", {"open": True}),
        ("DELETE", f"/api/simulation/devices/{foreign}", None),
    ]:
        response = await http.request(method, path, json=body, headers=headers)
        assert response.status == 403, path
        assert (await response.json())["error"]["code"] == "forbidden"

    assert server.simulation.devices[foreign].to_wire() == before


async def test_websocket_refuses_another_users_device(
    login: Login, connect: Connect, http: ClientSession
) -> None:
    """Subscribing to another user's device is refused, and its updates never reach the subscriber."""
    demo = await connect(await login("demo"))
    alice_token = await login("alice")

    messages = await demo.subscribe(["fridge-2", "fridge-1"])

    assert messages[0] == {
        "type": "error",
        "code": "forbidden_device",
        "message": "not your device(s): fridge-2",
        "deviceIds": ["fridge-2"],
    }
    assert messages[1]["deviceIds"] == ["fridge-1"]
    response = await http.post(
        "/api/simulation/devices/fridge-2/door",
        json={"compartment": "fridge", "open": True},
        headers=auth_header(alice_token),
    )
    assert response.status == 200
    # Nothing about fridge-2 is queued for demo.
    await demo.barrier()


# The login throttle


async def test_burst_of_right_logins_is_never_throttled(http: ClientSession) -> None:
    """200 logins with the right password at once all succeed (no failure is counted for them)."""
    responses = await asyncio.gather(
        *(
            http.post("/api/login", json={"username": "demo", "password": "demo"})
            for _ in range(200)
        )
    )

    assert Counter(response.status for response in responses) == {200: 200}


async def test_burst_of_wrong_guesses_gets_limit_checks(http: ClientSession) -> None:
    """50 parallel wrong guesses: exactly 5 are checked, the rest are refused unchecked."""
    responses = await asyncio.gather(
        *(
            http.post("/api/login", json={"username": "demo", "password": f"x{i}"})
            for i in range(50)
        )
    )

    assert Counter(response.status for response in responses) == {401: 5, 429: 45}


async def test_password_spraying_is_throttled_per_address(
    http: ClientSession, other_address: ClientSession, clock: FakeClock
) -> None:
    """40 usernames from one address: 10 guesses are checked, then the address is refused."""
    statuses = [
        await login_status(http, f"user{index}", "password1") for index in range(40)
    ]

    assert statuses == [401] * 10 + [429] * 30
    # The address is refused even for a right password, which is never checked...
    response = await http.post(
        "/api/login", json={"username": "alice", "password": "alice"}
    )
    assert response.status == 429
    assert response.headers["Retry-After"] == "60"
    # ...while another address logs in as usual, until the failures age out.
    assert await login_status(other_address, "alice", "alice") == 200
    clock.advance(60)
    assert await login_status(http, "alice", "alice") == 200


async def test_parallel_spraying_is_throttled_per_address(http: ClientSession) -> None:
    """40 usernames guessed at once from one address: at most 10 are checked."""
    responses = await asyncio.gather(
        *(
            http.post("/api/login", json={"username": f"u{i}", "password": "x"})
            for i in range(40)
        )
    )

    assert Counter(response.status for response in responses) == {401: 10, 429: 30}


async def test_right_logins_do_not_count_for_an_address(http: ClientSession) -> None:
    """Many good logins from an address leave its whole failure allowance intact."""
    for _ in range(30):
        assert await login_status(http, "demo", "demo") == 200

    statuses = [await login_status(http, f"user{i}", "x") for i in range(11)]

    assert statuses == [401] * 10 + [429]


async def test_username_throttle_spans_addresses(
    http: ClientSession, other_address: ClientSession
) -> None:
    """Guesses for one username from two addresses add up for that username."""
    for _ in range(3):
        assert await login_status(http, "demo", "x") == 401
    for _ in range(2):
        assert await login_status(other_address, "demo", "x") == 401

    assert await login_status(other_address, "demo", "demo") == 429
    assert await login_status(other_address, "alice", "alice") == 200


# Tokens


async def test_tokens_are_long_random_and_unique(login: Login) -> None:
    """Tokens are 43 URL-safe characters carrying 32 random bytes, all different, every bit varying."""
    tokens = [await login("demo") for _ in range(200)]

    assert len(set(tokens)) == len(tokens)
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{43}", token) for token in tokens)
    raw = [base64.urlsafe_b64decode(token + "=") for token in tokens]
    assert {len(value) for value in raw} == {32}
    # Each of the 256 bits is set in roughly half the tokens: none is fixed or biased (200 fair coin
    # flips land outside 50-150 with odds below 1e-12).
    for bit in range(256):
        ones = sum(value[bit // 8] >> (bit % 8) & 1 for value in raw)
        assert 50 <= ones <= 150, bit


async def test_token_expiry(
    http: ClientSession,
    clock: FakeClock,
    server: SmartKitchenServer,
    connect: Connect,
    login: Login,
) -> None:
    """A token works until its lifetime ends and then nowhere: REST 401, WebSocket 1008."""
    token = await login("demo")
    lifetime = server.config.token_lifetime
    opened_before = await connect(token)

    clock.advance(lifetime - 1)
    assert (await http.get("/api/devices", headers=auth_header(token))).status == 200
    clock.advance(1)

    response = await http.get("/api/devices", headers=auth_header(token))
    assert response.status == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    late = await connect(token, expect_connected=False)
    assert await late.closed() == (1008, "Unauthorized")
    late_by_query = await connect(token, query=True, expect_connected=False)
    assert await late_by_query.closed() == (1008, "Unauthorized")
    # A socket opened in time outlives the token's expiry (checked at the upgrade only).
    await opened_before.barrier()


async def test_logout_ends_the_token_and_its_sockets(
    http: ClientSession, connect: Connect, login: Login
) -> None:
    """After logout the token works nowhere and its sockets close; the user's other token stays."""
    token = await login("demo")
    other = await login("demo")
    by_header = await connect(token)
    by_query = await connect(token, query=True)
    other_socket = await connect(other)

    response = await http.post("/api/logout", headers=auth_header(token))

    assert response.status == 204
    assert await by_header.closed() == (1008, "Logged out")
    assert await by_query.closed() == (1008, "Logged out")
    assert (await http.get("/api/devices", headers=auth_header(token))).status == 401
    assert (await http.post("/api/logout", headers=auth_header(token))).status == 401
    refused = await connect(token, expect_connected=False)
    assert await refused.closed() == (1008, "Unauthorized")
    assert (await http.get("/api/devices", headers=auth_header(other))).status == 200
    await other_socket.barrier()


# Secrets and the log


async def test_no_secret_in_any_log_record(
    caplog: pytest.LogCaptureFixture, clock: FakeClock
) -> None:
    """A session with logins, failures, throttling, reconnects, expiry and logout logs no secret at DEBUG."""
    password = "correct horse battery staple"
    wrong = [
        "Tr0ub4dor&3",
        "hunter2-guess",
        "letmein-123456",
        "p@ssw0rd!x",
        "qwerty-9z",
    ]
    config = ServerConfig(
        server_id="secrets",
        users=(
            UserConfig(username="carol", password_hash=hash_password(password, n=1024)),
        ),
        token_lifetime=600,
        tick=None,
    )
    caplog.set_level(logging.DEBUG)
    tokens: list[str] = []

    async with (
        SmartKitchenServer(config, clock=clock) as server,
        ClientSession(base_url=server.url) as http,
    ):

        async def good_login() -> str:
            response = await http.post(
                "/api/login", json={"username": "carol", "password": password}
            )
            assert response.status == 200
            token: str = (await response.json())["token"]
            tokens.append(token)
            return token

        for guess in wrong:
            assert await login_status(http, "carol", guess) == 401
        assert await login_status(http, "carol", password) == 429
        clock.advance(60)
        token = await good_login()
        first = await http.ws_connect("/ws", headers=auth_header(token))
        second = await http.ws_connect("/ws", params={"token": token})
        await server.wait_until(lambda: server.connection_count == 2)
        await server.drop_connections()
        await first.close()
        await second.close()
        third = await http.ws_connect("/ws", params={"token": token})
        await server.wait_until(lambda: server.connection_count == 1)
        # Requests carrying the token where it does not belong, or a token that does not exist.
        await http.get(f"/api/nothing/{token}", headers=auth_header(token))
        await http.get("/api/devices", headers=auth_header(token + "x"))
        await http.post("/api/login", data=f'{{"username": "{password}"'.encode())
        # Malformed requests, which aiohttp's own messages would quote.
        for data in (
            f"t` /ws HTTP/1.1\nHost: k\nAuthorization: Bearer {token}\n\n",
            f"GET http://[/ws?token={token} HTTP/1.1\r\nHost: k\r\n\r\n",
            f'POST /api/login HTTP/1.1\nHost: k\n\n{{"password": "{password}"}}',
        ):
            connection = await RawConnection.open(server.port)
            await connection.send(data.encode())
            assert (await connection.response()).status == 400
            connection.close()
        clock.advance(600)
        await http.get("/api/devices", headers=auth_header(token))
        expired = await http.ws_connect("/ws", params={"token": token})
        await expired.receive()
        await third.close()
        await http.post("/api/logout", headers=auth_header(await good_login()))

    secrets = [password, *wrong, *tokens]
    assert len(caplog.records) > 10
    for record in caplog.records:
        text = record.getMessage() + (record.exc_text or "") + repr(record.args)
        for secret in secrets:
            assert secret not in text, (secret, record)


def _lines(records: list[logging.LogRecord]) -> list[str]:
    """Return the formatted messages of some records."""
    return [record.getMessage() for record in records]


async def test_failed_logins_log_a_short_username(
    http: ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    """A username of 60,000 characters costs the log a short quoted prefix, not 60 KB."""
    caplog.set_level(logging.INFO)

    assert await login_status(http, "A" * 60_000 + "\n", "x") == 401

    (line,) = [
        line for line in _lines(caplog.records) if line.startswith("Failed login")
    ]
    assert line == f"Failed login for '{'A' * 64}'..."


async def test_throttling_is_logged_once_per_block(
    http: ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    """Reaching a limit is logged once; the refusals after it are not logged at all."""
    caplog.set_level(logging.INFO)

    for _ in range(20):
        await login_status(http, "demo", "x")

    lines = _lines(caplog.records)
    assert lines.count("Failed login for 'demo'") == 5
    assert [line for line in lines if line.startswith("Refusing")] == [
        "Refusing logins for username 'demo' for 60 seconds after 5 failures"
    ]


async def test_refused_subscriptions_log_a_short_line(
    client: WsClient, caplog: pytest.LogCaptureFixture
) -> None:
    """Subscribing to 1,500 long made-up ids (50 KB) costs the log one short line."""
    caplog.set_level(logging.INFO)
    made_up = [f"{index:05d}-" + "x" * 24 for index in range(1500)] + ["a\nb" * 40]

    await client.subscribe(["oven-1", *made_up])

    (line,) = [line for line in _lines(caplog.records) if "subscribed" in line]
    assert line == (
        "demo subscribed to oven-1 (refused 00000-xxxxxxxxxxxxxxxxxxxxxxxx, "
        "00001-xxxxxxxxxxxxxxxxxxxxxxxx, 00002-xxxxxxxxxxxxxxxxxxxxxxxx, "
        "00003-xxxxxxxxxxxxxxxxxxxxxxxx, 00004-xxxxxxxxxxxxxxxxxxxxxxxx and 1496 more)"
    )


async def test_odd_refused_ids_are_quoted(
    client: WsClient, caplog: pytest.LogCaptureFixture
) -> None:
    """An id that could not be a device id is quoted and cut, so it cannot forge log lines."""
    caplog.set_level(logging.INFO)

    await client.subscribe(["fridge-2", "x\nERROR forged line" + "y" * 100])

    (line,) = [line for line in _lines(caplog.records) if "subscribed" in line]
    assert line == (
        "demo subscribed to nothing (refused fridge-2, "
        f"'x\\nERROR forged line{'y' * 45}'...)"
    )
