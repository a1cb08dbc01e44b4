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
    target_temperature: int
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

# Python names of state fields whose wire name differs; the others are spelled the same.
_WIRE_NAMES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "current_temperature": "currentTemperature",
        "target_temperature": "targetTemperature",
        "door_open": "doorOpen",
        "remaining_minutes": "remainingMinutes",
    }
)


def state_to_wire(state: ApplianceState) -> dict[str, Any]:
    """Return the camelCase wire form of a compartment's (or a dishwasher's) state."""
    return {
        _WIRE_NAMES.get(item.name, item.name): getattr(state, item.name)
        for item in fields(state)
    }


@dataclass(slots=True)
class Compartment:
    """One independently simulated part of a device (the whole device for a dishwasher)."""

    name: str | None
    state: ApplianceState
    # Simulation bookkeeping that never goes on the wire.
    door_open_ticks: int = 0
    door_alert_sent: bool = False
    temperature_alert_sent: bool = False


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

    def to_wire(self) -> dict[str, Any]:
        """Return the Device object of the protocol."""
        wire: dict[str, Any] = {
            "id": self.id,
            "type": self.type,
            "name": self.name,
            "model": self.model,
            "firmware": self.firmware,
        }
        if self.type is DeviceType.DISHWASHER:
            wire["state"] = state_to_wire(self.compartments[None].state)
        else:
            wire["compartments"] = {
                name: state_to_wire(part.state)
                for name, part in self.compartments.items()
            }
        return wire


def isoformat(moment: datetime) -> str:
    """Format a timestamp the way the protocol does: ISO 8601, UTC, milliseconds, `Z`."""
    return (
        moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )
