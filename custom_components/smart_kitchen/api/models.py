"""Typed models of protocol v1; each model says how it decodes from the wire (`from_wire`).

Decoding is where the protocol is enforced: a value the protocol does not allow (an unknown enum value,
an id out of range, a temperature no kitchen reaches, a timestamp centuries away) raises
`SmartKitchenResponseError`, so code using these models never sees it.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import cache
import logging
import re
from types import MappingProxyType
from typing import Any, Final, Self

import orjson

from .const import PROTOCOL_VERSION
from .exceptions import SmartKitchenResponseError

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
    TIMER_FINISHED = "timer_finished"


class ConnectionState(StrEnum):
    """States of the connection manager."""

    CONNECTING = "connecting"
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
    AUTH_FAILED = "auth_failed"
    CLOSED = "closed"


# The alerts each kind of appliance raises (protocol v1).
ALERT_TYPES: Final[Mapping[DeviceType, tuple[AlertType, ...]]] = MappingProxyType(
    {
        DeviceType.OVEN: (AlertType.PREHEAT_DONE, AlertType.TIMER_FINISHED),
        DeviceType.FRIDGE: (AlertType.DOOR_OPEN, AlertType.TEMPERATURE_HIGH),
        DeviceType.DISHWASHER: (AlertType.PROGRAM_FINISHED,),
    }
)


@dataclass(frozen=True, slots=True)
class SetpointRange:
    """The target temperatures a compartment accepts, in whole °C."""

    minimum: int
    maximum: int
    step: int

    def __contains__(self, value: object) -> bool:
        """Return whether a target is one the compartment accepts."""
        return (
            isinstance(value, int | float)
            and self.minimum <= value <= self.maximum
            and (value - self.minimum) % self.step == 0
        )


OVEN_SETPOINTS: Final = SetpointRange(30, 300, 5)
# The target a mode starts with when the compartment had none (`set_mode` on a compartment that is off).
OVEN_DEFAULT_TARGETS: Final[Mapping[OvenMode, int]] = MappingProxyType(
    {
        OvenMode.BAKE: 180,
        OvenMode.CONVECTION: 160,
        OvenMode.GRILL: 220,
        OvenMode.DEFROST: 40,
    }
)
FRIDGE_SETPOINTS: Final = SetpointRange(1, 8, 1)
FREEZER_SETPOINTS: Final = SetpointRange(-24, -14, 1)
# The minutes an oven's cook timer (`set_timer`) and a dishwasher's delayed start (`delayMinutes`) take.
COOK_TIMER_MINUTES: Final = SetpointRange(1, 600, 1)
START_DELAY_MINUTES: Final = SetpointRange(1, 1440, 1)
# How far ahead a dishwasher start may be scheduled (`finishAt` at most this far from now).
MAX_SCHEDULE_AHEAD: Final = timedelta(hours=24)


# How long each dishwasher program runs, in minutes.
PROGRAM_MINUTES: Final[Mapping[DishwasherProgram, int]] = MappingProxyType(
    {
        DishwasherProgram.ECO: 180,
        DishwasherProgram.NORMAL: 120,
        DishwasherProgram.INTENSIVE: 150,
        DishwasherProgram.QUICK: 30,
    }
)


def setpoint_range(
    device_type: DeviceType, compartment: str | None
) -> SetpointRange | None:
    """Return the targets a compartment accepts, or None if it has no target temperature."""
    if device_type is DeviceType.OVEN:
        return OVEN_SETPOINTS
    if device_type is DeviceType.FRIDGE:
        return {"fridge": FRIDGE_SETPOINTS, "freezer": FREEZER_SETPOINTS}.get(
            compartment or ""
        )
    return None


# Identifiers as the protocol defines them.
_DEVICE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_COMPARTMENT = re.compile(r"[a-z][a-z0-9_]{0,31}")
# Alert ids count up per user and boot; anything beyond a signed 64-bit integer is not an id.
MAX_ALERT_ID: Final = 2**63 - 1
# No appliance is colder than absolute zero or hotter than a pyrolytic oven; wider values are broken data.
_TEMPERATURE_RANGE: Final = (-273.15, 1000.0)
# Remaining minutes of a program: a day at most, with room for programs added later.
_MAX_MINUTES: Final = 10_000
# Timestamps far from now cannot be right, and would overflow date arithmetic.
_YEARS: Final = range(2000, 3000)
# Names and messages are shown to people; anything longer is not a name.
_MAX_TEXT: Final = 1024
# Lifetime counters (Wh, litres): a trillion is centuries of any kitchen; beyond is broken data.
_MAX_COUNTER: Final = 1e12


def _malformed(message: str) -> SmartKitchenResponseError:
    """Build the error for data that does not follow the protocol."""
    return SmartKitchenResponseError(message)


def _object(data: object, where: str) -> Mapping[str, Any]:
    """Return `data` if it is a JSON object, else raise."""
    if not isinstance(data, dict):
        raise _malformed(f"{where}: expected an object, got {type(data).__name__}")
    return data


def _get(obj: Mapping[str, Any], key: str, where: str) -> Any:
    """Return a required field."""
    try:
        return obj[key]
    except KeyError:
        raise _malformed(f"{where}: missing {key!r}") from None


def _str(obj: Mapping[str, Any], key: str, where: str) -> str:
    """Return a required string field of reasonable length."""
    value = _get(obj, key, where)
    if not isinstance(value, str) or len(value) > _MAX_TEXT:
        raise _malformed(
            f"{where}.{key}: expected a string, got {type(value).__name__}"
        )
    return value


def _matching(
    obj: Mapping[str, Any], key: str, where: str, pattern: re.Pattern[str]
) -> str:
    """Return a required string field that must match the protocol's pattern."""
    value = _get(obj, key, where)
    if not isinstance(value, str) or pattern.fullmatch(value) is None:
        raise _malformed(f"{where}.{key}: not a valid identifier: {value!r:.80}")
    return value


