"""Appliance state and its wire form: the one place Python names map to camelCase."""

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final


class DeviceType(StrEnum):
    """Kinds of appliance the server simulates."""

    OVEN = "oven"
    FRIDGE = "fridge"
    DISHWASHER = "dishwasher"


class OvenMode(StrEnum):
    """Heating modes of one oven compartment."""

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
    """Alerts the simulation raises."""

    DOOR_OPEN = "door_open"
    TEMPERATURE_HIGH = "temperature_high"
    PREHEAT_DONE = "preheat_done"
    PROGRAM_FINISHED = "program_finished"
    TIMER_FINISHED = "timer_finished"


@dataclass(frozen=True, slots=True, kw_only=True)
class OvenState:
    """State of one oven compartment."""

    current_temperature: float
    target_temperature: int | None
    mode: OvenMode
    status: OvenStatus
    door_open: bool
    # Whole minutes left on the cook timer (rounded up); None when no timer is set.
    timer_remaining_minutes: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class FridgeState:
    """State of a fridge or freezer compartment."""

    current_temperature: float
    target_temperature: int
    door_open: bool
    # Super-cool (fridge) or super-freeze (freezer).
    super_mode: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class DishwasherState:
    """State of a dishwasher."""

    status: DishwasherStatus
    program: DishwasherProgram | None
    remaining_minutes: int
    progress: int
    door_open: bool
    # What `start` without a program runs; never None.
    selected_program: DishwasherProgram
    # When a delayed start begins; None when no start is scheduled.
    starts_at: datetime | None
    # Used by the current program so far; None while idle.
    program_energy_wh: float | None
    program_water_liters: float | None


type ApplianceState = OvenState | FridgeState | DishwasherState

# Python names of state fields whose wire name differs; the others are spelled the same.
_WIRE_NAMES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "current_temperature": "currentTemperature",
        "target_temperature": "targetTemperature",
        "door_open": "doorOpen",
        "remaining_minutes": "remainingMinutes",
        "timer_remaining_minutes": "timerRemainingMinutes",
        "super_mode": "superMode",
        "selected_program": "selectedProgram",
        "starts_at": "startsAt",
        "program_energy_wh": "programEnergyWh",
        "program_water_liters": "programWaterLiters",
        "energy_wh": "energyWh",
        "water_liters": "waterLiters",
    }
)


def _to_wire(item: DeviceStatus | ApplianceState) -> dict[str, Any]:
    """Return the camelCase wire form of a state dataclass; timestamps as the protocol writes them."""
    wire: dict[str, Any] = {}
    for item_field in fields(item):
        value = getattr(item, item_field.name)
        if isinstance(value, datetime):
            value = isoformat(value)
        wire[_WIRE_NAMES.get(item_field.name, item_field.name)] = value
    return wire


def state_to_wire(state: ApplianceState) -> dict[str, Any]:
    """Return the wire form of a compartment's (or a dishwasher's) state."""
    return _to_wire(state)


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceStatus:
    """What a whole appliance reports besides its compartments: link state and lifetime counters."""

    online: bool
    energy_wh: float
    # Dishwashers only; None for ovens and fridges.
    water_liters: float | None


def status_to_wire(status: DeviceStatus) -> dict[str, Any]:
    """Return the wire form of an appliance's status."""
    return _to_wire(status)


@dataclass(slots=True)
class Compartment:
    """One independently simulated part of a device (the whole device for a dishwasher)."""

    name: str | None
    state: ApplianceState
    # The state clients were last told about: `state` while the appliance is online, frozen while offline.
    reported: ApplianceState = field(init=False)
    # Simulation bookkeeping that never goes on the wire.
    door_open_ticks: int = 0
    door_alert_sent: bool = False
    temperature_alert_sent: bool = False
    timer_ends_at: datetime | None = None
    super_mode_ends_at: datetime | None = None

    def __post_init__(self) -> None:
        """Start with clients knowing the initial state."""
        self.reported = self.state


@dataclass(slots=True, kw_only=True)
class Device:
    """An appliance owned by one user."""

    id: str
    type: DeviceType
    name: str
    model: str
    firmware: str
    owner: str
    # Keyed by compartment name; a dishwasher has exactly one entry, keyed None.
    compartments: dict[str | None, Compartment] = field(default_factory=dict)
    online: bool = True
    # Lifetime counters; water only for dishwashers (None otherwise).
    energy_wh: float = 0.0
    water_liters: float | None = None
    # The status clients were last told about (frozen while the appliance is offline).
    reported_status: DeviceStatus = field(init=False)

    def __post_init__(self) -> None:
        """Start with clients knowing the initial status."""
        self.reported_status = self.status()

    def status(self) -> DeviceStatus:
        """Return the appliance's current link state and counters."""
        return DeviceStatus(
            online=self.online,
            energy_wh=self.energy_wh,
            water_liters=self.water_liters,
        )

    def to_wire(self) -> dict[str, Any]:
        """Return the Device object of the protocol, as clients know it (frozen while offline)."""
        wire: dict[str, Any] = {
            "id": self.id,
            "type": self.type,
            "name": self.name,
            "model": self.model,
            "firmware": self.firmware,
            "status": status_to_wire(self.reported_status),
        }
        if self.type is DeviceType.DISHWASHER:
            wire["state"] = state_to_wire(self.compartments[None].reported)
        else:
            wire["compartments"] = {
                name: state_to_wire(part.reported)
                for name, part in self.compartments.items()
            }
        return wire


def isoformat(moment: datetime) -> str:
    """Format a timestamp the way the protocol does: ISO 8601, UTC, milliseconds, `Z`."""
    return (
        moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )
