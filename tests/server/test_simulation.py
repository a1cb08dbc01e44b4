"""Appliance behaviour: every command and its errors, the per-tick physics, doors and alerts."""

from collections.abc import Awaitable, Callable
from dataclasses import replace
import json
from pathlib import Path
from typing import Any

from aiohttp import ClientSession
import pytest

from smart_kitchen_server import ServerConfig, SmartKitchenServer

from .conftest import WsClient

type Command = Callable[..., Awaitable[tuple[int, dict[str, Any]]]]
type Door = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture
async def devices(
    http: ClientSession, auth: dict[str, str]
) -> Callable[[], Awaitable[dict[str, dict[str, Any]]]]:
    """Read the caller's devices by id."""

    async def _devices() -> dict[str, dict[str, Any]]:
        response = await http.get("/api/devices", headers=auth)
        return {device["id"]: device for device in (await response.json())["devices"]}

    return _devices


def upper(device: dict[str, Any]) -> dict[str, Any]:
    """Return the upper oven compartment's state."""
    state: dict[str, Any] = device["compartments"]["upper"]
    return state


async def set_target(
    command: Command,
    value: object,
    *,
    device: str = "oven-1",
    compartment: str = "upper",
) -> tuple[int, dict[str, Any]]:
    """Send set_target_temperature; return the status and the answer."""
    return await command(
        device,
        {
            "command": "set_target_temperature",
            "compartment": compartment,
            "args": {"value": value},
        },
    )


async def set_mode(
    command: Command, mode: str, compartment: str = "upper"
) -> dict[str, Any]:
    """Set an oven mode and return the compartment state."""
    status, device = await command(
        "oven-1",
        {"command": "set_mode", "compartment": compartment, "args": {"mode": mode}},
    )
    assert status == 200, device
    state: dict[str, Any] = device["compartments"][compartment]
    return state


# --- ovens -----------------------------------------------------------------------------------------


async def test_oven_preheats_to_ready(
    client: WsClient, command: Command, server: SmartKitchenServer
) -> None:
    """Baking heats 10 °C per tick to the target, then reports ready and raises preheat_done once."""
    await client.subscribe(["oven-1"])
    assert await set_mode(command, "bake") == {
        "currentTemperature": 21.0,
        "targetTemperature": 180,
        "mode": "bake",
        "status": "preheating",
        "doorOpen": False,
        "timerRemainingMinutes": None,
    }
    assert (await client.receive())["state"]["status"] == "preheating"

    await server.tick(16)

    received = await client.receive_until(lambda m: m["type"] == "alert")
    temperatures = [m["state"]["currentTemperature"] for m in received[:-1]]
    assert temperatures == [
        31.0,
        41.0,
        51.0,
        61.0,
        71.0,
        81.0,
        91.0,
        101.0,
        111.0,
        121.0,
        131.0,
        141.0,
        151.0,
        161.0,
        171.0,
        180.0,
    ]
    assert received[-2]["state"]["status"] == "ready"
    assert received[-1]["alertType"] == "preheat_done"
    assert received[-1]["compartment"] == "upper"
    assert received[-1]["message"] == "Double Oven upper has reached 180 °C"
    # Holding at the target changes nothing, so nothing more is sent.
    await server.tick(5)
    await client.barrier()


@pytest.mark.parametrize(
    ("mode", "target", "status"),
    [
        ("bake", 180, "preheating"),
        ("convection", 160, "preheating"),
        ("grill", 220, "preheating"),
        ("defrost", 40, "preheating"),
    ],
)
async def test_oven_mode_defaults(
    command: Command, mode: str, target: int, status: str
) -> None:
    """A mode chosen while off brings its default target."""
    state = await set_mode(command, mode)

    assert (state["mode"], state["targetTemperature"], state["status"]) == (
        mode,
        target,
        status,
    )


async def test_oven_mode_change_keeps_target(command: Command) -> None:
    """Switching between heating modes keeps the chosen target."""
    await set_mode(command, "bake")
    await set_target(command, 200)

    state = await set_mode(command, "grill")

    assert (state["mode"], state["targetTemperature"]) == ("grill", 200)


@pytest.mark.parametrize(
    "off", [{"command": "turn_off"}, {"command": "set_mode", "args": {"mode": "off"}}]
)
async def test_oven_turn_off_cools_down(
    command: Command,
    server: SmartKitchenServer,
    devices: Callable[[], Awaitable[dict[str, Any]]],
    off: dict[str, Any],
) -> None:
    """Off clears the target; a hot compartment reports cooling until it is back at 21 °C."""
    await set_mode(command, "bake")
    await server.tick(3)  # 51 °C

    status, device = await command("oven-1", {**off, "compartment": "upper"})

    assert status == 200
    assert upper(device) == {
        "currentTemperature": 51.0,
        "targetTemperature": None,
        "mode": "off",
        "status": "cooling",
        "doorOpen": False,
        "timerRemainingMinutes": None,
    }
    await server.tick(14)  # 2 °C per tick: 23 °C
    assert upper((await devices())["oven-1"])["status"] == "cooling"
    await server.tick(1)
    state = upper((await devices())["oven-1"])
    assert (state["currentTemperature"], state["status"]) == (21.0, "off")


async def test_oven_lower_target_cools_to_ready_without_alert(
    client: WsClient, command: Command, server: SmartKitchenServer
) -> None:
    """A target below the current temperature means cooling; reaching it is not a preheat."""
    await set_mode(command, "grill")
    await server.tick(20)  # 220 °C, ready
    await client.subscribe(["oven-1"])

    status, device = await set_target(command, 210)
    assert status == 200
    assert upper(device)["status"] == "cooling"
    await server.tick(5)

    received = await client.receive_many(6)
    assert [m["state"]["currentTemperature"] for m in received] == [
        220.0,
        218.0,
        216.0,
        214.0,
        212.0,
        210.0,
    ]
    assert received[-1]["state"]["status"] == "ready"
    await client.barrier()


async def test_oven_target_within_a_degree_is_ready_at_once(
    client: WsClient, command: Command, server: SmartKitchenServer
) -> None:
    """Moving the target next to the current temperature finishes the preheat right away."""
    await set_mode(command, "defrost")
    await server.tick(1)  # 31 °C
    await client.subscribe(["oven-1"])

    status, device = await set_target(command, 30.0)

    assert status == 200
    assert upper(device)["status"] == "ready"
    assert upper(device)["targetTemperature"] == 30
    update, alert = await client.receive_many(2)
    assert update["state"]["status"] == "ready"
    assert alert["alertType"] == "preheat_done"


async def test_oven_target_needs_a_mode(command: Command) -> None:
    """Setting a target while the compartment is off is a conflict."""
    status, body = await set_target(command, 180)

    assert status == 409
    assert body["error"] == {
        "code": "conflict",
        "message": "upper is off; choose a mode with set_mode first",
    }


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        (
            {"command": "set_target_temperature", "args": {"value": 29}},
            "value_out_of_range",
            "args.value must be between 30 and 300, not 29",
        ),
        (
            {"command": "set_target_temperature", "args": {"value": 301}},
            "value_out_of_range",
            "args.value must be between 30 and 300, not 301",
        ),
        (
            {"command": "set_target_temperature", "args": {"value": 180.5}},
            "invalid_command",
            "args.value must be a whole number",
        ),
        (
            {"command": "set_target_temperature", "args": {"value": "hot"}},
            "invalid_command",
            "args.value must be a number",
        ),
        (
            {"command": "set_target_temperature", "args": {"value": True}},
            "invalid_command",
            "args.value must be a number",
        ),
        (
            {"command": "set_target_temperature"},
            "invalid_command",
            "args.value is required",
        ),
        (
            {"command": "set_mode", "args": {"mode": "steam"}},
            "invalid_command",
            "args.mode must be one of off, bake, convection, grill, defrost",
        ),
        (
            {"command": "set_mode", "args": {"mode": ["bake"]}},
            "invalid_command",
            "args.mode must be one of off, bake, convection, grill, defrost",
        ),
        (
            {"command": "start", "args": {}},
            "invalid_command",
            (
                "unknown command 'start' for a oven; one of set_target_temperature, "
                "set_mode, turn_off, set_timer, cancel_timer"
            ),
        ),
    ],
)
async def test_oven_command_errors(
    command: Command, body: dict[str, Any], code: str, message: str
) -> None:
    """Bad arguments are refused with a code and a message that says what is allowed."""
    await set_mode(command, "bake")

    status, answer = await command("oven-1", {**body, "compartment": "upper"})

    assert status == 400
    assert answer == {"error": {"code": code, "message": message}}


