"""Protocol additions: selected program, delayed start, super-cool/super-freeze and oven cook timers."""

from collections.abc import Awaitable, Callable
import json
from pathlib import Path
from typing import Any

import pytest

from smart_kitchen_server import SmartKitchenServer
from tests.helpers import FakeClock

from .conftest import WsClient

type Command = Callable[..., Awaitable[tuple[int, dict[str, Any]]]]
type Door = Callable[..., Awaitable[dict[str, Any]]]
type Connect = Callable[..., Awaitable[WsClient]]

# The fake clock's start (see conftest.FakeClock).
NOW = "2026-11-27T08:00:00.000Z"


async def dishwasher(
    command: Command, name: str, **args: Any
) -> tuple[int, dict[str, Any]]:
    """Send a dishwasher command; return the status and the answer."""
    return await command("dishwasher-1", {"command": name, "args": args})


async def dishwasher_state(command: Command, name: str, **args: Any) -> dict[str, Any]:
    """Send a dishwasher command that must succeed; return the dishwasher's state."""
    status, device = await dishwasher(command, name, **args)
    assert status == 200, device
    state: dict[str, Any] = device["state"]
    return state


async def oven(
    command: Command, name: str, compartment: str = "upper", **args: Any
) -> tuple[int, dict[str, Any]]:
    """Send an oven command; return the status and the answer."""
    return await command(
        "oven-1", {"command": name, "compartment": compartment, "args": args}
    )


async def oven_state(
    command: Command, name: str, compartment: str = "upper", **args: Any
) -> dict[str, Any]:
    """Send an oven command that must succeed; return the compartment's state."""
    status, device = await oven(command, name, compartment, **args)
    assert status == 200, device
    state: dict[str, Any] = device["compartments"][compartment]
    return state


async def fridge(
    command: Command, name: str, compartment: str, **args: Any
) -> tuple[int, dict[str, Any]]:
    """Send a fridge command; return the status and the answer."""
    return await command(
        "fridge-1", {"command": name, "compartment": compartment, "args": args}
    )


# --- dishwasher: selected program -------------------------------------------------------------------


async def test_selected_program_is_shared_by_every_client(
    connect: Connect, token: str, command: Command
) -> None:
    """The demo starts with eco; a selection is pushed to every subscriber as a device_update."""
    first = await connect(token)
    second = await connect(token)
    for client in (first, second):
        snapshot = await client.subscribe(["dishwasher-1"])
        assert snapshot[-1]["state"]["selectedProgram"] == "eco"

    state = await dishwasher_state(command, "select_program", program="quick")

    assert (state["status"], state["program"], state["selectedProgram"]) == (
        "idle",
        None,
        "quick",
    )
    for client in (first, second):
        update = await client.receive()
        assert update["type"] == "device_update"
        assert update["state"] == state
        await client.barrier()


async def test_selecting_the_selected_program_sends_nothing(
    client: WsClient, command: Command
) -> None:
    """Selecting the program already selected changes nothing, so nothing is pushed."""
    await client.subscribe(["dishwasher-1"])

    state = await dishwasher_state(command, "select_program", program="eco")

    assert state["selectedProgram"] == "eco"
    await client.barrier()


async def test_start_runs_the_selected_program(
    command: Command, server: SmartKitchenServer
) -> None:
    """`start` without a program (or with null) runs the selected one."""
    await dishwasher_state(command, "select_program", program="normal")

    state = await dishwasher_state(command, "start")
    assert (state["status"], state["program"], state["remainingMinutes"]) == (
        "running",
        "normal",
        120,
    )

    await dishwasher_state(command, "cancel")
    state = await dishwasher_state(command, "start", program=None)
    assert state["program"] == "normal"


async def test_start_with_a_program_selects_it(command: Command) -> None:
    """`start` with a program runs it and makes it the selected one, also after cancel."""
    state = await dishwasher_state(command, "start", program="intensive")
    assert (state["program"], state["selectedProgram"]) == ("intensive", "intensive")

    state = await dishwasher_state(command, "cancel")

    assert (state["program"], state["selectedProgram"]) == (None, "intensive")


