"""Tests for the models: wire parsing, the name mapping and the helpers on Device."""

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from freezegun.api import FrozenDateTimeFactory
import orjson
import pytest

from custom_components.smart_kitchen.api import (
    Alert,
    AlertCursor,
    AlertType,
    Appliance,
    Connected,
    Device,
    DeviceAdded,
    DeviceRemoved,
    DeviceType,
    DeviceUpdate,
    DishwasherProgram,
    DishwasherState,
    DishwasherStatus,
    FridgeState,
    LoginResult,
    OvenMode,
    OvenState,
    OvenStatus,
    ServerError,
    ServerInfo,
    SetpointRange,
    SmartKitchenResponseError,
    Subscribed,
    setpoint_range,
)
from custom_components.smart_kitchen.api.models import parse_devices, parse_message

OVEN_STATE = {
    "currentTemperature": 180.5,
    "targetTemperature": 200,
    "mode": "bake",
    "status": "preheating",
    "doorOpen": False,
}
OVEN = {
    "id": "oven-1",
    "type": "oven",
    "name": "Double Oven",
    "model": "SK-DO900",
    "firmware": "3.2.1",
    "compartments": {
        "upper": OVEN_STATE,
        "lower": {**OVEN_STATE, "targetTemperature": None},
    },
}
DISHWASHER: dict[str, Any] = {
    "id": "dishwasher-1",
    "type": "dishwasher",
    "name": "Dishwasher",
    "model": "SK-DW60",
    "firmware": "5.0.2",
    "state": {
        "status": "running",
        "program": "eco",
        "remainingMinutes": 90,
        "progress": 10,
        "doorOpen": False,
    },
}
ALERT = {
    "type": "alert",
    "id": 7,
    "deviceId": "fridge-1",
    "deviceType": "fridge",
    "compartment": "fridge",
    "alertType": "door_open",
    "message": "The fridge door is open",
    "ts": "2026-01-02T03:04:05.678Z",
}


def message(**data: object) -> bytes:
    """Serialize a wire message."""
    return orjson.dumps(data)


def test_parse_server_info_and_login() -> None:
    """REST answers map camelCase to snake_case; the token stays out of the repr."""
    info = ServerInfo.from_wire(
        {
            "serverId": "sk-1",
            "name": "Kitchen",
            "version": "1.0",
            "protocol": 1,
            "extra": True,
        }
    )
    assert (info.server_id, info.name, info.version, info.protocol) == (
        "sk-1",
        "Kitchen",
        "1.0",
        1,
    )

    login = LoginResult.from_wire(
        {
            "token": "s3cret-token",
            "userId": "user-demo",
            "expiresAt": "2026-01-02T03:04:05Z",
        }
    )
    assert login == LoginResult(
        token="s3cret-token",
        user_id="user-demo",
        expires_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    )
    assert "s3cret-token" not in repr(login)
    assert "s3cret-token" not in str(login)


def test_timestamps_parse_while_time_is_frozen(freezer: FrozenDateTimeFactory) -> None:
    """Home Assistant tests freeze time: timestamps must still parse under freezegun's fake datetime."""
    freezer.move_to("2026-01-01T00:00:00Z")
    login = LoginResult.from_wire(
        {"token": "t", "userId": "user-demo", "expiresAt": "2026-01-02T00:00:00Z"}
    )
    assert login.expires_at == datetime(2026, 1, 2, tzinfo=UTC)


def test_parse_oven_and_dishwasher() -> None:
    """Ovens have named compartments; a dishwasher has one state keyed None."""
    oven = Device.from_wire(OVEN)
    assert oven.type is DeviceType.OVEN
    assert oven.compartments == ("upper", "lower")
    assert oven.states["upper"] == OvenState(
        current_temperature=180.5,
        target_temperature=200,
        mode=OvenMode.BAKE,
        status=OvenStatus.PREHEATING,
        door_open=False,
    )
    assert isinstance(oven.states["lower"], OvenState)
    assert oven.states["lower"].target_temperature is None

    dishwasher = Device.from_wire(DISHWASHER)
    assert dishwasher.compartments == (None,)
    assert dishwasher.states[None] == DishwasherState(
        status=DishwasherStatus.RUNNING,
        program=DishwasherProgram.ECO,
        remaining_minutes=90,
        progress=10,
        door_open=False,
    )