async def test_documented_error_envelope_is_what_the_server_sends(
    command: Command,
) -> None:
    """The error example in docs/protocol.md is the server's real answer to an oven at 500 °C."""
    doc = (Path(__file__).parents[2] / "docs" / "protocol.md").read_text()
    example = doc.split("Every error response has this body", 1)[1]
    example = example.split("```json\n", 1)[1].split("```", 1)[0]
    await set_mode(command, "bake")

    status, answer = await set_target(command, 500)

    assert status == 400
    assert answer == json.loads(example)


@pytest.mark.parametrize(
    ("compartment", "message"),
    [
        (None, "compartment is required for a oven: one of upper, lower"),
        ("middle", "unknown compartment 'middle': one of upper, lower"),
    ],
)
async def test_oven_compartment_errors(
    command: Command, compartment: str | None, message: str
) -> None:
    """Oven commands must name an existing compartment."""
    status, answer = await command(
        "oven-1", {"command": "turn_off", "compartment": compartment}
    )

    assert status == 400
    assert answer == {"error": {"code": "invalid_command", "message": message}}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"compartment": "upper"}, "command must be a string"),
        ({"command": 1}, "command must be a string"),
        (
            {"command": "turn_off", "compartment": 1},
            "compartment must be a string or null",
        ),
        (
            {"command": "turn_off", "compartment": "upper", "args": [1]},
            "args must be an object",
        ),
    ],
)
async def test_command_body_errors(
    command: Command, body: dict[str, Any], message: str
) -> None:
    """A command body with wrong JSON types is a bad request."""
    status, answer = await command("oven-1", body)

    assert status == 400
    assert answer == {"error": {"code": "bad_request", "message": message}}


async def test_command_body_not_json(http: ClientSession, auth: dict[str, str]) -> None:
    """A command body that is not JSON is a bad request."""
    response = await http.post("/api/devices/oven-1/commands", data=b"{", headers=auth)

    assert response.status == 400
    assert (await response.json())["error"]["code"] == "bad_request"


async def test_command_answer_matches_device_list(
    command: Command, devices: Callable[[], Awaitable[dict[str, Any]]]
) -> None:
    """A command answers with the same Device object /api/devices shows; null args count as none."""
    status, device = await command(
        "oven-1", {"command": "turn_off", "compartment": "lower", "args": None}
    )

    assert status == 200
    assert device == (await devices())["oven-1"]


# --- fridges -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("compartment", "value", "status"),
    [
        ("fridge", 1, 200),
        ("fridge", 8, 200),
        ("fridge", 0, 400),
        ("fridge", 9, 400),
        ("freezer", -24, 200),
        ("freezer", -14, 200),
        ("freezer", -25, 400),
        ("freezer", -13, 400),
    ],
)
async def test_fridge_target_ranges(
    command: Command, compartment: str, value: int, status: int
) -> None:
    """Fridge targets are 1-8 °C, freezer targets -24 to -14 °C."""
    code, body = await set_target(
        command, value, device="fridge-1", compartment=compartment
    )

    assert code == status
    if status == 200:
        assert body["compartments"][compartment]["targetTemperature"] == value
    else:
        assert body["error"]["code"] == "value_out_of_range"


async def test_fridge_drifts_to_target(
    client: WsClient, command: Command, server: SmartKitchenServer
) -> None:
    """A fridge moves 0.5 °C per tick toward a new setpoint, then stays quiet."""
    await client.subscribe(["fridge-1"])
    await set_target(command, 3, device="fridge-1", compartment="fridge")
    assert (await client.receive())["state"]["targetTemperature"] == 3

    await server.tick(4)

    received = await client.receive_many(2)
    assert [m["state"]["currentTemperature"] for m in received] == [3.5, 3.0]
    await client.barrier()


async def test_fridge_unknown_command(command: Command) -> None:
    """Fridges only take set_target_temperature."""
    status, body = await command(
        "fridge-1", {"command": "turn_off", "compartment": "fridge"}
    )

    assert status == 400
    assert body["error"]["code"] == "invalid_command"


@pytest.fixture
def config() -> ServerConfig:
    """Return the demo with a short door alert delay, so door alerts come before temperature_high."""
    return replace(ServerConfig.demo(tick=None), door_alert_ticks=3)


