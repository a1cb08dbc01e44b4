"""Tests for the models: wire parsing, the name mapping and the helpers on Device."""

from dataclasses import asdict, dataclass, fields, is_dataclass
from datetime import UTC, datetime

from freezegun.api import FrozenDateTimeFactory
import orjson
import pytest

from custom_components.smart_kitchen.api import (
    Alert,
    AlertCursor,
    AlertType,
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
    SmartKitchenResponseError,
    Subscribed,
    models,
)
from custom_components.smart_kitchen.api.models import (
    WIRE_NAMES,
    encode,
    parse_device,
    parse_devices,
    parse_login,
    parse_message,
    parse_server_info,
)

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
DISHWASHER = {
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


def test_every_multi_word_field_has_a_wire_name() -> None:
    """A snake_case field missing from WIRE_NAMES would silently read the wrong key."""
    model_types = [
        value
        for value in vars(models).values()
        if isinstance(value, type) and is_dataclass(value)
    ]
    assert len(model_types) >= 15
    multi_word = {f.name for cls in model_types for f in fields(cls) if "_" in f.name}
    # Fields that never come from the wire (built by the library itself) need no mapping.
    local_only = {
        "malformed_messages",
        "last_message_at",
        "connected_since",
        "last_disconnect_reason",
        "next_retry_at",
        "retry_at",
    }
    assert multi_word - local_only == set(WIRE_NAMES)


def test_parse_server_info_and_login() -> None:
    """REST answers map camelCase to snake_case; the token stays out of the repr."""
    info = parse_server_info(
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

    login = parse_login(
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
    login = parse_login(
        {"token": "t", "userId": "user-demo", "expiresAt": "2026-01-02T00:00:00Z"}
    )
    assert login.expires_at == datetime(2026, 1, 2, tzinfo=UTC)


def test_parse_oven_and_dishwasher() -> None:
    """Ovens have named compartments; a dishwasher has one state keyed None."""
    oven = parse_device(OVEN)
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

    dishwasher = parse_device(DISHWASHER)
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
    fridge = parse_device(
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
    oven = parse_device(
        {**OVEN, "compartments": {"upper": {**OVEN_STATE, "targetTemperature": 180.0}}}
    )
    target = oven.states["upper"].target_temperature  # type: ignore[union-attr]
    assert target == 180
    assert isinstance(target, int)


def test_with_state_returns_a_copy() -> None:
    """with_state replaces one compartment and leaves the original untouched."""
    oven = parse_device(OVEN)
    new_state = OvenState(
        current_temperature=30.0,
        target_temperature=None,
        mode=OvenMode.OFF,
        status=OvenStatus.COOLING,
        door_open=True,
    )
    updated = oven.with_state("lower", new_state)
    assert updated.states["lower"] == new_state
    assert updated.states["upper"] == oven.states["upper"]
    assert oven.states["lower"] != new_state
    assert updated.id == oven.id
    with pytest.raises(TypeError):
        updated.states["lower"] = new_state  # type: ignore[index]


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
                state=parse_device(DISHWASHER).states[None],
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
            DeviceAdded(device=parse_device(OVEN)),
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
    ],
)
def test_parse_message_rejects_malformed_messages(data: bytes) -> None:
    """Malformed messages raise SmartKitchenResponseError (the connection counts and skips them)."""
    with pytest.raises(SmartKitchenResponseError):
        parse_message(data)


def test_decoder_refuses_annotations_it_cannot_check() -> None:
    """A model field of an unsupported type is a programming error, not a wire error."""

    @dataclass(frozen=True, kw_only=True)
    class Odd:
        value: bytes

    with pytest.raises(TypeError, match="No wire conversion"):
        models._decode(Odd, {"value": "x"})


def test_encode_uses_wire_names() -> None:
    """Client messages spell fields the way the protocol does."""
    assert orjson.loads(
        encode(type="subscribe", device_ids=["a"], last_alert_id=3)
    ) == {
        "type": "subscribe",
        "deviceIds": ["a"],
        "lastAlertId": 3,
    }
    assert orjson.loads(encode(program=DishwasherProgram.ECO)) == {"program": "eco"}


def test_device_is_immutable() -> None:
    """Models are frozen."""
    device = parse_device(DISHWASHER)
    with pytest.raises(AttributeError):
        device.name = "x"  # type: ignore[misc]
    assert isinstance(device, Device)


@pytest.mark.parametrize("last_alert_id", [-1, 1.5, True, "3"])
def test_alert_cursor_refuses_what_the_server_would_refuse(
    last_alert_id: object,
) -> None:
    """A corrupt persisted cursor fails at once instead of making every subscribe a bad_message."""
    with pytest.raises(
        ValueError, match="last_alert_id must be a non-negative integer"
    ):
        AlertCursor("boot", last_alert_id)  # type: ignore[arg-type]


def test_alert_cursor_round_trips_as_plain_data() -> None:
    """A cursor is two plain values: store them (e.g. as JSON) and build it again."""
    cursor = AlertCursor(boot_id="9f3c2a1b7d4e6f80", last_alert_id=0)
    assert AlertCursor(**asdict(cursor)) == cursor
    assert AlertCursor("b", 7) == AlertCursor(boot_id="b", last_alert_id=7)