def test_numbers_are_read_leniently_but_typed() -> None:
    """Integral floats are ints, ints are floats where a float is expected; booleans are neither."""
    fridge = Device.from_wire(
        {
            "id": "fridge-1",
            "type": "fridge",
            "name": "F",
            "model": "M",
            "firmware": "1",
            "compartments": {
                "fridge": {
                    "currentTemperature": 4,
                    "targetTemperature": 4,
                    "doorOpen": True,
                }
            },
        }
    )
    state = fridge.states["fridge"]
    assert state == FridgeState(
        current_temperature=4.0, target_temperature=4.0, door_open=True
    )
    assert isinstance(state.current_temperature, float)
    # The wire's whole-number setpoint is held as a float (see docs/client.md).
    assert isinstance(state.target_temperature, float)
    oven = Device.from_wire(
        {**OVEN, "compartments": {"upper": {**OVEN_STATE, "targetTemperature": 180.0}}}
    )
    target = oven.states["upper"].target_temperature  # type: ignore[union-attr]
    assert target == 180
    assert isinstance(target, int)


def test_parse_devices_skips_unknown_types() -> None:
    """A newer server's new appliance type does not break the device list."""
    devices = parse_devices(
        {
            "devices": [OVEN, {**DISHWASHER, "type": "coffee_machine"}, DISHWASHER],
            "next": None,
        }
    )
    assert [device.id for device in devices] == ["oven-1", "dishwasher-1"]


@pytest.mark.parametrize(
    "data",
    [
        [],
        {"devices": {}},
        {"devices": [[]]},
        {"devices": [{**OVEN, "compartments": []}]},
        {
            "devices": [
                {key: value for key, value in OVEN.items() if key != "compartments"}
            ]
        },
        {"devices": [{**OVEN, "type": 3}]},
        {"devices": [{**OVEN, "name": None}]},
        {"devices": [{key: value for key, value in OVEN.items() if key != "model"}]},
        {
            "devices": [
                {**OVEN, "compartments": {"upper": {**OVEN_STATE, "mode": "steam"}}}
            ]
        },
        {
            "devices": [
                {**OVEN, "compartments": {"upper": {**OVEN_STATE, "doorOpen": 0}}}
            ]
        },
        {
            "devices": [
                {
                    **OVEN,
                    "compartments": {"upper": {**OVEN_STATE, "targetTemperature": 1.5}},
                }
            ]
        },
        {
            "devices": [
                {
                    **OVEN,
                    "compartments": {
                        "upper": {**OVEN_STATE, "currentTemperature": True}
                    },
                }
            ]
        },
        {
            "devices": [
                {
                    **OVEN,
                    "compartments": {
                        "upper": {**OVEN_STATE, "currentTemperature": "hot"}
                    },
                }
            ]
        },
    ],
)
def test_parse_devices_rejects_malformed_answers(data: object) -> None:
    """Wrong shapes, wrong types and unknown enum values are response errors."""
    with pytest.raises(SmartKitchenResponseError):
        parse_devices(data)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            message(type="connected", userId="u", serverId="s", bootId="b", protocol=1),
            Connected(user_id="u", server_id="s", boot_id="b"),
        ),
        (
            message(type="subscribed", deviceIds=["oven-1", "fridge-1"]),
            Subscribed(device_ids=("oven-1", "fridge-1")),
        ),
        (
            message(
                type="device_update",
                deviceId="dishwasher-1",
                deviceType="dishwasher",
                compartment=None,
                state=DISHWASHER["state"],
                ts="2026-01-02T03:04:05+00:00",
            ),
            DeviceUpdate(
                device_id="dishwasher-1",
                device_type=DeviceType.DISHWASHER,
                compartment=None,
                state=Device.from_wire(DISHWASHER).states[None],
                ts=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
            ),
        ),
        (
            message(**ALERT),
            Alert(
                id=7,
                device_id="fridge-1",
                device_type=DeviceType.FRIDGE,
                compartment="fridge",
                alert_type=AlertType.DOOR_OPEN,
                message="The fridge door is open",
                ts=datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC),
            ),
        ),
        (
            message(type="device_added", device=OVEN),
            DeviceAdded(device=Device.from_wire(OVEN)),
        ),
        (
            message(type="device_removed", deviceId="oven-1"),
            DeviceRemoved(device_id="oven-1"),
        ),
        (
            message(
                type="error",
                code="forbidden_device",
                message="no",
                deviceIds=["fridge-2"],
            ),
            ServerError(
                code="forbidden_device", message="no", device_ids=("fridge-2",)
            ),
        ),
        (
            message(type="error", code="bad_message", message="bad"),
            ServerError(code="bad_message", message="bad"),
        ),
    ],
)
def test_parse_message(data: bytes, expected: object) -> None:
    """Every server message type parses into its event; bytes and str both work."""
    assert parse_message(data) == expected
    assert parse_message(data.decode()) == expected


def test_unknown_alert_types_and_naive_timestamps_are_accepted() -> None:
    """A newer alert type stays a plain str; a timestamp without offset is read as UTC."""
    alert = parse_message(
        message(**{**ALERT, "alertType": "filter_change", "ts": "2026-01-02T03:04:05"})
    )
    assert isinstance(alert, Alert)
    assert alert.alert_type == "filter_change"
    assert alert.ts == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_unknown_message_types_and_fields_are_ignored() -> None:
    """A newer server never breaks an older client."""
    assert parse_message(message(type="unsubscribed", deviceIds=[])) is None
    assert parse_message(
        message(type="device_removed", deviceId="x", reason="sold")
    ) == DeviceRemoved(device_id="x")


@pytest.mark.parametrize(
    "data",
    [
        b"not json",
        b"[1, 2]",
        message(kind="alert"),
        message(type=7),
        message(**{**ALERT, "id": "7"}),
        message(**{**ALERT, "ts": "yesterday"}),
        message(**{**ALERT, "ts": 12}),
        message(**{**ALERT, "deviceType": "toaster"}),
        message(type="subscribed", deviceIds="oven-1"),
        message(type="subscribed", deviceIds=[1]),
        message(
            type="device_update",
            deviceId="oven-1",
            deviceType="oven",
            compartment="upper",
            state=[],
            ts="2026-01-02T03:04:05Z",
        ),
        message(type="device_added", device=None),
        # Values of the right type that the protocol does not allow (stopped at the edge).
        message(**{**ALERT, "id": 2**63}),
        # Beyond 64 bits JSON parsers fall back to a float; it is still no id.
        message(**{**ALERT, "id": 0}).replace(b'"id":0', b'"id":18446744073709551617'),
        message(**{**ALERT, "id": 0}),
        message(**{**ALERT, "deviceId": "fridge 1"}),
        message(**{**ALERT, "alertType": "Door Open!"}),
        message(**{**ALERT, "compartment": "Fridge"}),
        message(**{**ALERT, "ts": "9999-12-31T23:59:59Z"}),
        message(**{**ALERT, "message": "x" * 2000}),
        message(type="subscribed", deviceIds=[], lastAlertId=2**63),
        message(type="subscribed", deviceIds=[], lastAlertId=0).replace(
            b'"lastAlertId":0', b'"lastAlertId":36893488147419103232'
        ),
        message(type="subscribed", deviceIds=[], lastAlertId=-1),
        message(
            type="device_update",
            deviceId="oven-1",
            deviceType="oven",
            compartment="upper",
            state={**OVEN_STATE, "currentTemperature": 1e308},
            ts="2026-01-02T03:04:05Z",
        ),
        message(
            type="device_update",
            deviceId="oven-1",
            deviceType="oven",
            compartment="upper",
            state={**OVEN_STATE, "targetTemperature": 5000},
            ts="2026-01-02T03:04:05Z",
        ),
        message(
            type="device_update",
            deviceId="dishwasher-1",
            deviceType="dishwasher",
            compartment=None,
            state={**DISHWASHER["state"], "progress": 101},
            ts="2026-01-02T03:04:05Z",
        ),
        message(
            type="device_update",
            deviceId="dishwasher-1",
            deviceType="dishwasher",
            compartment=None,
            state={**DISHWASHER["state"], "remainingMinutes": 10**12},
            ts="2026-01-02T03:04:05Z",
        ),
        message(
            type="device_update",
            deviceId="fridge-1",
            deviceType="fridge",
            compartment="fridge",
            state={"currentTemperature": 4, "targetTemperature": 30, "doorOpen": False},
            ts="2026-01-02T03:04:05Z",
        ),
        message(type="error", code="bad_message", message="bad", deviceIds=["a b"]),
    ],
)
def test_parse_message_rejects_malformed_messages(data: bytes) -> None:
    """Malformed messages raise SmartKitchenResponseError (the connection counts and skips them)."""
    with pytest.raises(SmartKitchenResponseError):
        parse_message(data)


