"""Per-appliance online state: the simulation API, what clients see while offline, and coming back."""

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import ClientSession
import pytest

from smart_kitchen_server import SmartKitchenServer
from smart_kitchen_server.models import DishwasherState
from tests.helpers import FakeClock

from .conftest import WsClient

type Command = Callable[..., Awaitable[tuple[int, dict[str, Any]]]]
type Door = Callable[..., Awaitable[dict[str, Any]]]
type Online = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture
def online(http: ClientSession, auth: dict[str, str]) -> Online:
    """Take a device of `demo` offline or bring it back; return the device."""

    async def _online(device_id: str, value: bool) -> dict[str, Any]:
        response = await http.post(
            f"/api/simulation/devices/{device_id}/online",
            json={"online": value},
            headers=auth,
        )
        assert response.status == 200, await response.text()
        device: dict[str, Any] = await response.json()
        return device

    return _online


async def test_offline_appliance_sends_nothing_and_refuses_commands(
    client: WsClient,
    command: Command,
    online: Online,
    server: SmartKitchenServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Offline: one device_status, then silence; commands get 409 device_offline; REST shows it."""
    await command("dishwasher-1", {"command": "start", "args": {"program": "quick"}})
    await client.subscribe_with_status(["dishwasher-1"], 2)

    device = await online("dishwasher-1", False)

    assert device["status"] == {
        "online": False,
        "energyWh": 95200.0,
        "waterLiters": 1064.0,
    }
    status = await client.receive()
    assert (status["type"], status["status"]) == ("device_status", device["status"])
    assert "demo took dishwasher-1 offline" in caplog.messages

    await server.tick(3)
    await client.barrier()
    code, body = await command("dishwasher-1", {"command": "pause"})
    assert code == 409
    assert body["error"] == {
        "code": "device_offline",
        "message": "Dishwasher is offline; try again later",
    }
    # The dishwasher kept running, but clients keep the state they were last told about.
    dishwasher = server.simulation.devices["dishwasher-1"]
    assert dishwasher.to_wire()["state"]["remainingMinutes"] == 30
    state = dishwasher.compartments[None].state
    assert isinstance(state, DishwasherState)
    assert state.remaining_minutes == 27


async def test_offline_commands_are_validated_first(
    command: Command, online: Online
) -> None:
    """A command that is wrong anyway gets its 400, not device_offline."""
    await online("oven-1", False)

    code, body = await command(
        "oven-1",
        {
            "command": "set_target_temperature",
            "compartment": "upper",
            "args": {"value": 500},
        },
    )

    assert (code, body["error"]["code"]) == (400, "value_out_of_range")
    code, body = await command(
        "oven-1",
        {"command": "set_mode", "compartment": "upper", "args": {"mode": "bake"}},
    )
    assert (code, body["error"]["code"]) == (409, "device_offline")


@pytest.mark.parametrize(
    ("device_id", "body"),
    [
        ("oven-1", {"command": "turn_off", "compartment": "upper"}),
        ("oven-1", {"command": "cancel_timer", "compartment": "upper"}),
        (
            "oven-1",
            {"command": "set_timer", "compartment": "upper", "args": {"minutes": 5}},
        ),
        (
            "fridge-1",
            {
                "command": "set_target_temperature",
                "compartment": "fridge",
                "args": {"value": 3},
            },
        ),
        (
            "fridge-1",
            {
                "command": "set_super_cool",
                "compartment": "fridge",
                "args": {"on": True},
            },
        ),
        ("dishwasher-1", {"command": "start"}),
        ("dishwasher-1", {"command": "cancel"}),
        ("dishwasher-1", {"command": "select_program", "args": {"program": "quick"}}),
    ],
)
async def test_every_command_is_refused_offline(
    command: Command, online: Online, device_id: str, body: dict[str, Any]
) -> None:
    """device_offline comes before any conflict the last known state would cause."""
    await online(device_id, False)

    code, answer = await command(device_id, body)

    assert (code, answer["error"]["code"]) == (409, "device_offline")


async def test_back_online_pushes_the_fresh_state_and_held_alerts(
    client: WsClient,
    command: Command,
    online: Online,
    server: SmartKitchenServer,
    clock: FakeClock,
) -> None:
    """The appliance kept running; back online it sends every state, its status, then held alerts."""
    await command("dishwasher-1", {"command": "start", "args": {"program": "quick"}})
    await client.subscribe_with_status(["dishwasher-1"], 2)
    await online("dishwasher-1", False)
    await client.receive()

    await server.tick(30)  # the program finishes while offline
    clock.advance(600)
    await client.barrier()
    device = await online("dishwasher-1", True)

    assert device["state"]["status"] == "finished"
    assert device["status"] == {
        "online": True,
        "energyWh": 95800.0,
        "waterLiters": 1073.0,
    }
    update, status, alert = await client.receive_many(3)
    assert (update["type"], update["state"]) == ("device_update", device["state"])
    assert (status["type"], status["status"]) == ("device_status", device["status"])
    assert (status["ts"], update["ts"]) == ("2026-11-27T08:10:00.000Z",) * 2
    # The alert says when it happened, not when it could be delivered.
    assert (alert["type"], alert["alertType"], alert["id"], alert["ts"]) == (
        "alert",
        "program_finished",
        1,
        "2026-11-27T08:00:00.000Z",
    )
    await client.barrier()


async def test_back_online_sends_every_compartment_even_unchanged(
    client: WsClient, online: Online
) -> None:
    """Old clients (without deviceStatus) get the fresh state of every compartment."""
    await client.subscribe(["oven-1"])
    await online("oven-1", False)
    await client.barrier()

    await online("oven-1", True)

    received = await client.receive_many(2)
    assert [(m["type"], m["compartment"]) for m in received] == [
        ("device_update", "upper"),
        ("device_update", "lower"),
    ]
    await client.barrier()


async def test_subscribing_to_an_offline_appliance(
    client: WsClient, door: Door, online: Online
) -> None:
    """The snapshot has the last known state and says offline; door changes wait for the way back."""
    await online("fridge-1", False)
    device = await door("fridge-1", "fridge", True)
    assert device["compartments"]["fridge"]["doorOpen"] is False

    received = await client.subscribe_with_status(["fridge-1"], 3)

    assert [m["type"] for m in received] == [
        "subscribed",
        "device_update",
        "device_update",
        "device_status",
    ]
    assert received[1]["state"]["doorOpen"] is False
    assert received[3]["status"]["online"] is False

    await online("fridge-1", True)
    update = await client.receive()
    assert (update["compartment"], update["state"]["doorOpen"]) == ("fridge", True)


async def test_online_is_idempotent(client: WsClient, online: Online) -> None:
    """Setting the state an appliance already has changes and sends nothing."""
    await client.subscribe_with_status(["oven-1"], 3)

    device = await online("oven-1", True)

    assert device["status"]["online"] is True
    await online("oven-1", False)
    await client.receive()
    await online("oven-1", False)
    await client.barrier()


async def test_removing_an_offline_appliance_drops_its_held_alerts(
    *,
    http: ClientSession,
    auth: dict[str, str],
    client: WsClient,
    door: Door,
    online: Online,
    server: SmartKitchenServer,
) -> None:
    """Alerts held for an appliance that is removed are never delivered."""
    await online("fridge-1", False)
    await door("fridge-1", "fridge", True)
    await server.tick(20)  # door_open and temperature_high, held

    response = await http.delete("/api/simulation/devices/fridge-1", headers=auth)

    assert response.status == 204
    assert (await client.receive())["type"] == "device_removed"
    await client.send({"type": "subscribe", "deviceIds": ["oven-1"], "lastAlertId": 0})
    received = await client.receive_many(3)
    assert [m["type"] for m in received] == [
        "subscribed",
        "device_update",
        "device_update",
    ]
    assert received[0]["lastAlertId"] == 0
    await client.barrier()


@pytest.mark.parametrize(
    "body", [b"{}", b'{"online": "no"}', b'{"online": 0}', b"[true]", b"not json"]
)
async def test_online_body_errors(
    http: ClientSession, auth: dict[str, str], body: bytes
) -> None:
    """`online` must be a boolean in a JSON object."""
    response = await http.post(
        "/api/simulation/devices/oven-1/online", data=body, headers=auth
    )

    assert response.status == 400
    assert (await response.json())["error"]["code"] == "bad_request"


@pytest.mark.parametrize(
    ("device_id", "status", "code"),
    [("fridge-2", 403, "forbidden"), ("toaster-1", 404, "unknown_device")],
)
async def test_online_only_for_own_devices(
    http: ClientSession, auth: dict[str, str], device_id: str, status: int, code: str
) -> None:
    """Like the other simulation endpoints, only the owner may take an appliance offline."""
    response = await http.post(
        f"/api/simulation/devices/{device_id}/online",
        json={"online": False},
        headers=auth,
    )

    assert response.status == status
    assert (await response.json())["error"]["code"] == code
