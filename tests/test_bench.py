"""The server's benchmark probe (`--probe FILE`): what it stamps and counts."""

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from aiohttp import ClientSession
import orjson
import pytest

from smart_kitchen_server import (
    ServerConfig,
    SmartKitchenServer,
    __main__ as cli,
    probe,
)
from smart_kitchen_server.auth import hash_password

TIMEOUT = 5.0


@pytest.fixture
def config() -> ServerConfig:
    """Return a server config with an oven and a probe dishwasher (neither changes by ticks)."""
    return ServerConfig.from_dict(
        {
            "server_id": "probe-test",
            "tick": 1.0,
            "users": [{"username": "u", "password_hash": hash_password("pw", n=2)}],
            "devices": [
                {"id": "oven-1", "type": "oven", "name": "Oven", "owner": "u"},
                {
                    "id": "probe-dw-1",
                    "type": "dishwasher",
                    "name": "Probe",
                    "owner": "u",
                },
            ],
        }
    )


@pytest.fixture(autouse=True)
def allow_local_sockets(socket_enabled: None) -> None:
    """Talk to the real server on 127.0.0.1 (the Home Assistant test plugin blocks sockets)."""


@pytest.fixture
def no_recorder() -> Iterator[None]:
    """Make sure no test leaves a recorder enabled for the next one."""
    yield
    probe.disable()


class FakeTransport:
    """Just enough of a transport for the probe: the peer's address."""

    def __init__(self, peername: tuple[str, int] | None) -> None:
        """Remember the address."""
        self.peername = peername

    def get_extra_info(self, name: str) -> Any:
        """Return the peer's address."""
        assert name == "peername"
        return self.peername


class FakePeer:
    """A connection as the probe sees it."""

    def __init__(self, transport: FakeTransport | None) -> None:
        """Hold the transport."""
        self.transport = transport


def read(path: Path) -> list[list[str]]:
    """Return the probe file's lines, split."""
    return [line.split(" ") for line in path.read_text().splitlines()]


async def test_serve_with_probe_stamps_probe_frames(
    config: ServerConfig,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    no_recorder: None,
) -> None:
    """`--probe`: listening, the probe's change and its write to the client, subscriptions, counters."""
    started: asyncio.Future[SmartKitchenServer] = (
        asyncio.get_running_loop().create_future()
    )

    class ReportingServer(SmartKitchenServer):
        """The real server, telling the test where it listens."""

        async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
            bound = await super().start(host, port)
            started.set_result(self)
            return bound

    monkeypatch.setattr(cli, "SmartKitchenServer", ReportingServer)
    path = tmp_path / "probe.txt"
    stop = asyncio.Event()
    serving = asyncio.create_task(
        cli.serve(config, host="127.0.0.1", port=0, stop=stop, probe_file=str(path))
    )
    try:
        async with asyncio.timeout(TIMEOUT):
            server = await started
            async with ClientSession(base_url=server.url) as http:
                login = await http.post(
                    "/api/login", json={"username": "u", "password": "pw"}
                )
                headers = {"Authorization": f"Bearer {(await login.json())['token']}"}
                ws = await http.ws_connect("/ws", headers=headers)
                port = ws.get_extra_info("sockname")[1]
                await ws.send_json(
                    {"type": "subscribe", "deviceIds": ["oven-1", "probe-dw-1"]}
                )
                # connected, subscribed, the snapshot: the oven's compartment and the dishwasher
                for _ in range(4):
                    await ws.receive()
                for device, body in (
                    ("oven-1", {"compartment": "main", "open": True}),
                    ("probe-dw-1", {"open": True}),
                ):
                    await http.post(
                        f"/api/simulation/devices/{device}/door",
                        json=body,
                        headers=headers,
                    )
                    update = orjson.loads((await ws.receive()).data)
                    assert update["deviceId"] == device
                await ws.close()
                await server.wait_until(lambda: server.connection_count == 0)
                stop.set()
                await serving
    finally:
        stop.set()
        await asyncio.gather(serving, return_exceptions=True)

    assert probe.recorder is None
    lines = read(path)
    kinds = [line[0] for line in lines]
    assert kinds[0] == "R"
    # Only the probe appliance's change is stamped, once when published and once per subscriber.
    assert [line[2:] for line in lines if line[0] == "P"] == [["probe-dw-1", "1"]]
    assert [line[2:] for line in lines if line[0] == "W"] == [
        [str(port), "probe-dw-1", "1"]
    ]
    published = next(float(line[1]) for line in lines if line[0] == "P")
    written = next(float(line[1]) for line in lines if line[0] == "W")
    assert published <= written
    assert [line[2:] for line in lines if line[0] == "S"] == [
        [str(port), "2"],
        [str(port), "0"],
    ]
    # Everything written to the client, counted: 2 + 2 snapshot frames + 2 updates.
    counters = lines[-1]
    assert counters[0] == "C"
    assert counters[2].split(":")[:2] == [str(port), "6"]


async def test_recorder_flushes_on_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_recorder: None
) -> None:
    """The flush loop writes what was recorded (and the per-client counters) without being asked."""
    monkeypatch.setattr(probe, "FLUSH_INTERVAL", 0)
    recorder = probe.enable(tmp_path / "probe.txt")
    flushed = asyncio.Event()
    flush = recorder.flush

    def flush_and_tell() -> None:
        flush()
        flushed.set()

    monkeypatch.setattr(recorder, "flush", flush_and_tell)
    recorder.listening()
    loop = asyncio.create_task(recorder.run())
    async with asyncio.timeout(TIMEOUT):
        await flushed.wait()
    loop.cancel()
    assert [line[0] for line in read(tmp_path / "probe.txt")][:2] == ["R", "C"]


def test_recorder_names_clients_by_port_and_forgets_old_probes(
    tmp_path: Path, no_recorder: None
) -> None:
    """A client without a transport or address is port 0; only the newest probe payloads are kept."""
    recorder = probe.enable(tmp_path / "probe.txt")
    payloads = [f"probe {n}".encode() for n in range(probe._REMEMBERED + 1)]
    for payload in payloads:
        recorder.published("probe-dw-1", False, payload)
    for peer in (
        FakePeer(None),
        FakePeer(FakeTransport(None)),
        FakePeer(FakeTransport(("h", 9))),
    ):
        recorder.writing(peer, payloads[0], 0)
        recorder.writing(peer, payloads[-1], 3)
        recorder.subscribed(peer, 1)
    probe.disable()

    lines = read(tmp_path / "probe.txt")
    # The oldest payload was forgotten, so only the newest one's writes are stamped.
    assert [line[2] for line in lines if line[0] == "W"] == ["0", "0", "9"]
    assert [line[2] for line in lines if line[0] == "S"] == ["0", "0", "9"]
    size = len(payloads[0]) + len(payloads[-1])
    assert lines[-1][2:] == [f"0:2:{size}:3", f"0:2:{size}:3", f"9:2:{size}:3"]