async def test_select_program_when_finished(
    command: Command, server: SmartKitchenServer
) -> None:
    """A finished dishwasher takes a new selection and stays finished until it starts or is reset."""
    await dishwasher_state(command, "start", program="quick")
    await server.tick(30)

    state = await dishwasher_state(command, "select_program", program="eco")

    assert (state["status"], state["program"], state["selectedProgram"]) == (
        "finished",
        "quick",
        "eco",
    )


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (["start"], "a program is running; select the next one when it is done"),
        (
            ["start", "pause"],
            "a program is paused; select the next one when it is done",
        ),
        (
            ["schedule"],
            "a start is scheduled; cancel it before selecting another program",
        ),
    ],
)
async def test_select_program_conflicts(
    command: Command, setup: list[str], message: str
) -> None:
    """The selection cannot change while a program runs, is paused or is scheduled."""
    for name in setup:
        if name == "schedule":
            await dishwasher_state(command, "start", delayMinutes=10)
        else:
            await dishwasher_state(command, name)

    status, body = await dishwasher(command, "select_program", program="quick")

    assert status == 409
    assert body["error"] == {"code": "conflict", "message": message}


@pytest.mark.parametrize("args", [{}, {"program": "rinse"}, {"program": None}])
async def test_select_program_errors(command: Command, args: dict[str, Any]) -> None:
    """select_program needs one of the programs."""
    status, body = await dishwasher(command, "select_program", **args)

    assert status == 400
    assert body["error"] == {
        "code": "invalid_command",
        "message": "args.program must be one of eco, normal, intensive, quick",
    }


async def test_installed_dishwasher_selects_eco(
    http: Any, auth: dict[str, str]
) -> None:
    """A dishwasher installed through the simulation API starts with eco selected, too."""
    response = await http.post(
        "/api/simulation/devices",
        json={"type": "dishwasher", "name": "Second"},
        headers=auth,
    )

    assert (await response.json())["state"]["selectedProgram"] == "eco"


# --- dishwasher: delayed start ----------------------------------------------------------------------


async def test_delay_minutes_schedules_and_starts_on_the_clock(
    client: WsClient, command: Command, server: SmartKitchenServer, clock: FakeClock
) -> None:
    """A delayed start waits, idle with startsAt, and starts on the first tick at or after it."""
    await client.subscribe(["dishwasher-1"])

    state = await dishwasher_state(command, "start", program="quick", delayMinutes=90)

    assert state == {
        "status": "idle",
        "program": None,
        "remainingMinutes": 0,
        "progress": 0,
        "doorOpen": False,
        "selectedProgram": "quick",
        "startsAt": "2026-11-27T09:30:00.000Z",
        "programEnergyWh": None,
        "programWaterLiters": None,
    }
    assert (await client.receive())["state"] == state

    clock.advance(90 * 60 - 1)
    await server.tick(3)
    await client.barrier()

    clock.advance(1)
    await server.tick()
    update = await client.receive()
    assert update["state"] == {
        **state,
        "status": "running",
        "program": "quick",
        "remainingMinutes": 30,
        "startsAt": None,
        "programEnergyWh": 0.0,
        "programWaterLiters": 0.0,
    }
    await server.tick()
    assert (await client.receive())["state"]["remainingMinutes"] == 29


async def test_finish_at_schedules_the_start_a_program_earlier(
    command: Command,
) -> None:
    """The finishAt argument is when the program should end: it starts that long before."""
    state = await dishwasher_state(
        command, "start", program="eco", finishAt="2026-11-27T18:00:00Z"
    )

    assert state["startsAt"] == "2026-11-27T15:00:00.000Z"


