"""The appliance features of the library: what the new fields decode to, and device_status on the stream."""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from aiohttp import web
import orjson
import pytest

from custom_components.smart_kitchen.api import (
    ALERT_TYPES,
    Alert,
    AlertType,
    ApplianceStatus,
    Device,
    DeviceStatus,
    DeviceType,
    DeviceUpdate,
    DishwasherProgram,
    DishwasherState,
    FridgeState,
    OvenState,
    SmartKitchenClient,
    SmartKitchenResponseError,
)
from custom_components.smart_kitchen.api.models import parse_message
from smart_kitchen_server import SmartKitchenServer
from tests.kitchen import Kitchen

from .conftest import DISHWASHER_IDLE, StartConnection

OVEN_OFF: dict[str, Any] = {
    "currentTemperature": 21.0,
    "targetTemperature": None,
    "mode": "off",
    "status": "off",
    "doorOpen": False,
}
FRIDGE: dict[str, Any] = {
    "currentTemperature": 4.0,
    "targetTemperature": 4,
    "doorOpen": False,
}


def status_message(**status: Any) -> bytes:
    """Return a device_status message of the demo fridge with the given status fields."""
    return orjson.dumps(
        {
            "type": "device_status",
            "deviceId": "fridge-1",
            "deviceType": "fridge",
            "status": status,
            "ts": "2026-11-27T07:51:02.000Z",
        }
    )


def test_fields_of_older_servers_default_to_none() -> None:
    """A server that predates the additions still decodes: every new field is None."""
    oven = OvenState.from_wire(OVEN_OFF)
    assert oven.timer_remaining_minutes is None
    assert FridgeState.from_wire(FRIDGE).super_mode is None
    dishwasher = DishwasherState.from_wire(DISHWASHER_IDLE)
    assert dishwasher.selected_program is None
    assert dishwasher.starts_at is None
    assert not dishwasher.scheduled
    assert dishwasher.planned_finish is None
    assert dishwasher.program_energy_wh is None
    assert dishwasher.program_water_liters is None
    device = Device.from_wire(
        {
            "id": "fridge-1",
            "type": "fridge",
            "name": "Fridge",
            "model": "SK-FF540",
            "firmware": "1.8.0",
            "compartments": {"fridge": FRIDGE},
        }
    )
    assert device.status is None


def test_new_fields_decode() -> None:
    """Timers, super modes, a scheduled start, program counters and the appliance status."""
    oven = OvenState.from_wire({**OVEN_OFF, "timerRemainingMinutes": 600})
    assert oven.timer_remaining_minutes == 600
    assert FridgeState.from_wire({**FRIDGE, "superMode": True}).super_mode is True
    dishwasher = DishwasherState.from_wire(
        {
            **DISHWASHER_IDLE,
            "selectedProgram": "quick",
            "startsAt": "2026-11-27T06:30:00.000Z",
            "programEnergyWh": 0,
            "programWaterLiters": 1.25,
        }
    )
    assert dishwasher.selected_program is DishwasherProgram.QUICK
    assert dishwasher.starts_at == datetime(2026, 11, 27, 6, 30, tzinfo=UTC)
    assert dishwasher.scheduled
    # The quick program runs 30 minutes.
    assert dishwasher.planned_finish == datetime(2026, 11, 27, 7, 0, tzinfo=UTC)
    assert dishwasher.program_energy_wh == 0.0
    assert isinstance(dishwasher.program_energy_wh, float)
    assert dishwasher.program_water_liters == 1.25
    assert ApplianceStatus.from_wire(
        {"online": False, "energyWh": 48210, "waterLiters": None}
    ) == ApplianceStatus(online=False, energy_wh=48210.0, water_liters=None)


def test_device_status_message_decodes() -> None:
    """A device_status message is an event about the whole appliance."""
    event = parse_message(status_message(online=True, energyWh=312401.5))
    assert event == DeviceStatus(
        device_id="fridge-1",
        device_type=DeviceType.FRIDGE,
        status=ApplianceStatus(online=True, energy_wh=312401.5, water_liters=None),
        ts=datetime(2026, 11, 27, 7, 51, 2, tzinfo=UTC),
    )


