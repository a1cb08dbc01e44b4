"""Tests for the command line tool `python -m custom_components.smart_kitchen.api watch`."""

import asyncio
from datetime import UTC, datetime
import io
import runpy
import signal
import sys
from typing import Any

from aiohttp import web
import pytest

from custom_components.smart_kitchen.api import (
    ConnectionState,
    ConnectionStateChanged,
    Device,
    DeviceAdded,
    DeviceRemoved,
    DeviceUpdate,
    ServerError,
    cli,
)
from smart_kitchen_server import SmartKitchenServer

from .conftest import WAIT
from .test_models import DISHWASHER, OVEN


class Output(io.StringIO):
    """A stdout stand-in a test can wait on."""

    def __init__(self) -> None:
        """Start empty."""
        super().__init__()
        self.changed = asyncio.Event()

    def write(self, text: str, /) -> int:
        """Record text and wake waiters."""
        self.changed.set()
        return super().write(text)

    async def wait_for(self, text: str) -> None:
        """Wait until the output contains `text`."""
        async with asyncio.timeout(WAIT):
            while text not in self.getvalue():
                self.changed.clear()
                await self.changed.wait()


def test_arguments() -> None:
    """Watch needs --url and --username; --device repeats; --insecure turns off TLS checks."""
    args = cli.build_parser().parse_args(
        [
            "watch",
            "--url",
            "http://k:1",
            "--username",
            "demo",
            "--device",
            "a",
            "--device",
            "b",
            "--insecure",
        ]
    )
    assert (
        args.command,
        args.url,
        args.username,
        args.devices,
        args.insecure,
        args.debug,
    ) == (
        "watch",
        "http://k:1",
        "demo",
        ["a", "b"],
        True,
        False,
    )
    for argv in (
        [],
        ["watch", "--url", "http://k:1"],
        ["watch", "--username", "demo"],
        ["listen"],
    ):
        with pytest.raises(SystemExit) as err:
            cli.build_parser().parse_args(argv)
        assert err.value.code == 2