def _device_id(obj: Mapping[str, Any], key: str, where: str) -> str:
    """Return a device id field."""
    return _matching(obj, key, where, _DEVICE_ID)


def _compartment(obj: Mapping[str, Any], where: str) -> str | None:
    """Return the `compartment` field: a compartment name, or None for an appliance without any."""
    if obj.get("compartment") is None:
        return None
    return _matching(obj, "compartment", where, _COMPARTMENT)


def _bool(obj: Mapping[str, Any], key: str, where: str) -> bool:
    """Return a required boolean field."""
    value = _get(obj, key, where)
    if not isinstance(value, bool):
        raise _malformed(
            f"{where}.{key}: expected a boolean, got {type(value).__name__}"
        )
    return value


def _int(
    obj: Mapping[str, Any], key: str, where: str, minimum: int, maximum: int
) -> int:
    """Return a required whole number within a range (an integral float is accepted)."""
    value = _get(obj, key, where)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise _malformed(
            f"{where}.{key}: expected an integer, got {type(value).__name__}"
        )
    if not minimum <= value <= maximum:
        raise _malformed(f"{where}.{key}: {value} is outside {minimum}..{maximum}")
    return value


def _optional_int(
    obj: Mapping[str, Any], key: str, where: str, minimum: int, maximum: int
) -> int | None:
    """Return a whole number within a range, or None when the field is null or absent."""
    if obj.get(key) is None:
        return None
    return _int(obj, key, where, minimum, maximum)


def _optional_bool(obj: Mapping[str, Any], key: str, where: str) -> bool | None:
    """Return a boolean field, or None when a server that predates it leaves it out (or sends null)."""
    if obj.get(key) is None:
        return None
    return _bool(obj, key, where)


def _optional_counter(obj: Mapping[str, Any], key: str, where: str) -> float | None:
    """Return an energy or water amount (finite, >= 0), or None when the field is null or absent."""
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise _malformed(
            f"{where}.{key}: expected a number, got {type(value).__name__}"
        )
    # NaN fails the comparison too; infinity is above the limit.
    if not 0 <= value <= _MAX_COUNTER:
        raise _malformed(f"{where}.{key}: {value} is not an amount")
    return float(value)


def _temperature(obj: Mapping[str, Any], key: str, where: str) -> float:
    """Return a temperature in °C that an appliance can have."""
    value = _get(obj, key, where)
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise _malformed(
            f"{where}.{key}: expected a number, got {type(value).__name__}"
        )
    low, high = _TEMPERATURE_RANGE
    # NaN fails both comparisons, so it is refused here too.
    if not low <= value <= high:
        raise _malformed(f"{where}.{key}: {value} °C is not a temperature")
    return float(value)


