"""The benchmarks: the server's probe hook, the analysis, and `scripts/bench --quick` end to end.

The quick run measures nothing (tiny sizes, steps overlapping); it proves that every step of the
benchmark still works against today's server, library and integration, so the benchmark cannot rot.
"""

import asyncio
from collections.abc import Iterator
import json
import os
from pathlib import Path
import signal
import subprocess
import sys
from typing import Any

from aiohttp import ClientSession
import orjson
import pytest

from benchmarks import analysis
from benchmarks.common import summarize
from benchmarks.kitchen import Kitchen
from benchmarks.processes import ProbeLog
from smart_kitchen_server import (
    ServerConfig,
    SmartKitchenServer,
    __main__ as cli,
    probe,
)
from smart_kitchen_server.auth import hash_password

REPO = Path(__file__).parent.parent
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


def test_kitchen_mix_and_probes_last() -> None:
    """Three appliances are one of each kind with the probe last; a tenth of big kitchens are probes."""
    small = Kitchen.of_size(3, tag="t")
    assert [(a.id, a.type) for a in small.appliances] == [
        ("t-oven-1", "oven"),
        ("t-fridge-1", "fridge"),
        ("probe-t-dishwasher-1", "dishwasher"),
    ]
    assert small.streams == 5
    big = Kitchen.of_size(1000, tag="b")
    assert len(big.probes) == 10
    assert big.appliances[-10:] == big.probes
    kinds = [a.type for a in big.ordinary]
    assert (kinds.count("oven"), kinds.count("dishwasher"), kinds.count("fridge")) == (
        495,
        297,
        198,
    )
    ServerConfig.from_dict(big.config(tick=0.4))


def test_match_pairs_frames_with_sightings_in_order() -> None:
    """Per appliance, the n-th frame is the n-th change seen; a wrong door or a missing one is counted."""
    writes = [(1.0, "a", True), (2.0, "a", False), (3.0, "a", True), (1.5, "b", True)]
    seen = [(1.1, "a", True), (2.5, "a", True), (1.6, "b", True)]
    matched = analysis.match(writes, seen)
    assert matched.pairs == [(1.0, 1.1), (1.5, 1.6), (2.0, 2.5)]
    assert (matched.unseen, matched.wrong) == (1, 1)
    assert matched.latencies(1.2, 2.0) == pytest.approx([0.1, 0.5])


def test_first_full_state_waits_for_every_entity_and_the_snapshot() -> None:
    """Entities written, then the first live marker frame applied after the snapshot's flip."""
    events = [
        (0.5, "marker", "unavailable"),  # before the setup started: ignored
        (1.1, "a", "on"),
        (1.2, "marker", "off"),
        (
            1.3,
            "marker",
            "on",
        ),  # the snapshot (the door changed between list and snapshot)
        (1.4, "a", None),  # removed again
        (1.5, "marker", "off"),  # live frame 1
        (1.6, "a", "off"),
        (1.7, "marker", "on"),  # live frame 2
    ]
    measured = analysis.first_full_state(
        events, 1.0, ["a", "marker"], "marker", [1.45, 1.65]
    )
    assert measured["written"] == pytest.approx(0.6)
    assert measured["seconds"] == pytest.approx(0.6)
    late = analysis.first_full_state(
        events, 1.0, ["a", "marker"], "marker", [1.0, 1.1, 1.2, 1.3]
    )
    # More live frames than changes: the entity showed after some were applied.
    assert late["seconds"] == pytest.approx(0.6)
    never = analysis.first_full_state(
        events, 1.0, ["a", "marker", "b"], "marker", [1.45]
    )
    assert never["seconds"] is None


def test_recovery_needs_availability_markers_and_connection() -> None:
    """Recovered once the entities available before are again, every marker is off and it is connected."""
    initial = {"a": "on", "button": "unavailable", "marker": "on", "link": "on"}
    events = [
        (1.0, "link", "off"),
        (7.0, "a", "unavailable"),
        (9.0, "link", "on"),
        (9.1, "a", "on"),
        (9.2, "marker", "off"),
    ]
    assert analysis.recovery(initial, events, 8.0, ["marker"], "link") == pytest.approx(
        1.2
    )
    assert analysis.recovery(initial, events[:4], 8.0, ["marker"], "link") is None


def test_poll_staleness_and_changes_never_seen() -> None:
    """A change is known at the first poll sent after it; it was never seen if it changed again first."""
    changes = [(1.0, "a", True), (1.5, "a", False), (2.5, "a", True), (9.0, "a", False)]
    polls = [
        {"sent": 0.0, "received": 0.1},
        {"sent": 2.0, "received": 2.2},
        {"sent": 4.0, "received": 4.1},
    ]
    result = analysis.poll_staleness(changes, polls)
    assert result["changes"] == 3
    assert result["never_seen"] == 1
    assert result["staleness"] == summarize([1.2, 0.7, 1.6])


def test_probe_log_reads_what_the_server_wrote(tmp_path: Path) -> None:
    """The orchestrator's reader parses every kind of line, a half-written last line later."""
    path = tmp_path / "probe.txt"
    path.write_text(
        "R 1.0\nP 1.1 probe-a 1\nW 1.2 50 probe-a 1\nS 1.3 50 4\nC 1.4 50:3:300:2\nC 1.5"
    )
    log = ProbeLog(path)
    log.read()
    assert log.ready == [1.0]
    assert log.published == [(1.1, "probe-a", True)]
    assert log.writes == [(1.2, 50, "probe-a", True)]
    assert log.subscriptions == [(1.3, 50, 4)]
    assert log.counters == [(1.4, {50: (3, 300, 2)})]
    with path.open("a") as file:
        file.write(" 50:5:500:0\n")
    log.read()
    assert log.counters_at(1.45) == {50: (3, 300, 2)}
    assert log.counters_at(2.0) == {50: (5, 500, 0)}
    assert log.max_queue(50, 1.0, 2.0) == 2
    assert log.last_subscriber(1.0, 4, set()) == 50
    assert log.last_subscriber(1.0, 4, {50}) is None


def test_quick_bench_runs_every_step(tmp_path: Path) -> None:
    """`python -m benchmarks --quick`: every step runs and its bookkeeping adds up (no timings checked).

    With the `--gc-freeze` experiment too, so that its code path cannot rot either.
    """
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [
            sys.executable,
            "-m",
            "benchmarks",
            "--quick",
            "--gc-freeze",
            "--out",
            str(tmp_path),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        # Its own process group: if it hangs, it goes with every process it started.
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        pytest.fail(f"the quick bench hung:\n{output}")
    assert process.returncode == 0, output

    results = json.loads((tmp_path / "latest.json").read_text())
    size = results["sizes"]["3"]
    assert size["ha_first_state_cold"]["entities"] > 20
    assert size["ha_first_state_cold"]["ms"] is not None
    assert all(warm["ms"] is not None for warm in size["ha_first_state_warm"])
    assert size["floor_first_state_ms"]["n"] == 2
    # Home Assistant's floor: as many bare entities as the entry has, each with its state.
    bare = size["ha_bare_first_state"]
    assert bare["entities"] == size["ha_first_state_cold"]["entities"]
    assert len(bare["warm_ms"]) == 1
    assert size["gc_freeze"]["frozen"] > 0
    for name in ("idle", "baseline", "stress"):
        window = size[name]
        for client in ("ha", "floor"):
            data = window[client]
            assert data["probes_written"] > 0, (name, client)
            assert data["probes_seen"] == data["probes_written"], (name, client)
            assert data["wrong"] == 0, (name, client)
        assert window["poll"]["polls"] > 0
        assert window["ha"]["gc_pauses"]["count"] >= window["ha"]["gc_pauses"]["full"]
    assert size["stress"]["load_requests"] > 0
    (outage,) = (
        value for value in size["reconnect"].values() if isinstance(value, dict)
    )
    (cycle,) = outage["cycles"]
    assert cycle["recovery"] is not None
    assert cycle["floor"] is not None
    assert results["server_scale"]["clients"] == 3
    assert results["reconnect_spread"]["snapshot_s"]["n"] == 3
    markdown = (tmp_path / "latest.md").read_text()
    assert "## Against the floor (issue 11)" in markdown
    assert "experiment: Home Assistant's heap frozen" in markdown
    assert "bare entities (HA alone)" in markdown