@pytest.fixture
def fake_watch(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Replace watch() by a stub that records its arguments."""
    calls: dict[str, Any] = {}

    async def watch(url: str, username: str, password: str, **kwargs: Any) -> int:
        calls.update(url=url, username=username, password=password, **kwargs)
        return 0

    monkeypatch.setattr(cli, "watch", watch)
    return calls


def test_main_takes_the_password_from_the_environment(
    fake_watch: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """SMART_KITCHEN_PASSWORD wins; no prompt."""
    monkeypatch.setenv(cli.PASSWORD_ENV, "from-env")
    monkeypatch.setattr("getpass.getpass", pytest.fail)
    assert (
        cli.main(
            [
                "watch",
                "--url",
                "http://k:1",
                "--username",
                "demo",
                "--device",
                "oven-1",
                "--debug",
            ]
        )
        == 0
    )
    assert fake_watch == {
        "url": "http://k:1",
        "username": "demo",
        "password": "from-env",
        "device_ids": ["oven-1"],
        "verify_ssl": True,
    }


def test_main_prompts_for_the_password(
    fake_watch: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the variable the password is asked for, never taken from the command line."""
    monkeypatch.delenv(cli.PASSWORD_ENV, raising=False)
    prompts: list[str] = []

    def getpass(prompt: str) -> str:
        prompts.append(prompt)
        return "typed"

    monkeypatch.setattr("getpass.getpass", getpass)
    assert (
        cli.main(["watch", "--url", "https://k", "--username", "demo", "--insecure"])
        == 0
    )
    assert prompts == ["Password for demo: "]
    assert (
        fake_watch["password"],
        fake_watch["verify_ssl"],
        fake_watch["device_ids"],
    ) == ("typed", False, [])


def test_ctrl_c_exits_cleanly(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C cancels watch() (which closes everything) and main() returns 0."""
    monkeypatch.setenv(cli.PASSWORD_ENV, "x")
    # asyncio.run() turns SIGINT into cancellation only over Python's default handler; a test run
    # started in the background inherits SIGINT ignored, and the raised signal would then be lost.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    cancelled = []

    async def watch(*args: Any, **kwargs: Any) -> int:
        signal.raise_signal(signal.SIGINT)
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.append(True)
            raise
        return 1

    monkeypatch.setattr(cli, "watch", watch)
    try:
        assert cli.main(["watch", "--url", "http://k", "--username", "demo"]) == 0
    finally:
        signal.signal(signal.SIGINT, previous)
    assert cancelled == [True]


async def test_watch_prints_events_until_stopped(server: SmartKitchenServer) -> None:
    """A real run: subscribes to all of the user's devices, prints events, stops on request."""
    out, stop = Output(), asyncio.Event()
    task = asyncio.create_task(
        cli.watch(server.url, "demo", "demo", out=out, stop=stop)
    )
    await out.wait_for("DeviceUpdate device_id=dishwasher-1")
    stop.set()
    assert await task == 0
    lines = out.getvalue().splitlines()
    assert (
        lines[0]
        == "ConnectionStateChanged state=connecting, reason=None, retry_at=None"
    )
    assert (
        "Subscribed device_ids=[oven-1, fridge-1, dishwasher-1], last_alert_id=0"
        in lines
    )
    assert (
        lines[-1] == "ConnectionStateChanged state=closed, reason=None, retry_at=None"
    )
    async with asyncio.timeout(WAIT):
        await server.wait_until(lambda: server.connection_count == 0)


async def test_watch_given_devices(server: SmartKitchenServer) -> None:
    """--device limits the subscription."""
    out, stop = Output(), asyncio.Event()
    task = asyncio.create_task(
        cli.watch(
            server.url, "demo", "demo", device_ids=["fridge-1"], out=out, stop=stop
        )
    )
    await out.wait_for("compartment=freezer")
    stop.set()
    assert await task == 0
    assert "Subscribed device_ids=[fridge-1]" in out.getvalue()


async def test_watch_refused_login(server: SmartKitchenServer) -> None:
    """A wrong password is reported and the exit code is 1."""
    out = Output()
    assert await cli.watch(server.url, "demo", "wrong", out=out) == 1
    assert out.getvalue() == "error: wrong username or password\n"


async def test_watch_refuses_credentials_in_the_url() -> None:
    """A password typed into --url is refused, and the message does not print it."""
    out = Output()
    assert await cli.watch("http://me:s3cret@127.0.0.1:1", "me", "pw", out=out) == 1
    assert out.getvalue() == (
        "error: credentials in the URL are not supported; pass them to login()\n"
    )


async def test_watch_refused_relogin(fake_server: Any) -> None:
    """If the stream's re-login is refused, watch() reports it and exits with 1."""
    logins = 0

    async def login(request: web.Request) -> web.Response:
        nonlocal logins
        logins += 1
        if logins > 1:
            return web.json_response(
                {"error": {"code": "invalid_credentials", "message": "changed"}},
                status=401,
            )
        return web.json_response(
            {"token": "t", "userId": "u", "expiresAt": "2030-01-01T00:00:00Z"}
        )

    async def websocket(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.close(code=1008, message=b"Unauthorized")
        return ws

    url = await fake_server([("POST", "/api/login", login), ("GET", "/ws", websocket)])
    out = Output()
    assert await cli.watch(url, "demo", "pw", device_ids=["x"], out=out) == 1
    assert out.getvalue().splitlines()[-1] == "error: changed"


def test_format_event() -> None:
    """Events print as one readable line: enums by value, models as {field=value}."""
    ts = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    dishwasher = Device.from_wire(DISHWASHER)
    assert cli.format_event(
        DeviceUpdate(
            device_id="dishwasher-1",
            device_type=dishwasher.type,
            compartment=None,
            state=dishwasher.states[None],
            ts=ts,
        )
    ) == (
        "DeviceUpdate device_id=dishwasher-1, device_type=dishwasher, compartment=None, "
        "state={status=running, program=eco, remaining_minutes=90, progress=10, door_open=False, "
        "selected_program=None, starts_at=None, program_energy_wh=None, program_water_liters=None}, "
        "ts=2026-01-02T03:04:05+00:00"
    )
    assert cli.format_event(
        ServerError(code="c", message="m", device_ids=("a", "b"))
    ) == ("ServerError code=c, message=m, device_ids=[a, b]")
    assert cli.format_event(DeviceRemoved(device_id="x")) == "DeviceRemoved device_id=x"
    assert (
        cli.format_event(
            ConnectionStateChanged(
                state=ConnectionState.DISCONNECTED, reason="r", retry_at=ts
            )
        )
        == "ConnectionStateChanged state=disconnected, reason=r, retry_at=2026-01-02T03:04:05+00:00"
    )
    oven = cli.format_event(DeviceAdded(device=Device.from_wire(OVEN)))
    assert oven.startswith(
        "DeviceAdded device={id=oven-1, type=oven, name=Double Oven, model=SK-DO900, "
        "firmware=3.2.1, compartments=[upper, lower], states={upper: {"
    )


def test_module_entry_point(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`python -m custom_components.smart_kitchen.api` runs the tool."""
    monkeypatch.setattr(sys, "argv", ["smart_kitchen", "--help"])
    with pytest.raises(SystemExit) as err:
        runpy.run_module("custom_components.smart_kitchen.api", run_name="__main__")
    assert err.value.code == 0
    assert "watch" in capsys.readouterr().out