async def test_door_alert_once_per_opening(
    client: WsClient, door: Door, server: SmartKitchenServer
) -> None:
    """door_open fires on the first tick past the limit, once per opening, and re-arms on closing."""
    await client.subscribe(["fridge-1"])
    device = await door("fridge-1", "fridge", True)
    assert device["compartments"]["fridge"]["doorOpen"] is True
    assert (await client.receive())["state"]["doorOpen"] is True

    await server.tick(3)
    assert len(await client.receive_many(3)) == 3
    await client.barrier()

    await server.tick(1)
    update, alert = await client.receive_many(2)
    assert update["state"]["currentTemperature"] == 6.0
    assert alert["alertType"] == "door_open"
    assert (
        alert["message"]
        == "Fridge Freezer fridge door has been open for more than 6 seconds"
    )
    assert (alert["deviceId"], alert["deviceType"], alert["compartment"]) == (
        "fridge-1",
        "fridge",
        "fridge",
    )

    await server.tick(2)
    assert [m["type"] for m in await client.receive_many(2)] == [
        "device_update",
        "device_update",
    ]
    await client.barrier()

    await door("fridge-1", "fridge", False)
    await door("fridge-1", "fridge", True)
    await server.tick(4)
    received = await client.receive_until(lambda m: m["type"] == "alert")
    assert received[-1]["id"] == alert["id"] + 1


async def test_door_is_idempotent(client: WsClient, door: Door) -> None:
    """Closing a closed door changes nothing and sends nothing."""
    await client.subscribe(["fridge-1"])

    device = await door("fridge-1", "freezer", False)

    assert device["compartments"]["freezer"]["doorOpen"] is False
    await client.barrier()


async def test_temperature_high_once_per_excursion(
    client: WsClient, door: Door, server: SmartKitchenServer
) -> None:
    """More than 5 °C above target raises temperature_high once until the compartment recovers."""
    await client.subscribe(["fridge-1"])
    await door("fridge-1", "freezer", True)
    await client.receive()

    await server.tick(
        5
    )  # -13 °C: exactly 5 above, no temperature alert yet (door_open came at tick 4)
    received = await client.receive_many(6)
    assert [m["alertType"] for m in received if m["type"] == "alert"] == ["door_open"]
    await client.barrier()
    await server.tick(1)  # -12 °C
    update, alert = await client.receive_many(2)
    assert update["state"]["currentTemperature"] == -12.0
    assert alert["alertType"] == "temperature_high"
    assert (
        alert["message"]
        == "Fridge Freezer freezer is at -12 °C, more than 5 °C above its -18 °C setpoint"
    )

    # Still too warm: no second alert.
    await server.tick(3)
    assert [m["type"] for m in await client.receive_many(3)] == ["device_update"] * 3
    await client.barrier()

    # Close the door; recovering to within the margin re-arms the alert for the next excursion.
    await door("fridge-1", "freezer", False)
    await server.tick(5)  # -9 -> -14 °C
    await door("fridge-1", "freezer", True)
    await server.tick(2)  # -12 °C
    received = await client.receive_until(lambda m: m["type"] == "alert")
    assert received[-1]["alertType"] == "temperature_high"
    assert received[-1]["id"] == alert["id"] + 1


# --- dishwashers -------------------------------------------------------------------------------------


async def dishwasher(
    command: Command, name: str, args: dict[str, Any] | None = None
) -> tuple[int, dict[str, Any]]:
    """Send a dishwasher command."""
    body: dict[str, Any] = {"command": name}
    if args is not None:
        body["args"] = args
    return await command("dishwasher-1", body)


async def test_dishwasher_runs_to_finished(
    client: WsClient, command: Command, server: SmartKitchenServer
) -> None:
    """A program counts down a minute per tick, reports progress and raises program_finished."""
    await client.subscribe(["dishwasher-1"])
    status, device = await dishwasher(command, "start", {"program": "quick"})
    assert status == 200
    assert device["state"] == {
        "status": "running",
        "program": "quick",
        "remainingMinutes": 30,
        "progress": 0,
        "doorOpen": False,
        "selectedProgram": "quick",
        "startsAt": None,
        "programEnergyWh": 0.0,
        "programWaterLiters": 0.0,
    }
    await client.receive()

    await server.tick(15)
    received = await client.receive_many(15)
    assert received[-1]["state"]["remainingMinutes"] == 15
    assert received[-1]["state"]["progress"] == 50
    assert received[0]["state"]["progress"] == 3  # 1/30 rounded down

    await server.tick(20)
    received = await client.receive_until(lambda m: m["type"] == "alert")
    assert len(received) == 16
    assert received[-2]["state"] == {
        "status": "finished",
        "program": "quick",
        "remainingMinutes": 0,
        "progress": 100,
        "doorOpen": False,
        "selectedProgram": "quick",
        "startsAt": None,
        "programEnergyWh": 600.0,
        "programWaterLiters": 9.0,
    }
    assert received[-1]["alertType"] == "program_finished"
    await client.barrier()

    # A finished dishwasher can start again.
    status, device = await dishwasher(command, "start", {"program": "eco"})
    assert (status, device["state"]["remainingMinutes"]) == (200, 180)


@pytest.mark.parametrize(
    ("program", "minutes"),
    [("eco", 180), ("normal", 120), ("intensive", 150), ("quick", 30)],
)
async def test_dishwasher_program_durations(
    command: Command, program: str, minutes: int
) -> None:
    """Each program has its documented duration."""
    _, device = await dishwasher(command, "start", {"program": program})

    assert device["state"]["remainingMinutes"] == minutes


async def test_dishwasher_pause_resume_cancel(
    command: Command, server: SmartKitchenServer
) -> None:
    """Pause stops the countdown, resume continues it, cancel returns to idle."""
    await dishwasher(command, "start", {"program": "normal"})
    status, device = await dishwasher(command, "pause")
    assert (status, device["state"]["status"]) == (200, "paused")

    await server.tick(10)
    status, device = await dishwasher(command, "resume")
    assert (status, device["state"]["status"], device["state"]["remainingMinutes"]) == (
        200,
        "running",
        120,
    )

    status, device = await dishwasher(command, "cancel")
    assert device["state"] == {
        "status": "idle",
        "program": None,
        "remainingMinutes": 0,
        "progress": 0,
        "doorOpen": False,
        "selectedProgram": "normal",
        "startsAt": None,
        "programEnergyWh": None,
        "programWaterLiters": None,
    }


async def test_dishwasher_cancel_finished(
    command: Command, server: SmartKitchenServer
) -> None:
    """Cancel also resets a finished program."""
    await dishwasher(command, "start", {"program": "quick"})
    await server.tick(30)

    status, device = await dishwasher(command, "cancel")

    assert (status, device["state"]["status"]) == (200, "idle")


@pytest.mark.parametrize(
    ("setup", "name", "args", "message"),
    [
        (
            ["start"],
            "start",
            {"program": "eco"},
            "a program is already running; cancel it first",
        ),
        (
            ["start", "pause"],
            "start",
            {"program": "eco"},
            "a program is already paused; cancel it first",
        ),
        ([], "pause", None, "only a running program can be paused; it is idle"),
        (
            ["start"],
            "resume",
            None,
            "only a paused program can be resumed; it is running",
        ),
        ([], "cancel", None, "there is no program to cancel"),
    ],
)
async def test_dishwasher_conflicts(
    command: Command,
    setup: list[str],
    name: str,
    args: dict[str, Any] | None,
    message: str,
) -> None:
    """Commands that do not fit the current status are 409 conflict."""
    for step in setup:
        status, _ = await dishwasher(
            command, step, {"program": "quick"} if step == "start" else None
        )
        assert status == 200

    status, body = await dishwasher(command, name, args)

    assert status == 409
    assert body["error"] == {"code": "conflict", "message": message}


async def test_dishwasher_door(command: Command, door: Door) -> None:
    """Opening the door pauses a running program; start and resume need it closed."""
    await dishwasher(command, "start", {"program": "quick"})

    device = await door("dishwasher-1", None, True)
    assert (device["state"]["status"], device["state"]["doorOpen"]) == ("paused", True)

    status, body = await dishwasher(command, "resume")
    assert (status, body["error"]["message"]) == (409, "close the door before resuming")

    await dishwasher(command, "cancel")
    status, body = await dishwasher(command, "start", {"program": "quick"})
    assert (status, body["error"]["message"]) == (
        409,
        "close the door before starting a program",
    )

    device = await door("dishwasher-1", None, False)
    assert device["state"]["doorOpen"] is False


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"command": "start", "args": {"program": "rinse"}},
            "args.program must be one of eco, normal, intensive, quick",
        ),
        (
            {"command": "start", "args": {"program": 3}},
            "args.program must be one of eco, normal, intensive, quick",
        ),
        (
            {"command": "start", "compartment": "main", "args": {"program": "eco"}},
            "a dishwasher has no compartments; omit compartment",
        ),
        (
            {"command": "set_target_temperature"},
            (
                "unknown command 'set_target_temperature' for a dishwasher; "
                "one of start, pause, resume, cancel, select_program"
            ),
        ),
    ],
)
async def test_dishwasher_command_errors(
    command: Command, body: dict[str, Any], message: str
) -> None:
    """Dishwasher commands are checked like the others."""
    status, answer = await command("dishwasher-1", body)

    assert status == 400
    assert answer == {"error": {"code": "invalid_command", "message": message}}


