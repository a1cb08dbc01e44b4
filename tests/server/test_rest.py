"""REST endpoints: info, login and its throttle, logout, device list, command errors, HTTP errors."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import ClientSession
import pytest
from syrupy.assertion import SnapshotAssertion

from smart_kitchen_server import SmartKitchenServer
from tests.helpers import FakeClock

from .conftest import WsClient


async def test_info_needs_no_token(http: ClientSession) -> None:
    """GET /api/info describes the server."""
    response = await http.get("/api/info")

    assert response.status == 200
    assert response.content_type == "application/json"
    assert await response.json() == {
        "serverId": "smart-kitchen-demo",
        "name": "Demo Kitchen",
        "version": "0.1.0",
        "protocol": 1,
    }


async def test_login(http: ClientSession, clock: FakeClock) -> None:
    """Good credentials get a token, the user id and the expiry 24 h from now."""
    response = await http.post(
        "/api/login", json={"username": "demo", "password": "demo"}
    )

    assert response.status == 200
    body = await response.json()
    assert body == {
        "token": body["token"],
        "userId": "user-demo",
        "expiresAt": "2026-11-28T08:00:00.000Z",
    }
    assert len(body["token"]) >= 32


@pytest.mark.parametrize(
    ("username", "password"), [("demo", "wrong"), ("nobody", "demo"), ("alice", "demo")]
)
async def test_login_bad_credentials(
    http: ClientSession, username: str, password: str
) -> None:
    """A wrong password and an unknown user get the same 401."""
    response = await http.post(
        "/api/login", json={"username": username, "password": password}
    )

    assert response.status == 401
    assert await response.json() == {
        "error": {
            "code": "invalid_credentials",
            "message": "wrong username or password",
        }
    }


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b'{"username": "demo"}',
        b'{"username": 1, "password": "demo"}',
        b"",
    ],
)
async def test_login_malformed_body(http: ClientSession, body: bytes) -> None:
    """Bodies that are not a JSON object with two strings get 400 bad_request."""
    response = await http.post("/api/login", data=body)

    assert response.status == 400
    assert (await response.json())["error"]["code"] == "bad_request"


async def test_login_throttle(
    http: ClientSession, clock: FakeClock, login: Callable[..., Awaitable[str]]
) -> None:
    """Five failures in a minute lock the username, even for the right password, until they age out."""
    for _ in range(5):
        response = await http.post(
            "/api/login", json={"username": "demo", "password": "x"}
        )
        assert response.status == 401
        clock.advance(10)

    response = await http.post(
        "/api/login", json={"username": "demo", "password": "demo"}
    )
    assert response.status == 429
    assert (await response.json())["error"]["code"] == "too_many_attempts"
    # The oldest failure was 50 s ago, so it leaves the window in 10 s.
    assert response.headers["Retry-After"] == "10"

    # Other usernames are not affected.
    assert await login("alice")

    clock.advance(9.5)
    response = await http.post(
        "/api/login", json={"username": "demo", "password": "demo"}
    )
    assert response.status == 429
    assert response.headers["Retry-After"] == "1"

    clock.advance(0.5)
    assert await login("demo")


async def test_login_throttle_holds_for_parallel_guesses(http: ClientSession) -> None:
    """Guesses sent at once cannot all slip past the limit while the first are being checked."""
    responses = await asyncio.gather(
        *(
            http.post("/api/login", json={"username": "demo", "password": f"x{i}"})
            for i in range(8)
        )
    )

    assert sorted(response.status for response in responses) == [401] * 5 + [429] * 3


async def test_successful_login_clears_failures(
    http: ClientSession, login: Callable[..., Awaitable[str]]
) -> None:
    """Failures before a good login do not count toward the next lock."""
    for _ in range(4):
        await http.post("/api/login", json={"username": "demo", "password": "x"})
    await login()
    for _ in range(4):
        await http.post("/api/login", json={"username": "demo", "password": "x"})

    assert await login()


async def test_devices_lists_only_own_devices(
    http: ClientSession,
    auth: dict[str, str],
    login: Callable[..., Awaitable[str]],
    snapshot: SnapshotAssertion,
) -> None:
    """Each user sees exactly their own appliances, in their initial state."""
    response = await http.get("/api/devices", headers=auth)
    assert response.status == 200
    assert await response.json() == snapshot

    alice = await login("alice")
    response = await http.get(
        "/api/devices", headers={"Authorization": f"Bearer {alice}"}
    )
    assert [device["id"] for device in (await response.json())["devices"]] == [
        "fridge-2"
    ]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": "Basic ZGVtbzpkZW1v"},
        {"Authorization": "Bearer "},
    ],
)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/devices"),
        ("POST", "/api/logout"),
        ("POST", "/api/devices/oven-1/commands"),
        ("POST", "/api/simulation/devices"),
        ("POST", "/api/simulation/devices/oven-1/door"),
        ("POST", "/api/simulation/devices/oven-1/online"),
        ("DELETE", "/api/simulation/devices/oven-1"),
    ],
)
async def test_token_required(
    http: ClientSession, headers: dict[str, str], method: str, path: str
) -> None:
    """Every endpoint but info and login needs a valid bearer token."""
    response = await http.request(method, path, headers=headers, json={})

    assert response.status == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert (await response.json())["error"]["code"] == "unauthorized"


async def test_token_expires(
    http: ClientSession, auth: dict[str, str], clock: FakeClock
) -> None:
    """A token stops working 24 hours after login."""
    clock.advance(24 * 3600 - 1)
    assert (await http.get("/api/devices", headers=auth)).status == 200

    clock.advance(1)
    assert (await http.get("/api/devices", headers=auth)).status == 401


async def test_expired_sessions_are_swept(
    server: SmartKitchenServer, login: Callable[..., Awaitable[str]], clock: FakeClock
) -> None:
    """Expired sessions do not pile up in memory."""
    await login()
    await login()
    assert len(server.sessions) == 2

    clock.advance(24 * 3600)
    await login()

    assert len(server.sessions) == 1


async def test_logout(
    http: ClientSession,
    auth: dict[str, str],
    login: Callable[..., Awaitable[str]],
    connect: Callable[..., Awaitable[WsClient]],
    token: str,
) -> None:
    """Logout ends that token at once, closes its sockets with 1008 and leaves other tokens alone."""
    other = await login()
    mine = await connect(token)
    theirs = await connect(other)

    response = await http.post("/api/logout", headers=auth)

    assert response.status == 204
    assert await mine.closed() == (1008, "Logged out")
    assert (await http.get("/api/devices", headers=auth)).status == 401
    assert (await http.post("/api/logout", headers=auth)).status == 401
    await theirs.barrier()
    other_auth = {"Authorization": f"Bearer {other}"}
    assert (await http.get("/api/devices", headers=other_auth)).status == 200


async def test_unknown_path_and_method(http: ClientSession) -> None:
    """Errors aiohttp raises itself come in the protocol's error envelope."""
    response = await http.get("/api/nothing")
    assert response.status == 404
    assert (await response.json())["error"]["code"] == "not_found"

    response = await http.delete("/api/info")
    assert response.status == 405
    assert "GET" in response.headers["Allow"]
    assert (await response.json())["error"]["code"] == "method_not_allowed"