def test_device_is_immutable() -> None:
    """Models are frozen."""
    device = Device.from_wire(DISHWASHER)
    with pytest.raises(AttributeError):
        device.name = "x"  # type: ignore[misc]
    assert isinstance(device, Device)


@pytest.mark.parametrize("last_alert_id", [-1, 1.5, True, "3", 2**63, 2**64 + 1])
def test_alert_cursor_refuses_what_the_server_would_refuse(
    last_alert_id: object,
) -> None:
    """A corrupt persisted cursor fails at once instead of making every subscribe a bad_message."""
    with pytest.raises(ValueError, match="last_alert_id must be an integer from 0"):
        AlertCursor("boot", last_alert_id)  # type: ignore[arg-type]


def test_alert_cursor_round_trips_as_plain_data() -> None:
    """A cursor is two plain values: store them (e.g. as JSON) and build it again."""
    cursor = AlertCursor(boot_id="9f3c2a1b7d4e6f80", last_alert_id=0)
    assert AlertCursor(**asdict(cursor)) == cursor
    assert AlertCursor("b", 7) == AlertCursor(boot_id="b", last_alert_id=7)


def test_nan_and_infinite_temperatures_are_refused() -> None:
    """NaN and infinities pass a type check but are no temperature."""
    for value in ("NaN", "Infinity", "-Infinity"):
        raw = (
            b'{"type":"device_update","deviceId":"oven-1","deviceType":"oven",'
            b'"compartment":"upper","ts":"2026-01-02T03:04:05Z","state":'
            b'{"currentTemperature":' + value.encode() + b',"targetTemperature":null,'
            b'"mode":"off","status":"off","doorOpen":false}}'
        )
        with pytest.raises(SmartKitchenResponseError):
            parse_message(raw)


def test_server_info_says_whether_the_protocol_is_supported() -> None:
    """The one place that knows which protocol version the library speaks."""
    info = {"serverId": "sk", "name": "K", "version": "1", "protocol": 1}
    assert ServerInfo.from_wire(info).supported
    assert not ServerInfo.from_wire({**info, "protocol": 2}).supported


def test_device_lists_its_appliance_without_states() -> None:
    """What a caller keeps of a listed device: identity and compartment names, no stale state."""
    appliance = Device.from_wire(OVEN).appliance
    assert appliance == Appliance(
        id="oven-1",
        type=DeviceType.OVEN,
        name="Double Oven",
        model="SK-DO900",
        firmware="3.2.1",
        compartments=("upper", "lower"),
    )
    assert not hasattr(appliance, "states")


@pytest.mark.parametrize(
    ("device_type", "compartment", "expected"),
    [
        (DeviceType.OVEN, "upper", SetpointRange(30, 300, 5)),
        (DeviceType.FRIDGE, "fridge", SetpointRange(1, 8, 1)),
        (DeviceType.FRIDGE, "freezer", SetpointRange(-24, -14, 1)),
        (DeviceType.FRIDGE, "crisper", None),
        (DeviceType.DISHWASHER, None, None),
    ],
)
def test_setpoint_ranges(
    device_type: DeviceType, compartment: str | None, expected: SetpointRange | None
) -> None:
    """The targets each kind of compartment accepts, as protocol.md lists them."""
    assert setpoint_range(device_type, compartment) == expected
    if expected is not None:
        assert expected.minimum in expected
        assert expected.maximum in expected
        assert expected.maximum + expected.step not in expected
        assert "4" not in expected


@pytest.mark.parametrize(
    ("status", "active"),
    [
        (DishwasherStatus.IDLE, False),
        (DishwasherStatus.RUNNING, True),
        (DishwasherStatus.PAUSED, True),
        (DishwasherStatus.FINISHED, False),
    ],
)
def test_program_active(status: DishwasherStatus, active: bool) -> None:
    """The one definition of "a program is under way": running or paused."""
    state = DishwasherState.from_wire({**DISHWASHER["state"], "status": status})
    assert state.program_active is active
