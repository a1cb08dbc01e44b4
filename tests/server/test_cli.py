"""The command line: argument parsing, hash-password, serving, and the zeroconf record (never sent)."""

import asyncio
from collections.abc import Coroutine
import io
from pathlib import Path
from typing import Any, ClassVar

from aiohttp import ClientSession
import pytest
from zeroconf import ServiceInfo

from smart_kitchen_server import (
    ServerConfig,
    SmartKitchenServer,
    __main__ as cli,
    advertise,
)
from smart_kitchen_server.auth import verify_password

from .conftest import TIMEOUT


class FakeStdin(io.StringIO):
    """Standard input that may pretend to be a terminal."""

    def __init__(self, text: str, tty: bool) -> None:
        """Hold the text to read."""
        super().__init__(text)
        self._tty = tty

    def isatty(self) -> bool:
        """Say whether this is a terminal."""
        return self._tty


def test_hash_password_from_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Piped input: one line is the password; the printed hash verifies it."""
    monkeypatch.setattr("sys.stdin", FakeStdin("s3cret\n", tty=False))

    assert cli.main(["hash-password"]) == 0

    encoded = capsys.readouterr().out.strip()
    assert verify_password("s3cret", encoded)
    ServerConfig.from_dict(
        {
            "server_id": "k",
            "users": [{"username": "u", "password_hash": encoded}],
            "devices": [],
        }
    )


@pytest.mark.parametrize(
    ("answers", "status", "error"),
    [
        (["pw", "pw"], 0, ""),
        (["pw", "other"], 1, "the passwords differ"),
        (["", ""], 1, "must not be empty"),
    ],
)
def test_hash_password_prompt(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    answers: list[str],
    status: int,
    error: str,
) -> None:
    """On a terminal the password is asked twice and must match and not be empty."""
    monkeypatch.setattr("sys.stdin", FakeStdin("", tty=True))
    replies = iter(answers)
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(replies))
    monkeypatch.setattr(cli, "hash_password", lambda password: f"hash-of-{password}")

    assert cli.main(["hash-password"]) == status

    out, err = capsys.readouterr()
    assert error in err
    assert out == ("hash-of-pw\n" if status == 0 else "")


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Replace asyncio.run + serve with a recorder, so main() never opens a socket."""
    calls: list[dict[str, Any]] = []

    async def fake_serve(config: ServerConfig, **kwargs: Any) -> None:
        calls.append({"config": config, **kwargs})

    monkeypatch.setattr(cli, "serve", fake_serve)
    monkeypatch.setattr("asyncio.run", _drive)
    return calls


def _drive(coro: Coroutine[Any, Any, None]) -> None:
    """Run a coroutine that never awaits anything pending (the fake serve)."""
    try:
        coro.send(None)
    except StopIteration:
        return
    raise AssertionError("the fake serve should not suspend")  # pragma: no cover


def test_main_defaults(served: list[dict[str, Any]]) -> None:
    """No arguments: the demo on 127.0.0.1:8765 with a 2 s tick, not advertised."""
    assert cli.main([]) == 0

    (call,) = served
    assert call["config"] == ServerConfig.demo()
    assert (call["host"], call["port"], call["advertise_service"]) == (
        "127.0.0.1",
        8765,
        False,
    )


def test_main_options(served: list[dict[str, Any]], tmp_path: Path) -> None:
    """--host/--port/--tick/--config/--advertise reach the server."""
    path = tmp_path / "kitchen.yaml"
    path.write_text(
        "server_id: k\nusers: []\ndevices: []\ntick: 5\ndoor_alert_ticks: 3\n"
    )

    assert (
        cli.main(
            [
                "--host",
                "0.0.0.0",  # noqa: S104 - parsed only, nothing is bound
                "--port",
                "9000",
                "--tick",
                "0.25",
                "--config",
                str(path),
                "--advertise",
            ]
        )
        == 0
    )

    (call,) = served
    assert (call["host"], call["port"], call["advertise_service"]) == (
        "0.0.0.0",  # noqa: S104 - compared only
        9000,
        True,
    )
    assert (
        call["config"].server_id,
        call["config"].tick,
        call["config"].door_alert_ticks,
    ) == ("k", 0.25, 3)


def test_main_keeps_config_tick(served: list[dict[str, Any]], tmp_path: Path) -> None:
    """Without --tick the config file's tick is used."""
    path = tmp_path / "kitchen.yaml"
    path.write_text("server_id: k\nusers: []\ndevices: []\ntick: 5\n")

    assert cli.main(["--config", str(path)]) == 0

    assert served[0]["config"].tick == 5.0


@pytest.mark.parametrize("tick", ["0", "-1", "fast"])
def test_main_rejects_bad_tick(tick: str, capsys: pytest.CaptureFixture[str]) -> None:
    """--tick must be a positive number."""
    with pytest.raises(SystemExit) as exc:
        cli.main(["--tick", tick])

    assert exc.value.code == 2
    assert "--tick" in capsys.readouterr().err


def test_main_bad_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An unusable config file exits with status 2 and says why."""
    assert cli.main(["--config", str(tmp_path / "missing.yaml")]) == 2

    assert "error: cannot read" in capsys.readouterr().err


def test_main_cannot_listen(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A port that cannot be bound exits with status 1."""

    def fail(coro: Coroutine[Any, Any, None]) -> None:
        coro.close()
        raise OSError(98, "Address already in use")

    monkeypatch.setattr("asyncio.run", fail)

    assert cli.main(["--port", "1"]) == 1

    assert (
        "cannot serve on 127.0.0.1:1: Address already in use" in capsys.readouterr().err
    )