def _enum[E: StrEnum](obj: Mapping[str, Any], key: str, where: str, enum: type[E]) -> E:
    """Return a required field that must be one of an enum's values."""
    value = _get(obj, key, where)
    # A dict lookup: `value in enum` and `enum(value)` each cost more than the rest of a field.
    members: dict[str, E] = _members(enum)
    member = members.get(value) if isinstance(value, str) else None
    if member is None:
        raise _malformed(f"{where}.{key}: unknown value {value!r:.80}")
    return member


@cache
def _members[E: StrEnum](enum: type[E]) -> dict[str, E]:
    """Return an enum's members by value."""
    return {member.value: member for member in enum}


def _datetime(obj: Mapping[str, Any], key: str, where: str) -> datetime:
    """Parse an ISO 8601 timestamp; the protocol sends UTC, so a naive one is taken as UTC."""
    value = _get(obj, key, where)
    if not isinstance(value, str):
        raise _malformed(
            f"{where}.{key}: expected a timestamp, got {type(value).__name__}"
        )
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as err:
        raise _malformed(
            f"{where}.{key}: not an ISO 8601 timestamp: {value!r:.80}"
        ) from err
    if moment.year not in _YEARS:
        raise _malformed(f"{where}.{key}: {value!r} is not a plausible time")
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def _optional_datetime(obj: Mapping[str, Any], key: str, where: str) -> datetime | None:
    """Return a timestamp, or None when the field is null or absent."""
    if obj.get(key) is None:
        return None
    return _datetime(obj, key, where)


def _ids(obj: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    """Return a list of device ids (absent means none)."""
    value = obj.get(key, [])
    if not isinstance(value, list):
        raise _malformed(f"{where}.{key}: expected a list, got {type(value).__name__}")
    return tuple(_device_id({"id": item}, "id", f"{where}.{key}") for item in value)


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerInfo:
    """What `GET /api/info` says about a server."""

    server_id: str
    name: str
    version: str
    protocol: int

    @property
    def supported(self) -> bool:
        """Return whether the server speaks the protocol version of this library."""
        return self.protocol == PROTOCOL_VERSION

    @classmethod
    def from_wire(cls, data: object) -> Self:
        """Decode the answer of `GET /api/info`."""
        obj = _object(data, "ServerInfo")
        return cls(
            server_id=_str(obj, "serverId", "ServerInfo"),
            name=_str(obj, "name", "ServerInfo"),
            version=_str(obj, "version", "ServerInfo"),
            protocol=_int(obj, "protocol", "ServerInfo", 0, 2**31),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class LoginResult:
    """A session token and who it belongs to."""

    # Kept out of the repr so that logging a LoginResult never leaks the token.
    token: str = field(repr=False)
    user_id: str
    expires_at: datetime

    @classmethod
    def from_wire(cls, data: object) -> Self:
        """Decode the answer of `POST /api/login`."""
        obj = _object(data, "LoginResult")
        return cls(
            token=_str(obj, "token", "LoginResult"),
            user_id=_str(obj, "userId", "LoginResult"),
            expires_at=_datetime(obj, "expiresAt", "LoginResult"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class OvenState:
    """State of one oven compartment."""

    current_temperature: float
    target_temperature: int | None
    mode: OvenMode
    status: OvenStatus
    door_open: bool
    # Whole minutes left on the cook timer; None when none is set (or the server predates timers).
    timer_remaining_minutes: int | None = None

    @classmethod
    def from_wire(cls, data: object) -> Self:
        """Decode the state of an oven compartment."""
        obj = _object(data, "OvenState")
        return cls(
            current_temperature=_temperature(obj, "currentTemperature", "OvenState"),
            target_temperature=_optional_int(
                obj,
                "targetTemperature",
                "OvenState",
                OVEN_SETPOINTS.minimum,
                OVEN_SETPOINTS.maximum,
            ),
            mode=_enum(obj, "mode", "OvenState", OvenMode),
            status=_enum(obj, "status", "OvenState", OvenStatus),
            door_open=_bool(obj, "doorOpen", "OvenState"),
            timer_remaining_minutes=_optional_int(
                obj,
                "timerRemainingMinutes",
                "OvenState",
                0,
                COOK_TIMER_MINUTES.maximum,
            ),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class FridgeState:
    """State of a fridge or freezer compartment."""

    current_temperature: float
    target_temperature: float
    door_open: bool
    # Super-cool (fridge) or super-freeze (freezer); None from a server that predates super modes.
    super_mode: bool | None = None

    @classmethod
    def from_wire(cls, data: object) -> Self:
        """Decode the state of a fridge or freezer compartment."""
        obj = _object(data, "FridgeState")
        return cls(
            current_temperature=_temperature(obj, "currentTemperature", "FridgeState"),
            # Shown as a float by Home Assistant's number entities (4 -> 4.0).
            target_temperature=float(
                _int(
                    obj,
                    "targetTemperature",
                    "FridgeState",
                    FREEZER_SETPOINTS.minimum,
                    FRIDGE_SETPOINTS.maximum,
                )
            ),
            door_open=_bool(obj, "doorOpen", "FridgeState"),
            super_mode=_optional_bool(obj, "superMode", "FridgeState"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class DishwasherState:
    """State of a dishwasher."""

    status: DishwasherStatus
    program: DishwasherProgram | None
    remaining_minutes: int
    progress: int
    door_open: bool
    # What `start` runs when it names no program; None from a server that predates it.
    selected_program: DishwasherProgram | None = None
    # When a scheduled start begins; None when nothing is scheduled.
    starts_at: datetime | None = None
    # What the current program has used so far (its totals once finished); None when idle.
    program_energy_wh: float | None = None
    program_water_liters: float | None = None

    @property
    def program_active(self) -> bool:
        """Return whether a program is under way (running or paused)."""
        return self.status in (DishwasherStatus.RUNNING, DishwasherStatus.PAUSED)

    @property
    def scheduled(self) -> bool:
        """Return whether a start is scheduled (the dishwasher is then idle)."""
        return self.starts_at is not None

    @property
    def planned_finish(self) -> datetime | None:
        """Return when a scheduled program will end, if one is scheduled."""
        if self.starts_at is None or self.selected_program is None:
            return None
        return self.starts_at + timedelta(
            minutes=PROGRAM_MINUTES[self.selected_program]
        )

    @classmethod
    def from_wire(cls, data: object) -> Self:
        """Decode the state of a dishwasher."""
        obj = _object(data, "DishwasherState")
        return cls(
            status=_enum(obj, "status", "DishwasherState", DishwasherStatus),
            program=None
            if obj.get("program") is None
            else _enum(obj, "program", "DishwasherState", DishwasherProgram),
            remaining_minutes=_int(
                obj, "remainingMinutes", "DishwasherState", 0, _MAX_MINUTES
            ),
            progress=_int(obj, "progress", "DishwasherState", 0, 100),
            door_open=_bool(obj, "doorOpen", "DishwasherState"),
            selected_program=None
            if obj.get("selectedProgram") is None
            else _enum(obj, "selectedProgram", "DishwasherState", DishwasherProgram),
            starts_at=_optional_datetime(obj, "startsAt", "DishwasherState"),
            program_energy_wh=_optional_counter(
                obj, "programEnergyWh", "DishwasherState"
            ),
            program_water_liters=_optional_counter(
                obj, "programWaterLiters", "DishwasherState"
            ),
        )


type ApplianceState = OvenState | FridgeState | DishwasherState

STATE_TYPES: Final[Mapping[DeviceType, Callable[[object], ApplianceState]]] = (
    MappingProxyType(
        {
            DeviceType.OVEN: OvenState.from_wire,
            DeviceType.FRIDGE: FridgeState.from_wire,
            DeviceType.DISHWASHER: DishwasherState.from_wire,
        }
    )
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ApplianceStatus:
    """What belongs to a whole appliance: whether the server reaches it, and its lifetime counters."""

    online: bool
    # Lifetime energy use in Wh, never decreasing.
    energy_wh: float | None
    # Lifetime water use in litres (dishwashers); None for ovens and fridges.
    water_liters: float | None

    @classmethod
    def from_wire(cls, data: object) -> Self:
        """Decode the `status` of a Device object or a `device_status` message."""
        obj = _object(data, "ApplianceStatus")
        return cls(
            online=_bool(obj, "online", "ApplianceStatus"),
            energy_wh=_optional_counter(obj, "energyWh", "ApplianceStatus"),
            water_liters=_optional_counter(obj, "waterLiters", "ApplianceStatus"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Appliance:
    """What an appliance is: its identity and the names of its compartments (no state)."""

    id: str
    type: DeviceType
    name: str
    model: str
    firmware: str
    # Compartment names for ovens and fridges; (None,) for a dishwasher.
    compartments: tuple[str | None, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Device(Appliance):
    """An appliance as the server lists it, with the state of each compartment at that moment.

    Live state arrives as DeviceUpdate events; keep `appliance` and let the states go.
    """

    # Compartment name -> state for ovens and fridges; {None: state} for a dishwasher.
    states: Mapping[str | None, ApplianceState]
    # None from a server that predates the appliance status.
    status: ApplianceStatus | None = None

    @property
    def appliance(self) -> Appliance:
        """Return the appliance without its states."""
        return Appliance(
            id=self.id,
            type=self.type,
            name=self.name,
            model=self.model,
            firmware=self.firmware,
            compartments=self.compartments,
        )

    @classmethod
    def from_wire(cls, data: object) -> Self:
        """Decode a Device object (`compartments` for ovens and fridges, `state` for dishwashers)."""
        obj = _object(data, "Device")
        device_type = _enum(obj, "type", "Device", DeviceType)
        parse_state = STATE_TYPES[device_type]
        states: dict[str | None, ApplianceState]
        if "compartments" in obj:
            compartments = _object(obj["compartments"], "Device.compartments")
            states = {
                _matching(
                    {"name": name}, "name", "Device.compartments", _COMPARTMENT
                ): (parse_state(state))
                for name, state in compartments.items()
            }
        elif "state" in obj:
            states = {None: parse_state(obj["state"])}
        else:
            raise _malformed("Device: neither 'compartments' nor 'state'")
        return cls(
            id=_device_id(obj, "id", "Device"),
            type=device_type,
            name=_str(obj, "name", "Device"),
            model=_str(obj, "model", "Device"),
            firmware=_str(obj, "firmware", "Device"),
            compartments=tuple(states),
            states=MappingProxyType(states),
            status=None
            if obj.get("status") is None
            else ApplianceStatus.from_wire(obj["status"]),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Connected:
    """The server accepted the WebSocket (`connected`)."""

    user_id: str
    server_id: str
    # Random per server start; alert ids restart at 1 when it changes.
    boot_id: str

    @classmethod
    def from_wire(cls, obj: Mapping[str, Any]) -> Self:
        """Decode a `connected` message."""
        return cls(
            user_id=_str(obj, "userId", "Connected"),
            server_id=_str(obj, "serverId", "Connected"),
            boot_id=_str(obj, "bootId", "Connected"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Subscribed:
    """The server confirmed the subscription (`subscribed`); the snapshot follows."""

    device_ids: tuple[str, ...]
    # The user's newest alert id of this boot (0: none yet); None from servers that predate it.
    last_alert_id: int | None = None

    @classmethod
    def from_wire(cls, obj: Mapping[str, Any]) -> Self:
        """Decode a `subscribed` message."""
        return cls(
            device_ids=_ids(obj, "deviceIds", "Subscribed"),
            last_alert_id=_optional_int(
                obj, "lastAlertId", "Subscribed", 0, MAX_ALERT_ID
            ),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceUpdate:
    """The full new state of one device or compartment (`device_update`)."""

    device_id: str
    device_type: DeviceType
    compartment: str | None
    state: ApplianceState
    ts: datetime

    @classmethod
    def from_wire(cls, obj: Mapping[str, Any]) -> Self:
        """Decode a `device_update`; the state's shape depends on `deviceType`."""
        device_type = _enum(obj, "deviceType", "DeviceUpdate", DeviceType)
        return cls(
            device_id=_device_id(obj, "deviceId", "DeviceUpdate"),
            device_type=device_type,
            compartment=_compartment(obj, "DeviceUpdate"),
            state=STATE_TYPES[device_type](_get(obj, "state", "DeviceUpdate")),
            ts=_datetime(obj, "ts", "DeviceUpdate"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceStatus:
    """The new status of a whole appliance (`device_status`): online or not, and its counters."""

    device_id: str
    device_type: DeviceType
    status: ApplianceStatus
    ts: datetime

    @classmethod
    def from_wire(cls, obj: Mapping[str, Any]) -> Self:
        """Decode a `device_status` message."""
        return cls(
            device_id=_device_id(obj, "deviceId", "DeviceStatus"),
            device_type=_enum(obj, "deviceType", "DeviceStatus", DeviceType),
            status=ApplianceStatus.from_wire(_get(obj, "status", "DeviceStatus")),
            ts=_datetime(obj, "ts", "DeviceStatus"),
        )


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

    @classmethod
    def from_wire(cls, obj: Mapping[str, Any]) -> Self:
        """Decode an `alert` message."""
        return cls(
            id=_int(obj, "id", "Alert", 1, MAX_ALERT_ID),
            device_id=_device_id(obj, "deviceId", "Alert"),
            device_type=_enum(obj, "deviceType", "Alert", DeviceType),
            compartment=_compartment(obj, "Alert"),
            alert_type=_matching(obj, "alertType", "Alert", _COMPARTMENT),
            message=_str(obj, "message", "Alert"),
            ts=_datetime(obj, "ts", "Alert"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceAdded:
    """A device was added to the user's kitchen (`device_added`)."""

    device: Device

    @classmethod
    def from_wire(cls, obj: Mapping[str, Any]) -> Self:
        """Decode a `device_added` message."""
        return cls(device=Device.from_wire(obj.get("device")))


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceRemoved:
    """A device left the user's kitchen (`device_removed`)."""

    device_id: str

    @classmethod
    def from_wire(cls, obj: Mapping[str, Any]) -> Self:
        """Decode a `device_removed` message."""
        return cls(device_id=_device_id(obj, "deviceId", "DeviceRemoved"))


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerError:
    """The server reported a problem with something the client sent (`error`)."""

    code: str
    message: str
    device_ids: tuple[str, ...] = ()

    @classmethod
    def from_wire(cls, obj: Mapping[str, Any]) -> Self:
        """Decode an `error` message."""
        return cls(
            code=_str(obj, "code", "ServerError"),
            message=_str(obj, "message", "ServerError"),
            device_ids=_ids(obj, "deviceIds", "ServerError"),
        )


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
    | DeviceStatus
    | Alert
    | DeviceAdded
    | DeviceRemoved
    | ServerError
    | ConnectionStateChanged
)


@dataclass(slots=True, kw_only=True)
class ConnectionStats:
    """Counters and timestamps of a connection manager, for diagnostics (a copy: changing it changes nothing)."""

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
            or not 0 <= self.last_alert_id <= MAX_ALERT_ID
        ):
            raise ValueError(
                f"last_alert_id must be an integer from 0 to 2**63-1, not {self.last_alert_id!r}"
            )


def loads(data: str | bytes) -> Any:
    """Parse JSON text, raising SmartKitchenResponseError when it is not JSON."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as err:
        raise _malformed(f"Not JSON: {err}") from err


def dumps(data: object) -> bytes:
    """Serialize to JSON (orjson writes enums as their values)."""
    return orjson.dumps(data)


def parse_devices(data: object) -> list[Device]:
    """Decode the answer of `GET /api/devices`, skipping device types this library does not know."""
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
        devices.append(Device.from_wire(item))
    return devices


_MESSAGE_TYPES: Final[Mapping[str, Callable[[Mapping[str, Any]], Event]]] = (
    MappingProxyType(
        {
            "connected": Connected.from_wire,
            "subscribed": Subscribed.from_wire,
            "device_update": DeviceUpdate.from_wire,
            "device_status": DeviceStatus.from_wire,
            "alert": Alert.from_wire,
            "device_added": DeviceAdded.from_wire,
            "device_removed": DeviceRemoved.from_wire,
            "error": ServerError.from_wire,
        }
    )
)


def parse_message(data: str | bytes) -> Event | None:
    """Parse one WebSocket message; None for a message type this library does not know."""
    obj = _object(loads(data), "message")
    message_type = obj.get("type")
    if not isinstance(message_type, str):
        raise _malformed("message: 'type' is missing or not a string")
    if (decode := _MESSAGE_TYPES.get(message_type)) is None:
        return None
    return decode(obj)