def test_timer_finished_is_an_oven_alert() -> None:
    """Ovens raise timer_finished besides preheat_done."""
    assert AlertType.TIMER_FINISHED == "timer_finished"
    assert ALERT_TYPES[DeviceType.OVEN] == (
        AlertType.PREHEAT_DONE,
        AlertType.TIMER_FINISHED,
    )


@pytest.mark.parametrize(
    ("decode", "data"),
    [
        (OvenState.from_wire, {**OVEN_OFF, "timerRemainingMinutes": 601}),
        (OvenState.from_wire, {**OVEN_OFF, "timerRemainingMinutes": -1}),
        (OvenState.from_wire, {**OVEN_OFF, "timerRemainingMinutes": 1.5}),
        (FridgeState.from_wire, {**FRIDGE, "superMode": "yes"}),
        (DishwasherState.from_wire, {**DISHWASHER_IDLE, "selectedProgram": "turbo"}),
        (DishwasherState.from_wire, {**DISHWASHER_IDLE, "startsAt": "tomorrow"}),
        (DishwasherState.from_wire, {**DISHWASHER_IDLE, "programEnergyWh": -0.5}),
        (DishwasherState.from_wire, {**DISHWASHER_IDLE, "programWaterLiters": "9"}),
        (DishwasherState.from_wire, {**DISHWASHER_IDLE, "programEnergyWh": True}),
        (ApplianceStatus.from_wire, {"energyWh": 1.0}),
        (ApplianceStatus.from_wire, {"online": 1, "energyWh": 1.0}),
        (ApplianceStatus.from_wire, {"online": True, "energyWh": float("nan")}),
        (ApplianceStatus.from_wire, {"online": True, "energyWh": float("inf")}),
        (ApplianceStatus.from_wire, {"online": True, "waterLiters": -1}),
        (ApplianceStatus.from_wire, []),
    ],
)
def test_values_the_protocol_does_not_allow_are_refused(
    decode: Any, data: object
) -> None:
    """Out-of-range minutes, non-boolean modes, unknown programs and negative or endless amounts."""
    with pytest.raises(SmartKitchenResponseError):
        decode(data)


def test_device_status_without_status_is_malformed() -> None:
    """A device_status must carry the status it reports."""
    message = orjson.loads(status_message(online=True))
    del message["status"]
    with pytest.raises(SmartKitchenResponseError):
        parse_message(orjson.dumps(message))


async def test_connection_asks_for_device_status_and_delivers_it(
    server: SmartKitchenServer, demo_client: Kitchen, start_connection: StartConnection
) -> None:
    """The subscription opts in to device_status: the snapshot carries each appliance's status."""
    running = await start_connection(demo_client)
    recorder = running.recorder

    def statuses() -> dict[str, ApplianceStatus]:
        return {event.device_id: event.status for event in recorder.of(DeviceStatus)}

    await recorder.wait_until(lambda: len(statuses()) == 3)
    assert statuses() == {
        "oven-1": ApplianceStatus(online=True, energy_wh=48210.0, water_liters=None),
        "fridge-1": ApplianceStatus(online=True, energy_wh=312400.0, water_liters=None),
        "dishwasher-1": ApplianceStatus(
            online=True, energy_wh=95200.0, water_liters=1064.0
        ),
    }
    # Each appliance's status follows its updates in the snapshot.
    kinds = [
        type(event)
        for event in recorder.events
        if type(event) in (DeviceUpdate, DeviceStatus)
    ]
    assert kinds[:3] == [DeviceUpdate, DeviceUpdate, DeviceStatus]

    # Going offline is a status change, delivered live.
    server.simulation.set_online(server.simulation.devices["oven-1"], False)
    await recorder.wait_until(
        lambda: any(
            event.device_id == "oven-1" and not event.status.online
            for event in recorder.of(DeviceStatus)
        )
    )
    assert running.connection.stats.malformed_messages == 0


