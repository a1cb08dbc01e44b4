"""Fault suite of the library: a server killed and restarted, half-open links, long outages, broken answers.

Every test checks the same three promises: nothing is logged at ERROR or with a traceback, the
connection comes back by itself, and every alert the server could deliver arrives exactly once.
"""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
import logging
from pathlib import Path
import random
import sys

import aiohttp
from aiohttp import web
import orjson
import pytest

from custom_components.smart_kitchen.api import (
    Alert,
    Backoff,
    Connected,
    ConnectionState,
    ConnectionStateChanged,
    DeviceUpdate,
    Event,
    SmartKitchenClient,
    SmartKitchenConnection,
    Subscribed,
)
from custom_components.smart_kitchen.api.backoff import BACKOFF_STEPS
from smart_kitchen_server import ServerConfig, SmartKitchenServer
from smart_kitchen_server.auth import hash_password
from tests.helpers import WAIT, TcpProxy, decided_waits, free_port
from tests.kitchen import Kitchen

from .conftest import DEMO, DISHWASHER_IDLE, Recorder, StartConnection

pytestmark = pytest.mark.faults

type FakeServer = Callable[..., Awaitable[str]]

REPO = Path(__file__).parents[2]
# A simulation tick of 50 ms, and a fridge door alert after two ticks with the door open.
STORM_TICK = 0.05
LIBRARY = "custom_components.smart_kitchen"


def assert_quiet_log(caplog: pytest.LogCaptureFixture) -> None:
    """Fail on an ERROR record or a traceback of the library: faults are expected, none is a bug.

    The fake servers and relays of the tests are left out: a handler cancelled by a client that
    gave up, or a relay resetting a socket, is the fault the test makes.
    """
    loud = [
        f"{record.name}: {record.getMessage()}"
        for record in caplog.records
        if record.name.startswith(LIBRARY)
        and (record.levelno >= logging.ERROR or record.exc_info)
    ]
    assert not loud


class ServerProcess:
    """The reference server as a separate process on a fixed port, to be killed with SIGKILL."""

    def __init__(self, config_file: Path, port: int) -> None:
        """Serve `config_file` on 127.0.0.1:port once started."""
        self._config_file = config_file
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self._process: asyncio.subprocess.Process | None = None
        self._drain: asyncio.Task[None] | None = None
        self.boots = 0

    async def start(self) -> None:
        """Start the process and return once it logs that it serves."""
        process = self._process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "smart_kitchen_server",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--config",
            str(self._config_file),
            cwd=REPO,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        assert process.stderr is not None
        serving = asyncio.get_running_loop().create_future()
        self._drain = asyncio.create_task(self._read_log(process.stderr, serving))
        async with asyncio.timeout(WAIT):
            await serving
        self.boots += 1

    async def _read_log(
        self, stream: asyncio.StreamReader, serving: asyncio.Future[None]
    ) -> None:
        """Wait for the "Serving" line, then keep the pipe drained until the process ends."""
        while line := await stream.readline():
            if b"Serving" in line and not serving.done():
                serving.set_result(None)
        if not serving.done():
            serving.set_exception(RuntimeError("the server process ended at start"))

    @property
    def running(self) -> bool:
        """Return whether a process was started and not killed yet."""
        return self._process is not None

    async def kill(self) -> None:
        """SIGKILL: no shutdown, no goodbye frames, its alert buffer is gone."""
        assert self._process is not None
        assert self._drain is not None
        if self._process.returncode is None:
            self._process.kill()
        await self._process.wait()
        await self._drain
        self._process = None


@pytest.fixture
async def server_process(tmp_path: Path) -> AsyncIterator[ServerProcess]:
    """Return a server process (not started) with a fridge that alerts two ticks after its door opens."""
    config = {
        "server_id": "storm-kitchen",
        "name": "Storm Kitchen",
        "tick": STORM_TICK,
        "door_alert_ticks": 1,
        "users": [{"username": DEMO, "password_hash": hash_password(DEMO)}],
        "devices": [
            {"id": "fridge-1", "type": "fridge", "name": "Fridge", "owner": DEMO}
        ],
    }
    config_file = tmp_path / "storm.json"
    config_file.write_bytes(orjson.dumps(config))
    process = ServerProcess(config_file, free_port())
    yield process
    if process.running:
        await process.kill()


@dataclass
class AlertLedger:
    """What one connection saw, per server boot: alert ids and the `subscribed` history ends."""

    boot: str | None = None
    alerts: list[tuple[str, int]] = field(default_factory=list)
    subscribed_at: dict[str, int] = field(default_factory=dict)

    def __call__(self, event: Event) -> None:
        """Note the boot, the alerts and where each subscription found history to end."""
        match event:
            case Connected():
                self.boot = event.boot_id
            case Alert():
                assert self.boot is not None
                self.alerts.append((self.boot, event.id))
            case Subscribed():
                assert self.boot is not None
                self.subscribed_at[self.boot] = max(
                    self.subscribed_at.get(self.boot, 0), event.last_alert_id or 0
                )

    def ids(self, boot: str) -> set[int]:
        """Return the alert ids delivered in one boot."""
        return {alert_id for seen, alert_id in self.alerts if seen == boot}

    def deliverable(self, boot: str) -> set[int]:
        """Return what the server of one boot could deliver to this connection.

        Ids count from 1 in each boot. What was raised before a subscription of this connection
        is replayed (`subscribed.lastAlertId`), and alerts arrive in order, so everything up to
        the newest delivered one had reached its socket too. What a boot raised after its last
        frame to this connection died with the process.
        """
        newest = max(self.ids(boot) | {self.subscribed_at.get(boot, 0)})
        return set(range(1, newest + 1))


@dataclass
class Watch:
    """One boot as an independent observer sees it: its id and the alert ids it delivered."""

    boot_id: str
    ids: set[int]
    recorder: Recorder

    async def wait_for(self, count: int) -> None:
        """Wait until the observer has seen `count` alerts of this boot."""
        await self.recorder.wait_until(lambda: len(self.ids) >= count)


@asynccontextmanager
async def observer(url: str) -> AsyncIterator[Watch]:
    """Watch one boot's alerts with a fresh connection, which asks for no history."""
    ids: set[int] = set()
    recorder = Recorder()

    def on_event(event: Event) -> None:
        if isinstance(event, Alert):
            ids.add(event.id)
        recorder(event)

    async with aiohttp.ClientSession() as session:
        client = SmartKitchenClient(url, session, username=DEMO, password=DEMO)
        connection = SmartKitchenConnection(
            client,
            on_event=on_event,
            device_ids=["fridge-1"],
            backoff=Backoff(steps=(), minimum=0.01, maximum=0.05),
        )
        task = asyncio.create_task(connection.run())
        try:
            await recorder.wait_until(lambda: recorder.of(Subscribed))
            yield Watch(recorder.of(Connected)[0].boot_id, ids, recorder)
        finally:
            await connection.close()
            await task


@asynccontextmanager
async def kitchen(url: str) -> AsyncIterator[Kitchen]:
    """Return a person in the kitchen of one boot (its own session: the old one died with the server)."""
    async with aiohttp.ClientSession() as session:
        person = Kitchen(url, session, request_timeout=5.0)
        await person.login(DEMO, DEMO)
        yield person


async def raise_door_alert(person: Kitchen, watch: Watch) -> None:
    """Open the fridge door until its alert is raised, then close it (the next opening alerts again)."""
    count = len(watch.ids) + 1
    await person.set_door("fridge-1", True, compartment="fridge")
    await watch.wait_for(count)
    await person.set_door("fridge-1", False, compartment="fridge")


@dataclass
class StormResult:
    """What a kill/restart storm measured."""

    boots: int
    raised: int
    deliverable: int
    delivered: int
    retries: int


async def kill_restart_storm(
    server_process: ServerProcess,
    caplog: pytest.LogCaptureFixture,
    *,
    kills: int,
    seed: int,
) -> StormResult:
    """Raise fridge-door alerts, SIGKILL the server at random moments, restart it; check every alert."""
    caplog.set_level(logging.DEBUG, logger="custom_components.smart_kitchen")
    rng = random.Random(seed)  # noqa: S311 - seeded on purpose, to replay a storm
    ledger = AlertLedger()
    recorder = Recorder()
    waits = decided_waits(recorder)

    def on_event(event: Event) -> None:
        ledger(event)
        recorder(event)

    observed: dict[str, set[int]] = {}
    await server_process.start()
    async with aiohttp.ClientSession() as session:
        client = SmartKitchenClient(
            server_process.url, session, username=DEMO, password=DEMO
        )
        # The library's own backoff with seeded jitter; its decisions are what is checked.
        connection = SmartKitchenConnection(
            client, on_event=on_event, backoff=Backoff(rand=rng.random)
        )
        task = asyncio.create_task(connection.run())
        try:
            # Alerts raised before the first subscription are history a fresh client skips.
            await recorder.wait_until(lambda: recorder.of(Subscribed))
            for boot in range(kills + 1):
                if boot:
                    await server_process.start()
                async with observer(server_process.url) as watch:
                    observed[watch.boot_id] = watch.ids
                    if boot == kills or rng.random() < 0.5:
                        # Alerts raised with the client subscribed; in the other boots mostly while
                        # it is still away, so they reach it by replay.
                        await recorder.wait_until(
                            lambda: watch.boot_id in ledger.subscribed_at
                        )
                    async with kitchen(server_process.url) as person:
                        for _ in range(rng.randint(1 if boot == kills else 0, 3)):
                            await raise_door_alert(person, watch)
                        if boot < kills:
                            # The random moment of the kill, often just as another alert is raised.
                            await person.set_door(
                                "fridge-1", True, compartment="fridge"
                            )
                            await asyncio.sleep(rng.uniform(0, 4 * STORM_TICK))
                            await server_process.kill()
                    if boot == kills:
                        # The last boot stays up: everything it raised arrives.
                        await recorder.wait_until(
                            lambda: ledger.ids(watch.boot_id) >= watch.ids
                        )
                        last = watch.boot_id
        finally:
            await connection.close()
            await task

    assert len(ledger.alerts) == len(set(ledger.alerts)), "an alert arrived twice"
    assert ledger.ids(last) == observed[last]
    result = StormResult(len(observed), 0, 0, 0, len(waits))
    for boot_id, seen in observed.items():
        could = ledger.deliverable(boot_id)
        got = ledger.ids(boot_id)
        assert got == could, f"boot {boot_id}: lost {sorted(could - got)}"
        # Whatever the observer saw up to there, the client got as well.
        assert {alert_id for alert_id in seen if alert_id <= len(could)} <= got
        result.raised += max(seen | could, default=0)
        result.deliverable += len(could)
        result.delivered += len(got)
    # Each kill cost at least one retry, and every wait for the returning server was at most 1 s.
    assert len(waits) >= kills
    assert max(waits) <= BACKOFF_STEPS[0][1]
    assert_quiet_log(caplog)
    return result


async def test_kill_restart_storm(
    server_process: ServerProcess, caplog: pytest.LogCaptureFixture
) -> None:
    """Three SIGKILLs at random moments: no deliverable alert lost, none twice, fast retries."""
    result = await kill_restart_storm(server_process, caplog, kills=3, seed=12)
    assert result.boots == 4
    assert result.delivered == result.deliverable


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(5))
async def test_kill_restart_storm_long(
    server_process: ServerProcess, caplog: pytest.LogCaptureFixture, seed: int
) -> None:
    """Twenty-five SIGKILLs per seed."""
    result = await kill_restart_storm(server_process, caplog, kills=25, seed=seed)
    print(f"seed {seed}: {result}")  # noqa: T201
    assert result.delivered == result.deliverable


