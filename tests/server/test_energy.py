"""Lifetime energy and water counters, the device status object and `device_status` messages."""

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import ClientSession
import pytest

from smart_kitchen_server import SmartKitchenServer

from .conftest import WsClient

type Command = Callable[..., Awaitable[tuple[int, dict[str, Any]]]]
type Door = Callable[..., Awaitable[dict[str, Any]]]

# The demo's starting counters.
OVEN_WH = 48210.0
FRIDGE_WH = 312400.0
DISHWASHER_WH = 95200.0
DISHWASHER_L = 1064.0


def status_of(server: SmartKitchenServer, device_id: str) -> dict[str, Any]:
    """Return a device's status object as the REST API shows it."""
    status: dict[str, Any] = server.simulation.devices[device_id].to_wire()["status"]
    return status


async def test_device_status_in_the_device_list(
    http: ClientSession, auth: dict[str, str]
) -> None:
    """Every Device object carries status: online, energyWh, and waterLiters (null but for dishwashers)."""
    response = await http.get("/api/devices", headers=auth)

    assert {
        device["id"]: device["status"] for device in (await response.json())["devices"]
    } == {
        "oven-1": {"online": True, "energyWh": OVEN_WH, "waterLiters": None},
        "fridge-1": {"online": True, "energyWh": FRIDGE_WH, "waterLiters": None},
        "dishwasher-1": {
            "online": True,
            "energyWh": DISHWASHER_WH,
            "waterLiters": DISHWASHER_L,
        },
    }


@pytest.mark.parametrize(
    ("device_type", "water"), [("oven", None), ("fridge", None), ("dishwasher", 0.0)]
)
async def test_installed_devices_start_at_zero(
    http: ClientSession,
    auth: dict[str, str],
    client: WsClient,
    device_type: str,
    water: float | None,
) -> None:
    """An installed appliance starts its counters at 0; device_added carries its status too."""
    response = await http.post(
        "/api/simulation/devices",
        json={"type": device_type, "name": "New"},
        headers=auth,
    )

    device = await response.json()
    assert device["status"] == {"online": True, "energyWh": 0.0, "waterLiters": water}
    assert (await client.receive())["device"] == device


async def test_snapshot_and_changes_with_device_status(
    client: WsClient, command: Command, server: SmartKitchenServer
) -> None:
    """deviceStatus: true adds one device_status per device after its updates, and per tick on change."""
    received = await client.subscribe_with_status(
        ["oven-1", "fridge-1", "dishwasher-1"], 8
    )

    assert [(m["type"], m["deviceId"]) for m in received[1:]] == [
        ("device_update", "oven-1"),
        ("device_update", "oven-1"),
        ("device_status", "oven-1"),
        ("device_update", "fridge-1"),
        ("device_update", "fridge-1"),
        ("device_status", "fridge-1"),
        ("device_update", "dishwasher-1"),
        ("device_status", "dishwasher-1"),
    ]
    assert received[-1] == {
        "type": "device_status",
        "deviceId": "dishwasher-1",
        "deviceType": "dishwasher",
        "status": {
            "online": True,
            "energyWh": DISHWASHER_WH,
            "waterLiters": DISHWASHER_L,
        },
        "ts": "2026-11-27T08:00:00.000Z",
    }

    # A fridge uses energy on every tick: one device_status per tick, nothing for the idle others.
    await server.tick()
    assert await client.receive() == {
        "type": "device_status",
        "deviceId": "fridge-1",
        "deviceType": "fridge",
        "status": {"online": True, "energyWh": FRIDGE_WH + 1.0, "waterLiters": None},
        "ts": "2026-11-27T08:00:00.000Z",
    }
    await client.barrier()

    # One device_status per tick and device, after that device's updates.
    await command(
        "oven-1",
        {"command": "set_mode", "compartment": "upper", "args": {"mode": "bake"}},
    )
    await command(
        "oven-1",
        {"command": "set_mode", "compartment": "lower", "args": {"mode": "bake"}},
    )
    await client.receive_many(2)
    await server.tick()
    received = await client.receive_many(4)
    assert [(m["type"], m["deviceId"], m.get("compartment")) for m in received] == [
        ("device_update", "oven-1", "upper"),
        ("device_update", "oven-1", "lower"),
        ("device_status", "oven-1", None),
        ("device_status", "fridge-1", None),
    ]
    assert received[2]["status"]["energyWh"] == OVEN_WH + 60.0
    await client.barrier()


async def test_device_status_only_when_asked(
    client: WsClient, server: SmartKitchenServer
) -> None:
    """Without deviceStatus (old clients) no device_status is sent; a later subscribe can switch it."""
    await client.subscribe(["fridge-1"])
    await server.tick(3)
    await client.barrier()

    await client.subscribe_with_status(["fridge-1"], 3)
    await server.tick()
    assert (await client.receive())["type"] == "device_status"

    await client.send(
        {"type": "subscribe", "deviceIds": ["fridge-1"], "deviceStatus": False}
    )
    await client.receive_many(3)
    await server.tick()
    await client.barrier()


async def test_device_status_only_to_subscribers_of_the_device(
    connect: Callable[..., Awaitable[WsClient]], token: str, server: SmartKitchenServer
) -> None:
    """device_status follows the subscription like device_update does."""
    fridge_client = await connect(token)
    oven_client = await connect(token)
    await fridge_client.subscribe_with_status(["fridge-1"], 3)
    await oven_client.subscribe_with_status(["oven-1"], 3)

    await server.tick()

    assert (await fridge_client.receive())["deviceId"] == "fridge-1"
    await fridge_client.barrier()
    await oven_client.barrier()


@pytest.mark.parametrize("value", ["yes", 1, [True]])
async def test_device_status_flag_must_be_a_boolean(
    client: WsClient, value: object
) -> None:
    """The deviceStatus flag is true, false, null or absent; anything else is a bad message."""
    await client.send({"type": "subscribe", "deviceIds": [], "deviceStatus": value})

    assert await client.receive() == {
        "type": "error",
        "code": "bad_message",
        "message": "deviceStatus must be true, false or null",
    }


@pytest.mark.parametrize(
    ("mode", "per_tick"),
    [("bake", 30.0), ("convection", 35.0), ("grill", 40.0), ("defrost", 10.0)],
)
async def test_oven_energy_per_mode(
    command: Command, server: SmartKitchenServer, mode: str, per_tick: float
) -> None:
    """A compartment uses its mode's energy on every tick it is preheating or holding the target."""
    await command(
        "oven-1",
        {"command": "set_mode", "compartment": "upper", "args": {"mode": mode}},
    )

    await server.tick(30)

    assert status_of(server, "oven-1")["energyWh"] == OVEN_WH + 30 * per_tick


async def test_oven_uses_nothing_while_cooling(
    command: Command, server: SmartKitchenServer
) -> None:
    """Off, or cooling down to a lower target, the element is off."""
    upper = {"compartment": "upper"}
    await command("oven-1", {**upper, "command": "set_mode", "args": {"mode": "grill"}})
    await server.tick(20)  # 220 °C
    used = status_of(server, "oven-1")["energyWh"]

    await command(
        "oven-1", {**upper, "command": "set_target_temperature", "args": {"value": 200}}
    )
    await server.tick(9)  # cooling 2 °C per tick: 202 °C
    assert status_of(server, "oven-1")["energyWh"] == used
    await server.tick()  # 200 °C: holding the target again
    assert status_of(server, "oven-1")["energyWh"] == used + 40.0

    await command("oven-1", {**upper, "command": "turn_off"})
    await server.tick(5)
    assert status_of(server, "oven-1")["energyWh"] == used + 40.0


async def test_fridge_energy_with_doors_and_super_modes(
    command: Command, door: Door, server: SmartKitchenServer
) -> None:
    """A fridge-freezer uses 1 Wh per tick, 0.3 Wh more per open door and 0.5 per super mode."""
    await server.tick(10)
    assert status_of(server, "fridge-1")["energyWh"] == FRIDGE_WH + 10.0

    await door("fridge-1", "fridge", True)
    await server.tick(10)
    assert status_of(server, "fridge-1")["energyWh"] == FRIDGE_WH + 23.0

    await door("fridge-1", "fridge", False)
    await command(
        "fridge-1",
        {"command": "set_super_freeze", "compartment": "freezer", "args": {"on": True}},
    )
    await server.tick(1000)
    assert status_of(server, "fridge-1")["energyWh"] == FRIDGE_WH + 1523.0


@pytest.mark.parametrize(
    ("program", "energy", "water"),
    [
        ("eco", 900.0, 9.0),
        ("normal", 1200.0, 12.0),
        ("intensive", 1650.0, 15.0),
        ("quick", 600.0, 9.0),
    ],
)
async def test_dishwasher_program_usage(
    command: Command,
    server: SmartKitchenServer,
    program: str,
    energy: float,
    water: float,
) -> None:
    """A program's energy and water add up per running tick to exact totals, shown until reset."""
    await command("dishwasher-1", {"command": "start", "args": {"program": program}})

    await server.tick(200)

    state = server.simulation.devices["dishwasher-1"].to_wire()["state"]
    assert (state["status"], state["programEnergyWh"], state["programWaterLiters"]) == (
        "finished",
        energy,
        water,
    )
    assert status_of(server, "dishwasher-1") == {
        "online": True,
        "energyWh": DISHWASHER_WH + energy,
        "waterLiters": DISHWASHER_L + water,
    }

    _, device = await command("dishwasher-1", {"command": "cancel"})
    assert (
        device["state"]["programEnergyWh"],
        device["state"]["programWaterLiters"],
    ) == (None, None)
    assert device["status"]["energyWh"] == DISHWASHER_WH + energy


async def test_dishwasher_uses_nothing_while_paused(
    client: WsClient, command: Command, server: SmartKitchenServer
) -> None:
    """Usage is counted only while running; each running tick's update carries the program's figures."""
    await client.subscribe(["dishwasher-1"])
    await command("dishwasher-1", {"command": "start", "args": {"program": "quick"}})
    await server.tick(2)
    await command("dishwasher-1", {"command": "pause"})
    await server.tick(5)

    received = await client.receive_many(4)

    assert [
        (
            m["state"]["status"],
            m["state"]["programEnergyWh"],
            m["state"]["programWaterLiters"],
        )
        for m in received
    ] == [
        ("running", 0.0, 0.0),
        ("running", 20.0, 0.3),
        ("running", 40.0, 0.6),
        ("paused", 40.0, 0.6),
    ]
    await client.barrier()
    assert status_of(server, "dishwasher-1")["waterLiters"] == DISHWASHER_L + 0.6