async def test_device_status_of_an_unknown_appliance_is_skipped(
    fake_server: Callable[..., Awaitable[str]],
    session: aiohttp.ClientSession,
    start_connection: StartConnection,
) -> None:
    """A status that does not fit the appliance list counts as malformed, like an update."""

    async def login(_request: web.Request) -> web.Response:
        return web.json_response(
            {"token": "t", "userId": "u", "expiresAt": "2030-01-01T00:00:00Z"}
        )

    async def devices(_request: web.Request) -> web.Response:
        return web.json_response(
            {
                "devices": [
                    {
                        "id": "fridge-1",
                        "type": "fridge",
                        "name": "Fridge",
                        "model": "SK-FF540",
                        "firmware": "1.8.0",
                        "compartments": {"fridge": FRIDGE},
                    }
                ]
            }
        )

    async def websocket(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json(
            {"type": "connected", "userId": "u", "serverId": "s", "bootId": "b"}
        )
        subscribe = await ws.receive_json()
        assert subscribe["deviceStatus"] is True
        for device_id, device_type in (("fridge-9", "fridge"), ("fridge-1", "oven")):
            message = orjson.loads(status_message(online=False))
            message.update(deviceId=device_id, deviceType=device_type)
            await ws.send_json(message)
        await ws.send_str(status_message(online=True).decode())
        await ws.receive()
        return ws

    url = await fake_server(
        [
            ("POST", "/api/login", login),
            ("GET", "/api/devices", devices),
            ("GET", "/ws", websocket),
        ]
    )
    client = SmartKitchenClient(url, session, username="demo", password="demo")
    running = await start_connection(client)
    recorder = running.recorder
    await recorder.wait_until(lambda: running.connection.stats.messages == 4)
    # Only the status that fits the listed fridge arrives.
    assert [event.device_id for event in recorder.of(DeviceStatus)] == ["fridge-1"]
    assert running.connection.stats.malformed_messages == 2


async def test_scheduled_start_and_timers_arrive_decoded(
    server: SmartKitchenServer, demo_client: Kitchen
) -> None:
    """Against the reference server: a delayed start, a cook timer, a super mode, the status."""
    before = datetime.now(UTC)
    device = await demo_client.send_command(
        "dishwasher-1", "start", program="normal", delayMinutes=30
    )
    dishwasher = device.states[None]
    assert isinstance(dishwasher, DishwasherState)
    assert dishwasher.selected_program is DishwasherProgram.NORMAL
    assert dishwasher.starts_at is not None
    assert before + timedelta(minutes=29) < dishwasher.starts_at
    assert dishwasher.planned_finish == dishwasher.starts_at + timedelta(minutes=120)
    assert device.status == ApplianceStatus(
        online=True, energy_wh=95200.0, water_liters=1064.0
    )

    await demo_client.send_command("oven-1", "set_mode", "upper", mode="bake")
    oven = await demo_client.send_command("oven-1", "set_timer", "upper", minutes=45)
    assert isinstance(upper := oven.states["upper"], OvenState)
    assert upper.timer_remaining_minutes == 45

    fridge = await demo_client.send_command(
        "fridge-1", "set_super_freeze", "freezer", on=True
    )
    assert isinstance(freezer := fridge.states["freezer"], FridgeState)
    assert freezer.super_mode is True
    assert isinstance(fridge.states["fridge"], FridgeState)
    assert fridge.states["fridge"].super_mode is False


def test_unknown_alert_type_still_arrives() -> None:
    """timer_finished is known now; an alert type added later still decodes."""
    alert = parse_message(
        orjson.dumps(
            {
                "type": "alert",
                "id": 1,
                "deviceId": "oven-1",
                "deviceType": "oven",
                "compartment": "upper",
                "alertType": "timer_finished",
                "message": "Upper oven: the cook timer has finished",
                "ts": "2026-11-27T07:52:00.000Z",
            }
        )
    )
    assert isinstance(alert, Alert)
    assert alert.alert_type == AlertType.TIMER_FINISHED