class SimulatedBackoff(Backoff):
    """The library's backoff on a simulated clock: each decided wait passes at once.

    The connection is told to retry right away, and the clock moves by the wait the backoff
    chose, so minutes of outage take milliseconds and every decision is recorded.
    """

    def __init__(self, seed: int) -> None:
        """Use the real steps with seeded jitter on a clock at 0."""
        self.now = 0.0
        self.decisions: list[tuple[float, float]] = []
        super().__init__(
            rand=random.Random(seed).random,  # noqa: S311 - seeded on purpose
            clock=lambda: self.now,
        )

    def next_delay(self) -> float:
        """Record (time, wait), move the clock by the wait and let the connection go on at once."""
        delay = super().next_delay()
        self.decisions.append((self.now, delay))
        self.now += delay
        return 0.0


@pytest.fixture
def server_config() -> ServerConfig:
    """Return the demo with fridge door alerts one tick after the door opened; tests step it."""
    return replace(ServerConfig.demo(tick=None), door_alert_ticks=1)


async def test_server_unreachable_for_minutes(
    server: SmartKitchenServer,
    proxy: TcpProxy,
    session: aiohttp.ClientSession,
    start_connection: StartConnection,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Fifteen simulated minutes of a refusing server: retries stretch by the plan, and shrink again."""
    proxy.refuse()
    backoff = SimulatedBackoff(seed=3)
    client = SmartKitchenClient(proxy.url, session, username=DEMO, password=DEMO)
    running = await start_connection(client, backoff=backoff)
    events = running.recorder
    await events.wait_until(lambda: backoff.now >= 15 * 60)
    proxy.refuse(False)
    await events.wait_until(lambda: events.of(Subscribed))
    outage = list(backoff.decisions)

    def waits(start: float, end: float) -> list[float]:
        return [wait for at, wait in outage if start <= at < end]

    first_minute, to_ten, later = waits(0, 60), waits(60, 600), waits(600, 10**6)
    assert max(first_minute) <= 1.0
    assert max(to_ten) <= 4.0
    assert max(later) <= 60.0
    # At least one attempt per second in the first minute, then fewer; never a hot loop.
    assert len(first_minute) >= 60
    assert len(to_ten) >= 540 / 4
    assert len(later) >= 300 / 60 - 1
    assert min(wait for _, wait in outage) >= 0.1
    assert running.connection.state is ConnectionState.CONNECTED

    # Back and subscribed: the next outage starts with fast retries again.
    mark = events.mark()
    proxy.cut()
    await events.wait_until(lambda: events.of(Subscribed, mark))
    assert backoff.decisions[len(outage)][1] <= 1.0
    assert_quiet_log(caplog)


async def test_half_open_link_is_replaced_and_alerts_replayed(
    server: SmartKitchenServer,
    proxy: TcpProxy,
    session: aiohttp.ClientSession,
    start_connection: StartConnection,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A link that silently drops everything is noticed by the heartbeat; its alerts come by replay."""
    heartbeat = 0.05
    # The pooled REST connection goes through the stalled relay as well: the device list reloaded
    # after the reconnect waits for the request timeout on it before a fresh one is used.
    client = SmartKitchenClient(
        proxy.url, session, username=DEMO, password=DEMO, request_timeout=0.5
    )
    running = await start_connection(client, heartbeat=heartbeat)
    events = running.recorder
    await events.wait_until(lambda: events.of(Subscribed))
    person = Kitchen(server.url, session)
    await person.login(DEMO, DEMO)

    mark = events.mark()
    proxy.stall()
    # Raised while the link is half-open: the server sends it into the void.
    await person.set_door("fridge-1", True, compartment="fridge")
    await server.tick(2)
    await events.wait_until(lambda: events.of(Subscribed, mark))
    drops = [
        event
        for event in events.of(ConnectionStateChanged, mark)
        if event.state is ConnectionState.DISCONNECTED
    ]
    assert drops[0].reason == "no pong from the server (half-open link)"
    await events.wait_until(lambda: events.of(Alert, mark))
    await person.set_door("fridge-1", False, compartment="fridge")
    mark_two = events.mark()
    await person.set_door("fridge-1", True, compartment="freezer")
    await server.tick(2)
    await events.wait_until(lambda: events.of(Alert, mark_two))
    assert [(alert.id, alert.compartment) for alert in events.of(Alert)] == [
        (1, "fridge"),
        (2, "freezer"),
    ]
    assert_quiet_log(caplog)


type Answer = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def test_broken_answers_are_retried_until_the_server_behaves(
    session: aiohttp.ClientSession,
    fake_server: FakeServer,
    start_connection: StartConnection,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """500s, garbage and answers too slow for the timeout on login and device list: retried quietly."""
    caplog.set_level(logging.DEBUG, logger="custom_components.smart_kitchen")
    released = asyncio.Event()

    async def error(_request: web.Request) -> web.Response:
        return web.Response(status=500, text="Internal Server Error")

    async def garbage(_request: web.Request) -> web.Response:
        return web.Response(
            status=200, body=b"<html>\x00\xff not json", content_type="text/html"
        )

    async def wrong_json(_request: web.Request) -> web.Response:
        return web.json_response({"devices": [{"id": 7}]}, status=200)

    async def slow(_request: web.Request) -> web.Response:
        # Answers only after the client gave up waiting (its request timeout).
        await released.wait()
        return web.json_response({})

    async def login_ok(_request: web.Request) -> web.Response:
        return web.json_response(
            {"token": "t-ok", "userId": "u", "expiresAt": "2026-12-31T00:00:00Z"}
        )

    async def devices_ok(_request: web.Request) -> web.Response:
        return web.json_response(
            {
                "devices": [
                    {
                        "id": "dishwasher-1",
                        "type": "dishwasher",
                        "name": "Dishwasher",
                        "model": "M",
                        "firmware": "1",
                        "state": DISHWASHER_IDLE,
                    }
                ]
            }
        )

    login_answers: list[Answer] = [error, garbage, slow, wrong_json, error]
    devices_answers: list[Answer] = [error, garbage, slow, wrong_json, error]
    tried: list[str] = []

    def sequence(name: str, answers: list[Answer], ok: Answer) -> Answer:
        queue = iter(answers)

        async def answer(request: web.Request) -> web.StreamResponse:
            tried.append(name)
            return await next(queue, ok)(request)

        return answer

    async def websocket(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json(
            {"type": "connected", "userId": "u", "serverId": "s", "bootId": "b"}
        )
        await ws.receive()
        await ws.send_json({"type": "subscribed", "deviceIds": ["dishwasher-1"]})
        await ws.send_json(
            {
                "type": "device_update",
                "deviceId": "dishwasher-1",
                "deviceType": "dishwasher",
                "compartment": None,
                "state": DISHWASHER_IDLE,
                "ts": "2026-11-27T08:00:00Z",
            }
        )
        await ws.receive()
        return ws

    url = await fake_server(
        [
            ("POST", "/api/login", sequence("login", login_answers, login_ok)),
            ("GET", "/api/devices", sequence("devices", devices_answers, devices_ok)),
            ("GET", "/ws", websocket),
        ]
    )
    client = SmartKitchenClient(
        url, session, username=DEMO, password=DEMO, request_timeout=0.2
    )
    running = await start_connection(client)
    events = running.recorder
    try:
        await events.wait_until(lambda: events.of(DeviceUpdate))
    finally:
        released.set()
    assert tried == ["login"] * 6 + ["devices"] * 6
    drops = [
        event
        for event in events.of(ConnectionStateChanged)
        if event.state is ConnectionState.DISCONNECTED
    ]
    assert len(drops) == 10
    assert running.connection.state is ConnectionState.CONNECTED
    assert_quiet_log(caplog)
