"""Typed models of protocol v1, and the one place where wire names map to Python names."""

from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields, replace
from datetime import UTC, datetime
from enum import StrEnum
from functools import cache
import logging
from types import MappingProxyType, NoneType, UnionType
from typing import TYPE_CHECKING, Any, Final, get_args, get_origin, get_type_hints

import orjson

from .exceptions import SmartKitchenResponseError

if TYPE_CHECKING:
    # Only the type checker knows this protocol; annotations are evaluated lazily.
    from _typeshed import DataclassInstance

_LOGGER = logging.getLogger(__name__)


class DeviceType(StrEnum):
    """Kinds of appliance."""

    OVEN = "oven"
    FRIDGE = "fridge"
    DISHWASHER = "dishwasher"


class OvenMode(StrEnum):
    """Heating modes of an oven compartment."""

    OFF = "off"
    BAKE = "bake"
    CONVECTION = "convection"
    GRILL = "grill"
    DEFROST = "defrost"


class OvenStatus(StrEnum):
    """What an oven compartment is doing."""

    OFF = "off"
    PREHEATING = "preheating"
    READY = "ready"
    COOLING = "cooling"


class DishwasherStatus(StrEnum):
    """Where a dishwasher is in its program."""

    IDLE = "idle"
    RUNNING = "running"
    PAUSED = "paused"
    FINISHED = "finished"


class DishwasherProgram(StrEnum):
    """Dishwasher programs."""

    ECO = "eco"
    NORMAL = "normal"
    INTENSIVE = "intensive"
    QUICK = "quick"


class AlertType(StrEnum):
    """Alert types protocol v1 defines (a newer server may send others)."""

    DOOR_OPEN = "door_open"
    TEMPERATURE_HIGH = "temperature_high"
    PREHEAT_DONE = "preheat_done"
    PROGRAM_FINISHED = "program_finished"


class ConnectionState(StrEnum):
    """States of the connection manager."""

    CONNECTING = "connecting"
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
    AUTH_FAILED = "auth_failed"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerInfo:
    """What `GET /api/info` says about a server."""

    server_id: str
    name: str
    version: str
    protocol: int


@dataclass(frozen=True, slots=True, kw_only=True)
class LoginResult:
    """A session token and who it belongs to."""

    # Kept out of the repr so that logging a LoginResult never leaks the token.
    token: str = field(repr=False)
    user_id: str
    expires_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class OvenState:
    """State of one oven compartment."""

    current_temperature: float
    target_temperature: int | None
    mode: OvenMode
    status: OvenStatus
    door_open: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class FridgeState:
    """State of a fridge or freezer compartment."""

    current_temperature: float
    target_temperature: float
    door_open: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class DishwasherState:
    """State of a dishwasher."""

    status: DishwasherStatus
    program: DishwasherProgram | None
    remaining_minutes: int
    progress: int
    door_open: bool


type ApplianceState = OvenState | FridgeState | DishwasherState

STATE_TYPES: Final[Mapping[DeviceType, type[ApplianceState]]] = MappingProxyType(
    {
        DeviceType.OVEN: OvenState,
        DeviceType.FRIDGE: FridgeState,
        DeviceType.DISHWASHER: DishwasherState,
    }
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Device:
    """An appliance and the current state of each of its compartments."""

    id: str
    type: DeviceType
    name: str
    model: str
    firmware: str
    # Compartment name -> state for ovens and fridges; {None: state} for a dishwasher.
    states: Mapping[str | None, ApplianceState]

    @property
    def compartments(self) -> tuple[str | None, ...]:
        """Return the compartment names (`(None,)` for a device without compartments)."""
        return tuple(self.states)

    def with_state(self, compartment: str | None, state: ApplianceState) -> Device:
        """Return a copy with the state of one compartment replaced."""
        return replace(
            self, states=MappingProxyType({**self.states, compartment: state})
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Connected:
    """The server accepted the WebSocket (`connected`)."""

    user_id: str
    server_id: str
    # Random per server start; alert ids restart at 1 when it changes.
    boot_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Subscribed:
    """The server confirmed the subscription (`subscribed`); the snapshot follows."""

    device_ids: tuple[str, ...]
    # The user's newest alert id of this boot (0: none yet); None from servers that predate it.
    last_alert_id: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceUpdate:
    """The full new state of one device or compartment (`device_update`)."""

    device_id: str
    device_type: DeviceType
    compartment: str | None
    state: ApplianceState
    ts: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Alert:
    """Something a person should know about (`alert`); ids increase per user and boot."""

    id: int
    device_id: str
    device_type: DeviceType
    compartment: str | None
    # An AlertType value, or a type this library does not know yet.
    alert_type: str
    message: str
    ts: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceAdded:
    """A device was added to the user's kitchen (`device_added`)."""

    device: Device


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceRemoved:
    """A device left the user's kitchen (`device_removed`)."""

    device_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerError:
    """The server reported a problem with something the client sent (`error`)."""

    code: str
    message: str
    device_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionStateChanged:
    """The connection manager moved to another state (not a wire message)."""

    state: ConnectionState
    reason: str | None = None
    retry_at: datetime | None = None


type Event = (
    Connected
    | Subscribed
    | DeviceUpdate
    | Alert
    | DeviceAdded
    | DeviceRemoved
    | ServerError
    | ConnectionStateChanged
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionStats:
    """Counters and timestamps of a connection manager, for diagnostics."""

    reconnects: int = 0
    messages: int = 0
    malformed_messages: int = 0
    alerts: int = 0
    last_message_at: datetime | None = None
    connected_since: datetime | None = None
    last_alert_id: int | None = None
    last_disconnect_reason: str | None = None
    next_retry_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AlertCursor:
    """Where an alert stream stands: the last alert handled in one server boot (persist it to resume)."""

    boot_id: str
    # 0: no alert of that boot handled yet, so resuming replays everything the boot buffered.
    last_alert_id: int

    def __post_init__(self) -> None:
        """Refuse a cursor the server would answer with bad_message (and then subscribe nothing)."""
        if (
            isinstance(self.last_alert_id, bool)
            or not isinstance(self.last_alert_id, int)
            or self.last_alert_id < 0
        ):
            raise ValueError(
                f"last_alert_id must be a non-negative integer, not {self.last_alert_id!r}"
            )


# The single mapping of Python field names to wire names; a field not listed is spelled the same.
WIRE_NAMES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "alert_type": "alertType",
        "boot_id": "bootId",
        "current_temperature": "currentTemperature",
        "device_id": "deviceId",
        "device_ids": "deviceIds",
        "device_type": "deviceType",
        "door_open": "doorOpen",
        "expires_at": "expiresAt",
        "last_alert_id": "lastAlertId",
        "remaining_minutes": "remainingMinutes",
        "server_id": "serverId",
        "target_temperature": "targetTemperature",
        "user_id": "userId",
    }
)


def _malformed(message: str) -> SmartKitchenResponseError:
    """Build the error for data that does not follow the protocol."""
    return SmartKitchenResponseError(message)


@cache
def _field_types(cls: type[DataclassInstance]) -> dict[str, Any]:
    """Return the resolved annotations of a model (computed once per class)."""
    return get_type_hints(cls)


# Held in a tuple on purpose: freezegun swaps every module-level reference to `datetime` for its fake
# class while time is frozen, but leaves containers alone. Checking against the real class with
# issubclass() then matches the annotation whether it resolved to the real or the fake class.
_TIMESTAMP_TYPES: Final = (datetime,)


def _convert(value: object, target: Any, where: str) -> Any:
    """Check one wire value against a model annotation and convert it."""
    if get_origin(target) is UnionType:
        # Only optional values (`X | None`) occur in the protocol.
        if value is None and NoneType in get_args(target):
            return None
        (inner,) = (arg for arg in get_args(target) if arg is not NoneType)
        return _convert(value, inner, where)
    if get_origin(target) is tuple:
        if not isinstance(value, list):
            raise _malformed(f"{where}: expected a list, got {type(value).__name__}")
        return tuple(_convert(item, get_args(target)[0], where) for item in value)
    if target is bool:
        if isinstance(value, bool):
            return value
    elif target is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
    elif target is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    elif target is str:
        if isinstance(value, str):
            return value
    elif isinstance(target, type) and issubclass(target, _TIMESTAMP_TYPES):
        if isinstance(value, str):
            return _parse_datetime(value, where)
    elif isinstance(target, type) and issubclass(target, StrEnum):
        if isinstance(value, str) and value in target:
            return target(value)
        raise _malformed(f"{where}: unknown value {value!r}")
    else:
        raise TypeError(f"No wire conversion for {target!r}")
    raise _malformed(f"{where}: expected {target.__name__}, got {type(value).__name__}")


def _parse_datetime(value: str, where: str) -> datetime:
    """Parse an ISO 8601 timestamp; the protocol sends UTC, so a naive one is taken as UTC."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as err:
        raise _malformed(f"{where}: not an ISO 8601 timestamp: {value!r}") from err
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def _object(data: object, where: str) -> Mapping[str, Any]:
    """Return `data` if it is a JSON object, else raise."""
    if not isinstance(data, dict):
        raise _malformed(f"{where}: expected an object, got {type(data).__name__}")
    return data


def _decode[T: DataclassInstance](cls: type[T], data: object, /, **known: Any) -> T:
    """Build a model from a wire object; fields passed in `known` are already converted."""
    obj = _object(data, cls.__name__)
    types = _field_types(cls)
    values = dict(known)
    for model_field in fields(cls):
        if model_field.name in values:
            continue
        key = WIRE_NAMES.get(model_field.name, model_field.name)
        if key not in obj:
            if model_field.default is not MISSING:
                continue
            raise _malformed(f"{cls.__name__}: missing {key!r}")
        values[model_field.name] = _convert(
            obj[key], types[model_field.name], f"{cls.__name__}.{key}"
        )
    return cls(**values)


def loads(data: str | bytes) -> Any:
    """Parse JSON text, raising SmartKitchenResponseError when it is not JSON."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as err:
        raise _malformed(f"Not JSON: {err}") from err


def dumps(data: object) -> bytes:
    """Serialize to JSON (orjson writes enums as their values)."""
    return orjson.dumps(data)


def parse_server_info(data: object) -> ServerInfo:
    """Parse the answer of `GET /api/info`."""
    return _decode(ServerInfo, data)


def parse_login(data: object) -> LoginResult:
    """Parse the answer of `POST /api/login`."""
    return _decode(LoginResult, data)


def _parse_state(device_type: DeviceType, data: object) -> ApplianceState:
    """Parse the state of one compartment of a device of the given type."""
    return _decode(STATE_TYPES[device_type], data)


def parse_device(data: object) -> Device:
    """Parse a Device object (`compartments` for ovens and fridges, `state` for dishwashers)."""
    obj = _object(data, "Device")
    device_type: DeviceType = _convert(obj.get("type"), DeviceType, "Device.type")
    states: dict[str | None, ApplianceState]
    if "compartments" in obj:
        compartments = _object(obj["compartments"], "Device.compartments")
        states = {
            name: _parse_state(device_type, state)
            for name, state in compartments.items()
        }
    elif "state" in obj:
        states = {None: _parse_state(device_type, obj["state"])}
    else:
        raise _malformed("Device: neither 'compartments' nor 'state'")
    return _decode(Device, obj, type=device_type, states=MappingProxyType(states))


def parse_devices(data: object) -> list[Device]:
    """Parse the answer of `GET /api/devices`, skipping device types this library does not know."""
    items = _object(data, "devices answer").get("devices")
    if not isinstance(items, list):
        raise _malformed("devices answer: 'devices' is not a list")
    devices = []
    for item in items:
        device_type = _object(item, "Device").get("type")
        if isinstance(device_type, str) and device_type not in DeviceType:
            # A newer server may know appliances this client cannot represent.
            _LOGGER.debug("Skipping device of unknown type %r", device_type)
            continue
        devices.append(parse_device(item))
    return devices


def _parse_device_update(obj: Mapping[str, Any]) -> DeviceUpdate:
    """Parse a `device_update` message; the state's shape depends on `deviceType`."""
    device_type: DeviceType = _convert(
        obj.get("deviceType"), DeviceType, "DeviceUpdate.deviceType"
    )
    return _decode(
        DeviceUpdate,
        obj,
        device_type=device_type,
        state=_parse_state(device_type, obj.get("state")),
    )


_MESSAGE_PARSERS: Final[Mapping[str, Callable[[Mapping[str, Any]], Event]]] = (
    MappingProxyType(
        {
            "connected": lambda obj: _decode(Connected, obj),
            "subscribed": lambda obj: _decode(Subscribed, obj),
            "device_update": _parse_device_update,
            "alert": lambda obj: _decode(Alert, obj),
            "device_added": lambda obj: _decode(
                DeviceAdded, obj, device=parse_device(obj.get("device"))
            ),
            "device_removed": lambda obj: _decode(DeviceRemoved, obj),
            "error": lambda obj: _decode(ServerError, obj),
        }
    )
)


def parse_message(data: str | bytes) -> Event | None:
    """Parse one WebSocket message; None for a message type this library does not know."""
    obj = _object(loads(data), "message")
    message_type = obj.get("type")
    if not isinstance(message_type, str):
        raise _malformed("message: 'type' is missing or not a string")
    if (parser := _MESSAGE_PARSERS.get(message_type)) is None:
        return None
    event: Event = parser(obj)
    return event


def encode(**values: object) -> bytes:
    """Serialize a request body or client message, spelling field names as on the wire."""
    return dumps({WIRE_NAMES.get(name, name): value for name, value in values.items()})