async def test_finish_at_in_another_time_zone(command: Command) -> None:
    """A finishAt may carry any offset; startsAt is always sent in UTC."""
    await dishwasher_state(command, "select_program", program="quick")

    state = await dishwasher_state(
        command, "start", finishAt="2026-11-27T10:30:00+01:00"
    )

    assert state["startsAt"] == "2026-11-27T09:00:00.000Z"


@pytest.mark.parametrize(
    ("finish_at", "status"),
    [
        ("2026-11-27T08:29:59.999Z", 400),  # 30 minutes of quick do not fit
        ("2026-11-27T08:30:00Z", 200),  # starts right away, on the next tick
        ("2026-11-28T08:00:00Z", 200),  # 24 hours ahead
        ("2026-11-28T08:00:00.001Z", 400),
        ("2026-11-27T07:00:00Z", 400),  # in the past
    ],
)
async def test_finish_at_must_be_reachable(
    command: Command, finish_at: str, status: int
) -> None:
    """A finishAt must leave the program its duration and be at most 24 hours ahead."""
    code, body = await dishwasher(command, "start", program="quick", finishAt=finish_at)

    assert code == status
    if status == 400:
        assert body["error"]["code"] == "finish_time_unreachable"


async def test_finish_at_error_message_names_the_window(command: Command) -> None:
    """The message says which window would have worked, with the selected program's duration."""
    status, body = await dishwasher(command, "start", finishAt="2026-11-27T09:00:00Z")

    assert status == 400
    assert body["error"] == {
        "code": "finish_time_unreachable",
        "message": "args.finishAt must be between 2026-11-27T11:00:00.000Z (now plus the eco "
        "program's 180 minutes) and 2026-11-28T08:00:00.000Z, not 2026-11-27T09:00:00.000Z",
    }


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            {"delayMinutes": 0},
            "value_out_of_range",
            "args.delayMinutes must be between 1 and 1440, not 0",
        ),
        (
            {"delayMinutes": 1441},
            "value_out_of_range",
            "args.delayMinutes must be between 1 and 1440, not 1441",
        ),
        (
            {"delayMinutes": 1.5},
            "invalid_command",
            "args.delayMinutes must be a whole number",
        ),
        (
            {"delayMinutes": "10"},
            "invalid_command",
            "args.delayMinutes must be a number",
        ),
        (
            {"delayMinutes": 10, "finishAt": "2026-11-27T18:00:00Z"},
            "invalid_command",
            "give args.delayMinutes or args.finishAt, not both",
        ),
        *(
            (
                {"finishAt": value},
                "invalid_command",
                (
                    "args.finishAt must be an ISO 8601 timestamp with a time zone, "
                    'e.g. "2026-11-27T18:30:00Z"'
                ),
            )
            for value in ("2026-11-27T18:00:00", "tonight", 1_800_000_000, True)
        ),
    ],
)
async def test_delayed_start_errors(
    command: Command, args: dict[str, Any], code: str, message: str
) -> None:
    """A delayMinutes is a whole number of 1-1440; a finishAt an ISO 8601 time with its zone."""
    status, body = await dishwasher(command, "start", **args)

    assert status == 400
    assert body["error"] == {"code": code, "message": message}


async def test_delay_minutes_bounds(command: Command) -> None:
    """1 and 1440 minutes are both allowed."""
    state = await dishwasher_state(command, "start", delayMinutes=1)
    assert state["startsAt"] == "2026-11-27T08:01:00.000Z"
    await dishwasher_state(command, "cancel")

    state = await dishwasher_state(command, "start", delayMinutes=1440.0)

    assert state["startsAt"] == "2026-11-28T08:00:00.000Z"


async def test_cancel_a_scheduled_start(
    command: Command, server: SmartKitchenServer, clock: FakeClock
) -> None:
    """Cancelling a scheduled start goes back to idle without a start time; nothing starts later."""
    await dishwasher_state(command, "start", delayMinutes=1)

    state = await dishwasher_state(command, "cancel")

    assert (state["status"], state["startsAt"], state["selectedProgram"]) == (
        "idle",
        None,
        "eco",
    )
    clock.advance(120)
    await server.tick()
    assert server.simulation.devices["dishwasher-1"].to_wire()["state"] == state


@pytest.mark.parametrize(
    ("name", "args", "message"),
    [
        (
            "start",
            {},
            "a start is already scheduled for 2026-11-27T08:10:00.000Z; cancel it first",
        ),
        ("start", {"delayMinutes": 5}, None),
        ("pause", {}, "only a running program can be paused; it is idle"),
        ("resume", {}, "only a paused program can be resumed; it is idle"),
    ],
)
async def test_scheduled_conflicts(
    command: Command, name: str, args: dict[str, Any], message: str | None
) -> None:
    """While scheduled, another start (now or later), pause and resume are conflicts."""
    await dishwasher_state(command, "start", delayMinutes=10)

    status, body = await dishwasher(command, name, **args)

    assert status == 409
    assert body["error"]["code"] == "conflict"
    if message is not None:
        assert body["error"]["message"] == message


async def test_schedule_from_finished(
    command: Command, server: SmartKitchenServer
) -> None:
    """A finished dishwasher can be scheduled again; the old run's figures are cleared."""
    await dishwasher_state(command, "start", program="quick")
    await server.tick(30)

    state = await dishwasher_state(command, "start", delayMinutes=5)

    assert (state["status"], state["program"], state["progress"]) == ("idle", None, 0)
    assert (state["selectedProgram"], state["programEnergyWh"]) == ("quick", None)


async def test_door_open_holds_a_scheduled_start(
    command: Command, door: Door, server: SmartKitchenServer, clock: FakeClock
) -> None:
    """A start may be scheduled with the door open; at startsAt an open door holds it until closed."""
    await door("dishwasher-1", None, True)
    state = await dishwasher_state(command, "start", delayMinutes=1)
    assert (state["doorOpen"], state["startsAt"]) == (True, "2026-11-27T08:01:00.000Z")

    clock.advance(300)
    await server.tick(2)
    device = server.simulation.devices["dishwasher-1"].to_wire()
    assert (device["state"]["status"], device["state"]["startsAt"]) == (
        "idle",
        "2026-11-27T08:01:00.000Z",
    )

    await door("dishwasher-1", None, False)
    await server.tick()
    device = server.simulation.devices["dishwasher-1"].to_wire()
    assert (device["state"]["status"], device["state"]["program"]) == ("running", "eco")


# --- fridge: super-cool and super-freeze ------------------------------------------------------------


async def test_super_cool_pulls_below_the_setpoint_then_ends_after_6_hours(
    client: WsClient, command: Command, server: SmartKitchenServer, clock: FakeClock
) -> None:
    """Super-cool pulls the fridge 3 °C below its setpoint and switches itself off after 6 h."""
    await client.subscribe(["fridge-1"])

    status, device = await fridge(command, "set_super_cool", "fridge", on=True)

    assert status == 200
    assert device["compartments"]["fridge"] == {
        "currentTemperature": 4.0,
        "targetTemperature": 4,
        "doorOpen": False,
        "superMode": True,
    }
    assert device["compartments"]["freezer"]["superMode"] is False
    assert (await client.receive())["state"]["superMode"] is True

    await server.tick(8)
    received = await client.receive_many(6)
    assert [m["state"]["currentTemperature"] for m in received] == [
        3.5,
        3.0,
        2.5,
        2.0,
        1.5,
        1.0,
    ]
    await client.barrier()

    clock.advance(6 * 3600 - 1)
    await server.tick()
    await client.barrier()

    clock.advance(1)
    await server.tick()
    update = await client.receive()
    assert (update["state"]["superMode"], update["state"]["currentTemperature"]) == (
        False,
        1.5,
    )


async def test_super_freeze(command: Command, server: SmartKitchenServer) -> None:
    """Super-freeze pulls the freezer 4 °C below its setpoint."""
    status, device = await fridge(command, "set_super_freeze", "freezer", on=True)
    assert (status, device["compartments"]["freezer"]["superMode"]) == (200, True)

    await server.tick(10)

    state = server.simulation.devices["fridge-1"].to_wire()["compartments"]["freezer"]
    assert state["currentTemperature"] == -22.0


async def test_super_mode_off_and_on_again(
    command: Command, server: SmartKitchenServer, clock: FakeClock
) -> None:
    """Off ends it at once; switching on while on keeps the original end; on again starts anew."""
    await fridge(command, "set_super_cool", "fridge", on=True)
    clock.advance(5 * 3600)
    _, device = await fridge(command, "set_super_cool", "fridge", on=True)
    assert device["compartments"]["fridge"]["superMode"] is True
    clock.advance(3600)
    await server.tick()
    state = server.simulation.devices["fridge-1"].to_wire()["compartments"]["fridge"]
    assert state["superMode"] is False

    await fridge(command, "set_super_cool", "fridge", on=True)
    _, device = await fridge(command, "set_super_cool", "fridge", on=False)
    assert device["compartments"]["fridge"]["superMode"] is False
    _, device = await fridge(command, "set_super_cool", "fridge", on=False)
    assert device["compartments"]["fridge"]["superMode"] is False


@pytest.mark.parametrize(
    ("name", "compartment", "args", "message"),
    [
        (
            "set_super_cool",
            "freezer",
            {"on": True},
            "set_super_cool is for the fridge compartment",
        ),
        (
            "set_super_freeze",
            "fridge",
            {"on": True},
            "set_super_freeze is for the freezer compartment",
        ),
        ("set_super_cool", "fridge", {}, "args.on must be true or false"),
        ("set_super_freeze", "freezer", {"on": 1}, "args.on must be true or false"),
        ("set_super_freeze", "freezer", {"on": "yes"}, "args.on must be true or false"),
    ],
)
async def test_super_mode_errors(
    command: Command,
    name: str,
    compartment: str,
    args: dict[str, Any],
    message: str,
) -> None:
    """Each super mode belongs to one compartment and takes a boolean `on`."""
    status, body = await fridge(command, name, compartment, **args)

    assert status == 400
    assert body["error"] == {"code": "invalid_command", "message": message}


# --- oven: cook timer -------------------------------------------------------------------------------


async def test_timer_counts_down_on_the_clock_then_turns_off(
    client: WsClient, command: Command, server: SmartKitchenServer, clock: FakeClock
) -> None:
    """The remaining minutes round up; at 0 the compartment turns off and raises timer_finished."""
    await oven_state(command, "set_mode", mode="bake")
    await server.tick(16)  # 180 °C, ready
    await client.subscribe(["oven-1"])

    state = await oven_state(command, "set_timer", minutes=2)

    assert state == {
        "currentTemperature": 180.0,
        "targetTemperature": 180,
        "mode": "bake",
        "status": "ready",
        "doorOpen": False,
        "timerRemainingMinutes": 2,
    }
    assert (await client.receive())["state"] == state

    clock.advance(30)
    await server.tick()  # 1.5 minutes left: still 2
    await client.barrier()
    clock.advance(30)
    await server.tick()
    assert (await client.receive())["state"]["timerRemainingMinutes"] == 1

    clock.advance(60)
    await server.tick()
    update, alert = await client.receive_many(2)
    assert update["state"] == {
        "currentTemperature": 178.0,
        "targetTemperature": None,
        "mode": "off",
        "status": "cooling",
        "doorOpen": False,
        "timerRemainingMinutes": None,
    }
    assert alert["type"] == "alert"
    assert (alert["alertType"], alert["compartment"], alert["ts"]) == (
        "timer_finished",
        "upper",
        "2026-11-27T08:02:00.000Z",
    )
    assert (
        alert["message"]
        == "Double Oven upper timer has finished; the compartment was turned off"
    )
    # The lower compartment is not affected.
    assert (
        server.simulation.devices["oven-1"].to_wire()["compartments"]["lower"]["mode"]
        == "off"
    )
    await client.barrier()


async def test_timer_on_an_oven_that_is_off(command: Command) -> None:
    """A timer needs a heating mode: it never turns a compartment on."""
    status, body = await oven(command, "set_timer", minutes=10)

    assert status == 409
    assert body["error"] == {
        "code": "conflict",
        "message": "upper is off; choose a mode with set_mode first",
    }


async def test_timer_replace_and_cancel(
    command: Command, server: SmartKitchenServer, clock: FakeClock
) -> None:
    """A new timer replaces the running one; cancel_timer removes it and the oven keeps heating."""
    await oven_state(command, "set_mode", mode="grill")
    await oven_state(command, "set_timer", minutes=1)
    state = await oven_state(command, "set_timer", minutes=600)
    assert state["timerRemainingMinutes"] == 600

    clock.advance(60)
    await server.tick()
    state = server.simulation.devices["oven-1"].to_wire()["compartments"]["upper"]
    assert (state["mode"], state["timerRemainingMinutes"]) == ("grill", 599)

    state = await oven_state(command, "cancel_timer")
    assert (state["mode"], state["timerRemainingMinutes"]) == ("grill", None)
    clock.advance(600 * 60)
    await server.tick()
    state = server.simulation.devices["oven-1"].to_wire()["compartments"]["upper"]
    assert state["mode"] == "grill"

    status, body = await oven(command, "cancel_timer")
    assert status == 409
    assert body["error"] == {
        "code": "conflict",
        "message": "upper has no timer to cancel",
    }


@pytest.mark.parametrize(
    "off", [{"name": "turn_off"}, {"name": "set_mode", "mode": "off"}]
)
async def test_turning_off_ends_the_timer(
    command: Command, server: SmartKitchenServer, clock: FakeClock, off: dict[str, Any]
) -> None:
    """Off means no timer is left to fire later."""
    await oven_state(command, "set_mode", mode="convection")
    await oven_state(command, "set_timer", minutes=5)

    state = await oven_state(command, **off)

    assert state["timerRemainingMinutes"] is None
    await oven_state(command, "set_mode", mode="bake")
    clock.advance(600)
    await server.tick()
    state = server.simulation.devices["oven-1"].to_wire()["compartments"]["upper"]
    assert (state["mode"], state["timerRemainingMinutes"]) == ("bake", None)


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        ({}, "invalid_command", "args.minutes is required"),
        (
            {"minutes": 0},
            "value_out_of_range",
            "args.minutes must be between 1 and 600, not 0",
        ),
        (
            {"minutes": 601},
            "value_out_of_range",
            "args.minutes must be between 1 and 600, not 601",
        ),
        ({"minutes": 2.5}, "invalid_command", "args.minutes must be a whole number"),
        ({"minutes": "5"}, "invalid_command", "args.minutes must be a number"),
    ],
)
async def test_timer_errors(
    command: Command, args: dict[str, Any], code: str, message: str
) -> None:
    """set_timer takes a whole number of minutes, 1-600 (checked before whether the oven is on)."""
    status, body = await oven(command, "set_timer", **args)

    assert status == 400
    assert body["error"] == {"code": code, "message": message}


async def test_documented_devices_are_what_the_server_sends(
    http: Any, auth: dict[str, str]
) -> None:
    """The oven and dishwasher examples in docs/protocol.md are the demo's real Device objects."""
    doc = (Path(__file__).parents[2] / "docs" / "protocol.md").read_text()
    section = doc.split("A Device object:", 1)[1]
    examples = [
        json.loads(block.split("```", 1)[0])
        for block in section.split("```json\n")[1:3]
    ]

    response = await http.get("/api/devices", headers=auth)

    devices = {device["id"]: device for device in (await response.json())["devices"]}
    assert examples == [devices["oven-1"], devices["dishwasher-1"]]