async def test_serve_until_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    """serve() serves the demo (info and a demo login answer over HTTP) until asked to stop."""
    started: asyncio.Future[SmartKitchenServer] = (
        asyncio.get_running_loop().create_future()
    )

    class ReportingServer(SmartKitchenServer):
        """The real server, telling the test where it listens once it does."""

        async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
            bound = await super().start(host, port)
            started.set_result(self)
            return bound

    monkeypatch.setattr(cli, "SmartKitchenServer", ReportingServer)
    stop = asyncio.Event()
    serving = asyncio.create_task(
        cli.serve(ServerConfig.demo(tick=None), host="127.0.0.1", port=0, stop=stop)
    )
    try:
        async with asyncio.timeout(TIMEOUT):
            server = await started
        async with ClientSession(base_url=server.url) as http:
            info = await http.get("/api/info")
            assert info.status == 200
            assert (await info.json())["protocol"] == 1
            login = await http.post(
                "/api/login", json={"username": "demo", "password": "demo"}
            )
            assert login.status == 200
            assert (await login.json())["token"]
        assert not serving.done()
    finally:
        stop.set()
        async with asyncio.timeout(TIMEOUT):
            await serving
    assert server.connection_count == 0
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.url


class FakeZeroconf:
    """Records what would be announced instead of sending multicast."""

    instances: ClassVar[list[FakeZeroconf]] = []
    announced: ClassVar[asyncio.Event]

    def __init__(self) -> None:
        """Start with nothing registered."""
        self.registered: list[ServiceInfo] = []
        self.closed = False
        FakeZeroconf.instances.append(self)

    async def async_register_service(
        self, info: ServiceInfo, allow_name_change: bool
    ) -> None:
        """Record a registration."""
        self.registered.append(info)
        FakeZeroconf.announced.set()

    async def async_unregister_all_services(self) -> None:
        """Record the unregistration."""
        self.registered.clear()

    async def async_close(self) -> None:
        """Record closing."""
        self.closed = True


async def test_serve_advertises(monkeypatch: pytest.MonkeyPatch) -> None:
    """With advertising on, the service is registered while serving and withdrawn afterwards."""
    monkeypatch.setattr(advertise, "AsyncZeroconf", FakeZeroconf)
    FakeZeroconf.instances.clear()
    FakeZeroconf.announced = asyncio.Event()
    stop = asyncio.Event()
    registered: list[ServiceInfo] = []

    async def watch() -> None:
        # Serving has begun once the service is announced; then ask serve() to stop.
        await FakeZeroconf.announced.wait()
        registered.extend(FakeZeroconf.instances[0].registered)
        stop.set()

    watcher = asyncio.create_task(watch())
    async with asyncio.timeout(TIMEOUT):
        await cli.serve(
            ServerConfig.demo(tick=None),
            host="127.0.0.1",
            port=0,
            advertise_service=True,
            stop=stop,
        )
        await watcher

    (info,) = registered
    assert info.type == "_smartkitchen._tcp.local."
    assert info.parsed_addresses() == ["127.0.0.1"]
    zeroconf = FakeZeroconf.instances[0]
    assert zeroconf.registered == []
    assert zeroconf.closed


def test_service_info() -> None:
    """The zeroconf record carries the server id and protocol in TXT."""
    info = advertise.build_service_info(
        server_id="smart-kitchen-demo",
        name="Demo Kitchen",
        port=8765,
        addresses=["192.168.1.20"],
        hostname="pantry.lan",
    )

    assert info.type == "_smartkitchen._tcp.local."
    assert info.name == "Demo Kitchen._smartkitchen._tcp.local."
    assert info.port == 8765
    assert info.server == "pantry.local."
    assert info.parsed_addresses() == ["192.168.1.20"]
    assert info.properties == {
        b"serverId": b"smart-kitchen-demo",
        b"protocol": b"1",
        b"version": b"0.1.0",
    }


def test_service_info_instance_name() -> None:
    """Dots are not allowed in the instance label; an empty name falls back to the server id."""
    info = advertise.build_service_info(
        server_id="k", name="My.Kitchen", port=1, addresses=[], hostname="h"
    )
    assert info.name == "My Kitchen._smartkitchen._tcp.local."

    info = advertise.build_service_info(
        server_id="k", name="...", port=1, addresses=[], hostname="h"
    )
    assert info.name == "k._smartkitchen._tcp.local."


def test_advertised_addresses(monkeypatch: pytest.MonkeyPatch) -> None:
    """A bound IP is announced as is; a wildcard or host name announces every non-loopback IPv4."""

    class Ip:
        def __init__(self, ip: object, is_ipv4: bool) -> None:
            self.ip = ip
            self.is_IPv4 = is_ipv4

    class Adapter:
        ips: ClassVar[list[Ip]] = [
            Ip("127.0.0.1", True),
            Ip("192.168.1.20", True),
            Ip(("fe80::1", 0, 2), False),
            Ip("10.0.0.5", True),
        ]

    monkeypatch.setattr("ifaddr.get_adapters", lambda: [Adapter()])

    assert advertise.advertised_addresses("192.168.1.20") == ["192.168.1.20"]
    wildcard = "0.0.0.0"  # noqa: S104 - an argument, nothing is bound
    assert advertise.advertised_addresses(wildcard) == ["10.0.0.5", "192.168.1.20"]
    assert advertise.advertised_addresses("kitchen.local") == [
        "10.0.0.5",
        "192.168.1.20",
    ]