async def test_body_too_large(http: ClientSession) -> None:
    """Bodies over 64 KiB are refused with 413."""
    response = await http.post("/api/login", data=b"x" * (64 * 1024 + 1))

    assert response.status == 413
    assert (await response.json())["error"]["code"] == "payload_too_large"


async def test_other_http_errors_keep_the_envelope(http: ClientSession) -> None:
    """An HTTP error without its own code still has the envelope."""
    response = await http.get("/ws")  # not an upgrade request

    assert response.status == 400
    assert (await response.json())["error"]["code"] == "http_error"


@pytest.mark.parametrize(
    "expected",
    [("fridge-2", 403, "forbidden"), ("toaster-1", 404, "unknown_device")],
)
@pytest.mark.parametrize(
    "request_",
    [
        ("POST", "/api/devices/{}/commands", {"command": "turn_off"}),
        ("POST", "/api/simulation/devices/{}/door", {"open": True}),
        ("DELETE", "/api/simulation/devices/{}", None),
    ],
)
async def test_other_users_and_unknown_devices(
    http: ClientSession,
    auth: dict[str, str],
    expected: tuple[str, int, str],
    request_: tuple[str, str, dict[str, Any] | None],
) -> None:
    """Another user's device is 403, a missing one 404, for commands and the simulation API alike."""
    device_id, status, code = expected
    method, path, body = request_

    response = await http.request(
        method, path.format(device_id), json=body, headers=auth
    )

    assert response.status == status
    assert (await response.json())["error"]["code"] == code
