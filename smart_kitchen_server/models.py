"""Appliance state and its wire form: the one place Python names map to camelCase."""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


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

    def to_wire(self) -> dict[str, Any]:
        """Return the camelCase wire form."""
        return {
            "currentTemperature": self.current_temperature,
            "targetTemperature": self.target_temperature,
            "mode": self.mode,
            "status": self.status,
            "doorOpen": self.door_open,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class FridgeState:
    """State of a fridge or freezer compartment."""

    current_temperature: float
    target_temperature: int
    door_open: bool

    def to_wire(self) -> dict[str, Any]:
        """Return the camelCase wire form."""
        return {
            "currentTemperature": self.current_temperature,
            "targetTemperature": self.target_temperature,
            "doorOpen": self.door_open,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class DishwasherState:
    """State of a dishwasher."""

    status: DishwasherStatus
    program: DishwasherProgram | None
    remaining_minutes: int
    progress: int
    door_open: bool

    def to_wire(self) -> dict[str, Any]:
        """Return the camelCase wire form."""
        return {
            "status": self.status,
            "program": self.program,
            "remainingMinutes": self.remaining_minutes,
            "progress": self.progress,
            "doorOpen": self.door_open,
        }


type ApplianceState = OvenState | FridgeState | DishwasherState


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
            wire["state"] = self.compartments[None].state.to_wire()
        else:
            wire["compartments"] = {
                name: part.state.to_wire() for name, part in self.compartments.items()
            }
        return wire


def isoformat(moment: datetime) -> str:
    """Format a timestamp the way the protocol does: ISO 8601, UTC, milliseconds, `Z`."""
    return (
        moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )
