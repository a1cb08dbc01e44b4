"""Fuzz suite of the client: a hostile server sends frames the protocol does not allow, between valid ones.

One fake server and one connection live for the whole test; Hypothesis draws batches of frames. Every
hostile frame is broken by construction (one defect in an otherwise valid message, or not a message at
all), so the oracle is exact: the valid updates and alerts of each batch are delivered in order, nothing
else is, the link stays up and nothing is logged at ERROR.
"""

import asyncio
from collections.abc import AsyncGenerator
import contextlib
from dataclasses import dataclass, field
import json
import logging
import math
from typing import Any

import aiohttp
from aiohttp import web
from hypothesis import HealthCheck, given, settings, strategies as st
import pytest

from custom_components.smart_kitchen.api import (
    Alert,
    ConnectionState,
    ConnectionStateChanged,
    DeviceUpdate,
    Event,
    SmartKitchenClient,
    SmartKitchenConnection,
    SmartKitchenResponseError,
    Subscribed,
)
from custom_components.smart_kitchen.api.models import parse_message

from .conftest import Recorder

pytestmark = pytest.mark.faults

SHORT_RUN = 60  # batches of 20-30 frames and a marker alert: over 1,000 frames per run
LONG_RUN = 1500
LIBRARY = "custom_components.smart_kitchen"

TS = "2026-11-27T08:00:00Z"
OVEN_STATE: dict[str, Any] = {
    "currentTemperature": 21.0,
    "targetTemperature": None,
    "mode": "off",
    "status": "off",
    "doorOpen": False,
}
FRIDGE_STATE: dict[str, Any] = {
    "currentTemperature": 4.0,
    "targetTemperature": 4,
    "doorOpen": False,
}
DISHWASHER_STATE: dict[str, Any] = {
    "status": "idle",
    "program": None,
    "remainingMinutes": 0,
    "progress": 0,
    "doorOpen": False,
}
DEVICES: list[dict[str, Any]] = [
    {
        "id": "oven-1",
        "type": "oven",
        "name": "Oven",
        "model": "M",
        "firmware": "1",
        "compartments": {"upper": OVEN_STATE, "lower": OVEN_STATE},
    },
    {
        "id": "fridge-1",
        "type": "fridge",
        "name": "Fridge",
        "model": "M",
        "firmware": "1",
        "compartments": {"fridge": FRIDGE_STATE, "freezer": FRIDGE_STATE},
    },
    {
        "id": "dishwasher-1",
        "type": "dishwasher",
        "name": "Dishwasher",
        "model": "M",
        "firmware": "1",
        "state": DISHWASHER_STATE,
    },
]
DEVICE_IDS = [device["id"] for device in DEVICES]


def update(
    device_id: str, compartment: str | None, state: dict[str, Any]
) -> dict[str, Any]:
    """Return a valid device_update frame."""
    return {
        "type": "device_update",
        "deviceId": device_id,
        "deviceType": device_id.split("-", maxsplit=1)[0],
        "compartment": compartment,
        "state": state,
        "ts": TS,
    }


def alert(alert_id: int) -> dict[str, Any]:
    """Return a valid alert frame."""
    return {
        "type": "alert",
        "id": alert_id,
        "deviceId": "fridge-1",
        "deviceType": "fridge",
        "compartment": "fridge",
        "alertType": "door_open",
        "message": "Fridge door open",
        "ts": TS,
    }


# Raw JSON text that Python's json would call a number and orjson refuses, or a number beyond floats.
NAN_TEXT = st.sampled_from(["NaN", "Infinity", "-Infinity", "1e999", "-1e999", "nan"])
HUGE = st.sampled_from([10**30, -(10**30), 2**64, 1e308, -1e308, 10**400])
WRONG_TYPES: st.SearchStrategy[Any] = st.sampled_from(
    ["21", True, False, None, [], {}, "", [1]]
)

# For each field of a valid frame: values the protocol does not allow there.
STATE_DEFECTS: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "oven": {
        "currentTemperature": st.one_of(
            HUGE, WRONG_TYPES, st.floats(max_value=-273.2), st.floats(min_value=1000.1)
        ),
        "targetTemperature": st.one_of(
            st.integers(max_value=29),
            st.integers(min_value=301),
            HUGE,
            st.sampled_from(["180", True, 180.5, []]),
        ),
        "mode": st.one_of(
            st.sampled_from(["steam", "BAKE", "", None, 1]),
            st.text(max_size=5).filter(
                lambda mode: (
                    mode not in {"off", "bake", "convection", "grill", "defrost"}
                )
            ),
        ),
        "status": st.sampled_from(["boiling", "", None, 0, "READY"]),
        "doorOpen": st.sampled_from([0, 1, "true", None, "false", []]),
    },
    "fridge": {
        "currentTemperature": st.one_of(HUGE, WRONG_TYPES),
        "targetTemperature": st.one_of(
            st.integers(max_value=-25),
            st.integers(min_value=9),
            HUGE,
            st.sampled_from(["4", True, None]),
        ),
        "doorOpen": st.sampled_from([0, 1, "yes", None]),
    },
    "dishwasher": {
        "status": st.sampled_from(["washing", None, 1]),
        "program": st.sampled_from(["turbo", 1, True, ""]),
        "remainingMinutes": st.one_of(
            st.integers(max_value=-1),
            st.integers(min_value=10_001),
            HUGE,
            st.sampled_from([1.5, "5", None]),
        ),
        "progress": st.one_of(
            st.integers(max_value=-1),
            st.integers(min_value=101),
            st.sampled_from([50.5, "50", None]),
        ),
        "doorOpen": st.sampled_from([0, 1, None]),
    },
}
ENVELOPE_DEFECTS: dict[str, st.SearchStrategy[Any]] = {
    # Out-of-range or unknown ids, and ids that break the pattern.
    "deviceId": st.sampled_from(
        ["oven-99", "", "x" * 65, "../oven-1", "oven 1", 1, None, ["oven-1"]]
    ),
    # A wrong deviceType for a known appliance, or no known type at all.
    "deviceType": st.sampled_from(["toaster", "", None, 7, "OVEN"]),
    # Compartments the appliance does not have, or names that break the pattern.
    "compartment": st.sampled_from(["middle", "UPPER", "", "x" * 33, 3, []]),
    "ts": st.sampled_from(
        ["9999-12-31T23:59:59Z", "1999-12-31T23:59:59Z", "yesterday", "", 0, None]
    ),
    "state": st.sampled_from([None, [], "hot", 1]),
    "type": st.sampled_from([None, 1, [], {"type": "device_update"}]),
}
ALERT_DEFECTS: dict[str, st.SearchStrategy[Any]] = {
    "id": st.one_of(
        st.integers(max_value=0),
        st.integers(min_value=2**63),
        st.sampled_from(["1", 1.5, True, None]),
    ),
    "alertType": st.sampled_from(["Door Open", "", "door-open", 5, None, "x" * 1025]),
    "message": st.sampled_from([None, 5, "x" * 1025]),
    "deviceId": st.sampled_from(["fridge-9", "", None]),
    "deviceType": st.sampled_from(["oven", "dishwasher", "toaster"]),
    "compartment": st.sampled_from(["upper", "middle", 1]),
    "ts": st.sampled_from(["3001-01-01T00:00:00Z", "soon", None]),
}
TARGETS = [
    ("oven-1", "upper"),
    ("oven-1", "lower"),
    ("fridge-1", "fridge"),
    ("fridge-1", "freezer"),
    ("dishwasher-1", None),
]
BASE_STATES = {
    "oven": OVEN_STATE,
    "fridge": FRIDGE_STATE,
    "dishwasher": DISHWASHER_STATE,
}


@dataclass(frozen=True)
class Frame:
    """One frame to send: its text (or bytes), and what it must deliver if anything."""

    data: str | bytes
    valid: DeviceUpdate | None = None


def text(frame: object) -> str:
    """Serialize a frame (the standard library's json: it also writes integers beyond 64 bits)."""
    return json.dumps(frame, separators=(",", ":"))


@st.composite
def broken_update(draw: st.DrawFn) -> Frame:
    """Return a device_update with exactly one defect: in its state or in its envelope."""
    device_id, compartment = draw(st.sampled_from(TARGETS))
    kind = device_id.split("-")[0]
    frame = update(device_id, compartment, dict(BASE_STATES[kind]))
    if draw(st.booleans()):
        key = draw(st.sampled_from(sorted(STATE_DEFECTS[kind])))
        frame["state"][key] = draw(STATE_DEFECTS[kind][key])
    else:
        key = draw(st.sampled_from(sorted(ENVELOPE_DEFECTS)))
        if key == "compartment" and kind == "dishwasher":
            frame[key] = "main"
        elif key == "deviceType":
            # Another appliance's kind for a known appliance, or no kind at all.
            frame[key] = draw(
                st.one_of(
                    ENVELOPE_DEFECTS[key],
                    st.sampled_from(sorted({"oven", "fridge", "dishwasher"} - {kind})),
                )
            )
        else:
            frame[key] = draw(ENVELOPE_DEFECTS[key])
    if draw(st.booleans()):
        del frame[draw(st.sampled_from(["deviceId", "deviceType", "state", "ts"]))]
        frame.setdefault("state", None)
    return Frame(_with_nan_text(draw, frame))


def _with_nan_text(draw: st.DrawFn, frame: dict[str, Any]) -> str:
    """Serialize; sometimes put NaN-ish raw text where a number goes (not JSON any more)."""
    serialized = text(frame)
    if draw(st.integers(0, 5)) == 0 and '"currentTemperature":' in serialized:
        head, _, tail = serialized.partition('"currentTemperature":')
        _number, comma, rest = tail.partition(",")
        return f'{head}"currentTemperature":{draw(NAN_TEXT)}{comma}{rest}'
    return serialized


@st.composite
def broken_alert(draw: st.DrawFn) -> Frame:
    """Return an alert with one defect."""
    frame = alert(1)
    key = draw(st.sampled_from(sorted(ALERT_DEFECTS)))
    frame[key] = draw(ALERT_DEFECTS[key])
    return Frame(text(frame))


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
KNOWN_TYPES = {
    "connected",
    "subscribed",
    "device_update",
    "device_status",
    "alert",
    "device_added",
    "device_removed",
    "error",
}


@st.composite
def noise(draw: st.DrawFn) -> Frame:
    """Return a frame that is no message: not JSON, not an object, binary, or an unknown type."""
    choice = draw(st.integers(0, 5))
    if choice == 0:
        return Frame(draw(st.text(max_size=40)).replace("{", "[") + "{")
    if choice == 1:
        return Frame(text(draw(JSON.filter(lambda value: not isinstance(value, dict)))))
    if choice == 2:
        return Frame(draw(st.binary(max_size=40)))
    if choice == 3:
        # Unknown message types are ignored, whatever they carry.
        message_type = draw(
            st.text(min_size=1, max_size=12).filter(lambda t: t not in KNOWN_TYPES)
        )
        body = draw(st.dictionaries(st.text(max_size=8), JSON, max_size=4))
        return Frame(text({**body, "type": message_type}))
    if choice == 4:
        # A known type whose body is random: it cannot be a whole message. (Not `subscribed`,
        # which the library accepts without deviceIds, read as none.)
        message_type = draw(
            st.sampled_from(
                [
                    "device_update",
                    "device_status",
                    "alert",
                    "device_added",
                ]
            )
        )
        body = draw(
            st.dictionaries(
                st.sampled_from(["deviceId", "state", "id", "devices"]),
                JSON,
                max_size=2,
            )
        )
        return Frame(text({**body, "type": message_type}))
    # A device_added for a kind of appliance this library does not know.
    return Frame(
        text(
            {
                "type": "device_added",
                "device": {**DEVICES[0], "id": "toaster-1", "type": "toaster"},
            }
        )
    )


@st.composite
def valid_update(draw: st.DrawFn) -> Frame:
    """Return a valid update, and the event it must become."""
    device_id, compartment = draw(st.sampled_from(TARGETS))
    kind = device_id.split("-")[0]
    state = dict(BASE_STATES[kind])
    if kind == "oven":
        state["currentTemperature"] = draw(st.floats(-273.15, 1000, allow_nan=False))
        state["mode"] = draw(st.sampled_from(["off", "bake", "grill"]))
        state["targetTemperature"] = (
            None if state["mode"] == "off" else draw(st.integers(30, 300))
        )
    elif kind == "fridge":
        state["currentTemperature"] = draw(st.floats(-30, 40, allow_nan=False))
        state["targetTemperature"] = draw(
            st.integers(1, 8) if compartment == "fridge" else st.integers(-24, -14)
        )
    else:
        state["progress"] = draw(st.integers(0, 100))
    frame = update(device_id, compartment, state)
    event = parse_message(text(frame))
    assert isinstance(event, DeviceUpdate)
    return Frame(text(frame), event)


HOSTILE = st.one_of(broken_update(), broken_alert(), noise())
BATCH = st.lists(
    st.one_of(HOSTILE, HOSTILE, HOSTILE, valid_update()), min_size=20, max_size=30
)


@dataclass
class HostileServer:
    """A fake server whose WebSocket sends whatever the test puts in its queue."""

    # None ends the stream.
    frames: asyncio.Queue[str | bytes | None] = field(default_factory=asyncio.Queue)
    sent: int = 0
    hostile: int = 0
    next_alert: int = 1

    async def websocket(self, request: web.Request) -> web.WebSocketResponse:
        """Greet, take the subscription, then send the queued frames."""
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json(
            {"type": "connected", "userId": "u", "serverId": "s", "bootId": "b"}
        )
        await ws.receive()
        await ws.send_json(
            {"type": "subscribed", "deviceIds": DEVICE_IDS, "lastAlertId": 0}
        )
        while (frame := await self.frames.get()) is not None:
            if isinstance(frame, bytes):
                await ws.send_bytes(frame)
            else:
                await ws.send_str(frame)
        return ws


@dataclass
class Fuzzed:
    """The server, the connection under test and what it delivered."""

    server: HostileServer
    connection: SmartKitchenConnection
    recorder: Recorder


@pytest.fixture
async def fuzzed(
    session: aiohttp.ClientSession,
    fake_server: Any,
    caplog: pytest.LogCaptureFixture,
) -> AsyncGenerator[Fuzzed]:
    """Connect once to a hostile server; after the test: still connected, quiet log, frames counted."""
    caplog.set_level(logging.DEBUG, logger=LIBRARY)
    hostile = HostileServer()

    async def devices(_request: web.Request) -> web.Response:
        return web.json_response({"devices": DEVICES})

    url = await fake_server(
        [("GET", "/ws", hostile.websocket), ("GET", "/api/devices", devices)]
    )
    client = SmartKitchenClient(url, session)
    client.token = "t"
    recorder = Recorder()
    connection = SmartKitchenConnection(client, on_event=recorder)
    task = asyncio.create_task(connection.run())
    await recorder.wait_until(lambda: recorder.of(Subscribed))
    yield Fuzzed(hostile, connection, recorder)
    states = recorder.states()
    await connection.close()
    await task
    hostile.frames.put_nowait(None)
    # The link never dropped: one CONNECTING, one CONNECTED, then only the final CLOSED.
    assert states == [ConnectionState.CONNECTING, ConnectionState.CONNECTED]
    assert connection.stats.reconnects == 0
    loud = [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.ERROR or r.exc_info
    ]
    assert not loud
    assert hostile.sent >= 1000


async def feed(fuzzed: Fuzzed, batch: list[Frame]) -> None:
    """Send one batch and a valid alert after it; check exactly the valid events arrived, in order."""
    server, recorder = fuzzed.server, fuzzed.recorder
    mark = recorder.mark()
    malformed = fuzzed.connection.stats.malformed_messages
    for frame in batch:
        server.frames.put_nowait(frame.data)
    # The closing alert is the marker: everything before it has been handled when it arrives.
    marker = server.next_alert
    server.next_alert += 1
    server.frames.put_nowait(text(alert(marker)))
    server.sent += len(batch) + 1
    hostile = [frame for frame in batch if frame.valid is None]
    server.hostile += len(hostile)
    await recorder.wait_until(lambda: recorder.of(Alert, mark))
    delivered = [
        event
        for event in recorder.events[mark:]
        if not isinstance(event, ConnectionStateChanged)
    ]
    expected: list[Event] = [frame.valid for frame in batch if frame.valid is not None]
    assert delivered[:-1] == expected
    assert [(a.id, a.alert_type) for a in recorder.of(Alert, mark)] == [
        (marker, "door_open")
    ]
    # Every hostile frame was counted as malformed, except unknown types, which are ignored.
    assert fuzzed.connection.stats.malformed_messages - malformed == sum(
        not _unknown_type(frame) for frame in hostile
    )


def _unknown_type(frame: Frame) -> bool:
    """Tell whether a frame is a JSON object of a message type nobody knows (ignored, not malformed)."""
    try:
        return parse_message(frame.data) is None
    except SmartKitchenResponseError:
        return False


@settings(
    max_examples=SHORT_RUN,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batch=BATCH)
async def test_hostile_frames_between_valid_ones(
    fuzzed: Fuzzed, batch: list[Frame]
) -> None:
    """Hostile frames are skipped one by one; the valid ones between them are all applied."""
    await feed(fuzzed, batch)


@pytest.mark.slow
@settings(
    max_examples=LONG_RUN,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batch=BATCH)
async def test_hostile_frames_long(fuzzed: Fuzzed, batch: list[Frame]) -> None:
    """The same, about 40,000 frames."""
    await feed(fuzzed, batch)


FRAME_TEXT = st.one_of(
    st.text(max_size=60),
    st.binary(max_size=60),
    JSON.map(text),
    HOSTILE.map(lambda frame: frame.data),
    valid_update().map(lambda frame: frame.data),
)


@settings(max_examples=1000, deadline=None, database=None)
@given(data=FRAME_TEXT)
def test_parse_message_raises_only_response_errors(data: str | bytes) -> None:
    """Whatever arrives, parse_message returns an event or None, or raises SmartKitchenResponseError."""
    with contextlib.suppress(SmartKitchenResponseError):
        parse_message(data)


@settings(max_examples=300, deadline=None, database=None)
@given(
    message_type=st.text(min_size=1, max_size=20).filter(
        lambda t: t not in KNOWN_TYPES
    ),
    body=st.dictionaries(st.text(max_size=8), JSON, max_size=5),
)
def test_parse_message_ignores_unknown_types(
    message_type: str, body: dict[str, Any]
) -> None:
    """A message type this library does not know is None, whatever it carries."""
    assert parse_message(text({**body, "type": message_type})) is None


def test_nan_text_is_not_json() -> None:
    """NaN and infinities written as raw JSON text are refused, never decoded to a float."""
    for raw in ("NaN", "Infinity", "-Infinity", "1e999"):
        frame = text(update("oven-1", "upper", OVEN_STATE)).replace("21.0", raw)
        with pytest.raises(SmartKitchenResponseError):
            parse_message(frame)
    assert math.isfinite(21.0)
