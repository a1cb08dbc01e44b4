"""Reliability of the connection: fast reconnects to a returning server, bursts, bad frames, TLS."""

import asyncio
from collections.abc import Awaitable, Callable
import gc
import logging
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
import pytest

from custom_components.smart_kitchen.api import (
    Backoff,
    DeviceUpdate,
    SmartKitchenCertificateError,
    SmartKitchenClient,
    SmartKitchenConnection,
    Subscribed,
)
from custom_components.smart_kitchen.api.link import (
    DEFAULT_HEARTBEAT,
    MISSED_PONGS,
    Link,
    LinkClosedError,
)
from smart_kitchen_server import SmartKitchenServer
from tests.helpers import WAIT, decided_waits

from .conftest import Recorder
from .test_client import self_signed_context

type FakeServer = Callable[..., Awaitable[str]]


class SteppingClock:
    """A monotonic clock that jumps forward each time it is read."""

    def __init__(self, step: float) -> None:
        """Jump `step` seconds per read."""
        self.now = 0.0
        self.step = step

    def __call__(self) -> float:
        """Return the time, then move on."""
        self.now += self.step
        return self.now


def test_half_open_links_are_noticed_within_fifteen_seconds() -> None:
    """Pings after DEFAULT_HEARTBEAT s of silence; MISSED_PONGS unanswered ones end the link."""
    assert DEFAULT_HEARTBEAT * (MISSED_PONGS + 1) <= 15


async def test_backoff_starts_over_once_subscribed(
    server: SmartKitchenServer, session: aiohttp.ClientSession
) -> None:
    """A restart storm: every restart is met with the fast first retry again.

    The clock jumps an hour per reading, so a backoff that never started over would wait its
    maximum (an hour here) after the second drop and the test would time out.
    """
    events = Recorder()
    client = SmartKitchenClient(server.url, session, username="demo", password="demo")
    backoff = Backoff(
        steps=((60.0, 0.01),),
        maximum=3600.0,
        minimum=0.0,
        rand=lambda: 1.0,
        clock=SteppingClock(3600.0),
    )
    connection = SmartKitchenConnection(client, on_event=events, backoff=backoff)
    waits = decided_waits(events)
    task = asyncio.create_task(connection.run())
    try:
        for drops in range(1, 6):
            await events.wait_until(
                lambda drops=drops: len(events.of(Subscribed)) == drops
            )
            await server.drop_connections()
        await events.wait_until(lambda: len(events.of(Subscribed)) == 6)
        assert len(waits) == 5
        assert all(wait < 1 for wait in waits)
    finally:
        await connection.close()
        await task


async def test_a_burst_is_drained_while_the_loop_stays_responsive(
    session: aiohttp.ClientSession,
    fake_server: FakeServer,
) -> None:
    """5,000 updates in one burst are all delivered, and other tasks run while they are read."""
    update = {
        "type": "device_update",
        "deviceId": "dishwasher-1",
        "deviceType": "dishwasher",
        "compartment": None,
        "state": {
            "status": "idle",
            "program": None,
            "remainingMinutes": 0,
            "progress": 0,
            "doorOpen": False,
        },
        "ts": "2026-11-27T08:00:00Z",
    }

    async def websocket(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json(
            {"type": "connected", "userId": "u", "serverId": "s", "bootId": "b"}
        )
        await ws.receive()
        await ws.send_json({"type": "subscribed", "deviceIds": ["dishwasher-1"]})
        for _ in range(5000):
            await ws.send_json(update)
        await ws.receive()
        return ws

    url = await fake_server([("GET", "/ws", websocket)])
    events = Recorder()
    client = SmartKitchenClient(url, session)
    client.token = "t"
    connection = SmartKitchenConnection(
        client, on_event=events, device_ids=["dishwasher-1"]
    )
    turns = 0
    reading = True

    async def other_task() -> None:
        nonlocal turns
        while reading:
            turns += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(connection.run())
    other = asyncio.create_task(other_task())
    try:
        await events.wait_until(lambda: len(events.of(DeviceUpdate)) == 5000)
    finally:
        reading = False
        await connection.close()
        await task
        await other
    assert connection.stats.malformed_messages == 0
    # The other task had turns while the burst was read, not only after it.
    assert turns > 1


async def test_bad_frames_warn_once_per_kind(
    session: aiohttp.ClientSession,
    fake_server: FakeServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Malformed frames are counted; each kind is a warning once per minute, not a traceback."""
    good = {
        "type": "device_update",
        "deviceId": "oven-1",
        "deviceType": "oven",
        "compartment": "upper",
        "state": {
            "currentTemperature": 21.0,
            "targetTemperature": None,
            "mode": "off",
            "status": "off",
            "doorOpen": False,
        },
        "ts": "2026-11-27T08:00:00Z",
    }
    bad: list[dict[str, Any]] = [
        {**good, "state": {**good["state"], "currentTemperature": 1e308}},
        {**good, "state": {**good["state"], "currentTemperature": 1e300}},
        {**good, "ts": "9999-12-31T23:59:59Z"},
        {**good, "deviceType": "fridge"},
        {**good, "deviceId": "oven-99"},
        {**good, "compartment": "middle"},
    ]

    async def websocket(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json(
            {"type": "connected", "userId": "u", "serverId": "s", "bootId": "b"}
        )
        await ws.receive()
        await ws.send_json({"type": "subscribed", "deviceIds": ["oven-1"]})
        for frame in bad:
            await ws.send_json(frame)
            await ws.send_json(good)
        await ws.receive()
        return ws

    async def devices(_request: web.Request) -> web.Response:
        return web.json_response(
            {
                "devices": [
                    {
                        "id": "oven-1",
                        "type": "oven",
                        "name": "Oven",
                        "model": "M",
                        "firmware": "1",
                        "compartments": {"upper": good["state"]},
                    }
                ]
            }
        )

    url = await fake_server(
        [("GET", "/ws", websocket), ("GET", "/api/devices", devices)]
    )
    events = Recorder()
    client = SmartKitchenClient(url, session)
    client.token = "t"
    connection = SmartKitchenConnection(client, on_event=events)
    task = asyncio.create_task(connection.run())
    try:
        await events.wait_until(lambda: len(events.of(DeviceUpdate)) == len(bad))
    finally:
        await connection.close()
        await task
    assert connection.stats.malformed_messages == len(bad)
    warnings = [
        record
        for record in caplog.records
        if record.levelno == logging.WARNING and "malformed" in record.getMessage()
    ]
    # Two temperatures out of range are one kind; the others are one each.
    assert len(warnings) == len(bad) - 1
    assert not [record for record in caplog.records if record.exc_info]


async def test_an_untrusted_certificate_is_named(
    session: aiohttp.ClientSession, fake_server: FakeServer, tmp_path: Path
) -> None:
    """TLS is verified by default; a self-signed server is refused with a certificate error."""

    async def info(_request: web.Request) -> web.Response:
        return web.json_response(
            {"serverId": "s", "name": "K", "version": "1", "protocol": 1}
        )

    url = await fake_server(
        [("GET", "/api/info", info)], ssl_context=self_signed_context(tmp_path)
    )
    with pytest.raises(SmartKitchenCertificateError, match="not trusted"):
        await SmartKitchenClient(url, session).get_info()
    client = SmartKitchenClient(url, session)
    client.token = "t"
    with pytest.raises(SmartKitchenCertificateError):
        await client.ws_connect()
    # Turned off on purpose, the same server answers.
    assert (
        await SmartKitchenClient(url, session, verify_ssl=False).get_info()
    ).name == "K"


async def test_a_link_that_died_while_nobody_read_ends_the_next_read(
    server: SmartKitchenServer, session: aiohttp.ClientSession
) -> None:
    """The watchdog runs between reads too: the next read ends at once, and the socket is left alone.

    Nothing reads the socket here, so the server's pongs go unseen, as on a half-open link.
    """
    client = SmartKitchenClient(server.url, session, username="demo", password="demo")
    ws, _token = await client.ws_connect(autoping=False)
    link = Link(ws, heartbeat=0.01)
    try:
        async with asyncio.timeout(WAIT):
            while not link.is_dead():  # noqa: ASYNC110 - the watchdog sets no event
                await asyncio.sleep(0.01)
        with pytest.raises(LinkClosedError, match="half-open"):
            await link.receive()
    finally:
        link.close()
        await ws.close()


async def test_a_ping_that_cannot_be_sent_is_no_error(
    server: SmartKitchenServer, session: aiohttp.ClientSession
) -> None:
    """The watchdog's ping on a socket that is closing fails quietly: the read sees the closure."""
    errors: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda _loop, context: errors.append(context))
    try:
        client = SmartKitchenClient(
            server.url, session, username="demo", password="demo"
        )
        ws, _token = await client.ws_connect(autoping=False)
        link = Link(ws, heartbeat=0.01)
        await ws.close()
        async with asyncio.timeout(WAIT):
            while not link.is_dead():  # noqa: ASYNC110 - the watchdog sets no event
                await asyncio.sleep(0.01)
        link.close()
        # An exception nobody retrieved is reported when its task is collected.
        gc.collect()
        await asyncio.sleep(0)
    finally:
        loop.set_exception_handler(None)
    assert not errors