# --- the simulation API ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("device_id", "body", "code"),
    [
        ("dishwasher-1", {"compartment": "main", "open": True}, "invalid_command"),
        ("oven-1", {"open": True}, "invalid_command"),
        ("fridge-1", {"compartment": "ice", "open": True}, "invalid_command"),
        ("fridge-1", {"compartment": "fridge"}, "bad_request"),
        ("fridge-1", {"compartment": "fridge", "open": "yes"}, "bad_request"),
        ("fridge-1", {"compartment": 1, "open": True}, "bad_request"),
    ],
)
async def test_door_errors(
    http: ClientSession,
    auth: dict[str, str],
    device_id: str,
    body: dict[str, Any],
    code: str,
) -> None:
    """Door changes name the compartment exactly when the device has compartments."""
    response = await http.post(
        f"/api/simulation/devices/{device_id}/door", json=body, headers=auth
    )

    assert response.status == 400
    assert (await response.json())["error"]["code"] == code


async def test_oven_door(door: Door) -> None:
    """Oven doors are reported per compartment."""
    device = await door("oven-1", "lower", True)

    assert device["compartments"]["lower"]["doorOpen"] is True
    assert device["compartments"]["upper"]["doorOpen"] is False


@pytest.mark.parametrize(
    ("device_type", "expected", "compartments"),
    [
        ("oven", ("oven-2", "SK-OV600", "3.2.1"), ["main"]),
        ("fridge", ("fridge-3", "SK-FF540", "1.8.0"), ["fridge", "freezer"]),
        ("dishwasher", ("dishwasher-2", "SK-DW60", "5.0.2"), None),
    ],
)
async def test_add_device(
    http: ClientSession,
    auth: dict[str, str],
    device_type: str,
    expected: tuple[str, str, str],
    compartments: list[str] | None,
) -> None:
    """Installed appliances get the next free id, default model and firmware, and their initial state."""
    response = await http.post(
        "/api/simulation/devices",
        json={"type": device_type, "name": "  New  "},
        headers=auth,
    )

    assert response.status == 201
    device = await response.json()
    assert device["type"] == device_type
    assert device["name"] == "New"
    assert (device["id"], device["model"], device["firmware"]) == expected
    if compartments is not None:
        assert list(device["compartments"]) == compartments
    else:
        assert device["state"]["status"] == "idle"
    listed = await (await http.get("/api/devices", headers=auth)).json()
    assert listed["devices"][-1] == device


async def test_removed_ids_are_not_reused(
    http: ClientSession, auth: dict[str, str]
) -> None:
    """An id is handed out once per boot, even after its device was removed."""
    body = {"type": "oven", "name": "Oven"}
    first = await (
        await http.post("/api/simulation/devices", json=body, headers=auth)
    ).json()
    await http.delete(f"/api/simulation/devices/{first['id']}", headers=auth)

    second = await (
        await http.post("/api/simulation/devices", json=body, headers=auth)
    ).json()

    assert (first["id"], second["id"]) == ("oven-2", "oven-3")
    listed = await (await http.get("/api/devices", headers=auth)).json()
    assert [d["id"] for d in listed["devices"]] == [
        "oven-1",
        "fridge-1",
        "dishwasher-1",
        "oven-3",
    ]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"type": "toaster", "name": "Toaster"}, "invalid_command"),
        ({"type": "oven", "name": "   "}, "invalid_command"),
        ({"type": "oven", "name": "x" * 65}, "invalid_command"),
        ({"type": "oven"}, "bad_request"),
        ({"type": 1, "name": "Oven"}, "bad_request"),
    ],
)
async def test_add_device_errors(
    http: ClientSession, auth: dict[str, str], body: dict[str, Any], code: str
) -> None:
    """The type must be known and the name 1-64 characters."""
    response = await http.post("/api/simulation/devices", json=body, headers=auth)

    assert response.status == 400
    assert (await response.json())["error"]["code"] == code
