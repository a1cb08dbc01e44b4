"""The simulated kitchen: appliance physics per tick, commands, doors and installed appliances.

The simulation never touches a socket. Every change it makes is reported once through the `on_event`
callback (a state that really changed, an alert, an appliance added or removed); the server routes those
events to the subscribed WebSockets. There is no randomness, so a given sequence of ticks, commands and door
changes always produces the same states and alerts.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from .config import (
    DEFAULT_MODELS,
    DEFAULT_OVEN_COMPARTMENTS,
    FRIDGE_COMPARTMENTS,
    ServerConfig,
)
from .errors import ApiError, invalid_command
from .models import (
    AlertType,
    ApplianceState,
    Compartment,
    Device,
    DeviceType,
    DishwasherProgram,
    DishwasherState,
    DishwasherStatus,
    FridgeState,
    OvenMode,
    OvenState,
    OvenStatus,
)

AMBIENT_TEMPERATURE = 21.0
OVEN_HEATING_RATE = 10.0
OVEN_COOLING_RATE = 2.0
OVEN_READY_BAND = 1.0
OVEN_TARGET_RANGE = (30, 300)
# Target a compartment gets when a mode is chosen while it has none.
OVEN_DEFAULT_TARGETS = {
    OvenMode.BAKE: 180,
    OvenMode.CONVECTION: 160,
    OvenMode.GRILL: 220,
    OvenMode.DEFROST: 40,
}

FRIDGE_TARGET_RANGES = {"fridge": (1, 8), "freezer": (-24, -14)}
FRIDGE_INITIAL_TARGETS = {"fridge": 4, "freezer": -18}
# °C per tick a compartment moves toward its setpoint with the door shut, and warms with it open.
FRIDGE_RATES = {"fridge": 0.5, "freezer": 1.0}
TEMPERATURE_HIGH_MARGIN = 5.0

DISHWASHER_PROGRAM_MINUTES = {
    DishwasherProgram.ECO: 180,
    DishwasherProgram.NORMAL: 120,
    DishwasherProgram.INTENSIVE: 150,
    DishwasherProgram.QUICK: 30,
}

MAX_NAME_LENGTH = 64

COMMANDS = {
    DeviceType.OVEN: ("set_target_temperature", "set_mode", "turn_off"),
    DeviceType.FRIDGE: ("set_target_temperature",),
    DeviceType.DISHWASHER: ("start", "pause", "resume", "cancel"),
}


@dataclass(frozen=True, slots=True)
class StateChanged:
    """One compartment's (or a dishwasher's) state changed."""

    device: Device
    compartment: Compartment


@dataclass(frozen=True, slots=True)
class AlertRaised:
    """Something happened that the owner should be told about."""

    device: Device
    compartment: str | None
    alert_type: AlertType
    message: str


@dataclass(frozen=True, slots=True)
class DeviceAdded:
    """An appliance was installed."""

    device: Device


@dataclass(frozen=True, slots=True)
class DeviceRemoved:
    """An appliance was removed."""

    device: Device


type SimulationEvent = StateChanged | AlertRaised | DeviceAdded | DeviceRemoved


def conflict(message: str) -> ApiError:
    """Build the 409 error for a command the appliance cannot do right now."""
    return ApiError(409, "conflict", message)


def _round(value: float) -> float:
    """Keep temperatures at one decimal so repeated steps do not collect float noise."""
    return round(value, 1)


def _approach(current: float, goal: float, up: float, down: float) -> float:
    """Move toward a goal by at most `up` or `down` per tick, landing on it exactly."""
    if current < goal:
        return _round(min(goal, current + up))
    return _round(max(goal, current - down))


def _oven_status(mode: OvenMode, current: float, target: int | None) -> OvenStatus:
    """Derive an oven compartment's status from its mode and temperatures."""
    if mode is OvenMode.OFF or target is None:
        return OvenStatus.COOLING if current > AMBIENT_TEMPERATURE else OvenStatus.OFF
    if abs(current - target) <= OVEN_READY_BAND:
        return OvenStatus.READY
    return OvenStatus.PREHEATING if current < target else OvenStatus.COOLING


def initial_state(device_type: DeviceType, compartment: str | None) -> ApplianceState:
    """Return the state a newly installed appliance starts in."""
    if device_type is DeviceType.OVEN:
        return OvenState(
            current_temperature=AMBIENT_TEMPERATURE,
            target_temperature=None,
            mode=OvenMode.OFF,
            status=OvenStatus.OFF,
            door_open=False,
        )
    if device_type is DeviceType.FRIDGE:
        assert compartment is not None
        target = FRIDGE_INITIAL_TARGETS[compartment]
        return FridgeState(
            current_temperature=float(target),
            target_temperature=target,
            door_open=False,
        )
    return DishwasherState(
        status=DishwasherStatus.IDLE,
        program=None,
        remaining_minutes=0,
        progress=0,
        door_open=False,
    )


class Simulation:
    """All appliances of one server and the rules that move them."""

    def __init__(
        self, config: ServerConfig, on_event: Callable[[SimulationEvent], None]
    ) -> None:
        """Install the configured appliances in their initial states."""
        self._on_event = on_event
        self._door_alert_ticks = config.door_alert_ticks
        # The alert text speaks in seconds of nominal time, whatever speed the clock runs at.
        self._door_alert_seconds = config.door_alert_ticks * (config.tick or 2.0)
        self._devices: dict[str, Device] = {}
        self._next_index: dict[DeviceType, int] = dict.fromkeys(DeviceType, 1)
        self.ticks = 0
        user_ids = {user.username: user.user_id for user in config.users}
        for spec in config.devices:
            self._install(
                spec.id,
                spec.type,
                spec.name,
                owner=user_ids[spec.owner],
                model=spec.model,
                firmware=spec.firmware,
                compartments=spec.compartments,
            )

    @property
    def devices(self) -> Mapping[str, Device]:
        """Every appliance by id, in installation order."""
        return self._devices

    def devices_of(self, user_id: str) -> list[Device]:
        """Return one user's appliances in installation order."""
        return [device for device in self._devices.values() if device.owner == user_id]

    def owned(self, user_id: str, device_id: str) -> Device:
        """Return a device the user owns; 404 when it does not exist, 403 when it is not theirs."""
        device = self._devices.get(device_id)
        if device is None:
            raise ApiError(404, "unknown_device", f"no device {device_id!r}")
        if device.owner != user_id:
            raise ApiError(403, "forbidden", f"device {device_id!r} is not yours")
        return device

    def _install(
        self,
        device_id: str,
        device_type: DeviceType,
        name: str,
        *,
        owner: str,
        model: str,
        firmware: str,
        compartments: tuple[str, ...],
    ) -> Device:
        """Create a device in its initial state."""
        names: tuple[str | None, ...] = compartments or (None,)
        device = Device(
            id=device_id,
            type=device_type,
            name=name,
            model=model,
            firmware=firmware,
            owner=owner,
            compartments={
                part: Compartment(part, initial_state(device_type, part))
                for part in names
            },
        )
        self._devices[device_id] = device
        return device

    def add_device(self, owner: str, device_type: DeviceType, name: str) -> Device:
        """Install a new appliance for a user and announce it."""
        name = name.strip()
        if not name or len(name) > MAX_NAME_LENGTH:
            raise invalid_command(f"name must be 1-{MAX_NAME_LENGTH} characters")
        while (
            device_id := f"{device_type}-{self._next_index[device_type]}"
        ) in self._devices:
            self._next_index[device_type] += 1
        # Never hand out an id twice in one boot, even after its device was removed.
        self._next_index[device_type] += 1
        model, firmware = DEFAULT_MODELS[device_type]
        device = self._install(
            device_id,
            device_type,
            name,
            owner=owner,
            model=model,
            firmware=firmware,
            compartments={
                DeviceType.OVEN: DEFAULT_OVEN_COMPARTMENTS,
                DeviceType.FRIDGE: FRIDGE_COMPARTMENTS,
                DeviceType.DISHWASHER: (),
            }[device_type],
        )
        self._on_event(DeviceAdded(device))
        return device

    def remove_device(self, device: Device) -> None:
        """Remove an appliance and announce it."""
        del self._devices[device.id]
        self._on_event(DeviceRemoved(device))

    def compartment(self, device: Device, name: str | None) -> Compartment:
        """Resolve the compartment a command or door change addresses."""
        if device.type is DeviceType.DISHWASHER:
            if name is not None:
                raise invalid_command(
                    "a dishwasher has no compartments; omit compartment"
                )
            return device.compartments[None]
        choices = ", ".join(str(part) for part in device.compartments)
        if name is None:
            raise invalid_command(
                f"compartment is required for a {device.type}: one of {choices}"
            )
        if (part := device.compartments.get(name)) is None:
            raise invalid_command(f"unknown compartment {name!r}: one of {choices}")
        return part

    # --- the physical world -------------------------------------------------------------------------

    def step(self) -> None:
        """Advance every appliance by one tick."""
        self.ticks += 1
        # A snapshot of the values: an event handler may not change the dict, but be safe anyway.
        for device in list(self._devices.values()):
            for part in device.compartments.values():
                state = part.state
                if isinstance(state, OvenState):
                    self._step_oven(device, part, state)
                elif isinstance(state, FridgeState):
                    self._step_fridge(device, part, state)
                else:
                    self._step_dishwasher(device, part, state)

    def _step_oven(self, device: Device, part: Compartment, state: OvenState) -> None:
        """Heat toward the target, or cool toward the target or the room."""
        if state.mode is OvenMode.OFF or state.target_temperature is None:
            goal = AMBIENT_TEMPERATURE
            up = OVEN_COOLING_RATE
        else:
            goal = float(state.target_temperature)
            up = OVEN_HEATING_RATE
        current = _approach(state.current_temperature, goal, up, OVEN_COOLING_RATE)
        self._apply_oven(
            device,
            part,
            replace(
                state,
                current_temperature=current,
                status=_oven_status(state.mode, current, state.target_temperature),
            ),
        )

    def _step_fridge(
        self, device: Device, part: Compartment, state: FridgeState
    ) -> None:
        """Drift toward the setpoint, warm while the door is open, and raise the fridge alerts."""
        assert part.name is not None
        rate = FRIDGE_RATES[part.name]
        if state.door_open:
            part.door_open_ticks += 1
            current = _approach(
                state.current_temperature, AMBIENT_TEMPERATURE, rate, rate
            )
        else:
            current = _approach(
                state.current_temperature, state.target_temperature, rate, rate
            )
        self._apply(device, part, replace(state, current_temperature=current))
        label = f"{device.name} {part.name}"
        if (
            state.door_open
            and part.door_open_ticks > self._door_alert_ticks
            and not part.door_alert_sent
        ):
            part.door_alert_sent = True
            self._alert(
                device,
                part,
                AlertType.DOOR_OPEN,
                f"{label} door has been open for more than {self._door_alert_seconds:g} seconds",
            )
        too_warm = current > state.target_temperature + TEMPERATURE_HIGH_MARGIN
        if too_warm and not part.temperature_alert_sent:
            part.temperature_alert_sent = True
            self._alert(
                device,
                part,
                AlertType.TEMPERATURE_HIGH,
                f"{label} is at {current:g} °C, more than {TEMPERATURE_HIGH_MARGIN:g} °C above "
                f"its {state.target_temperature} °C setpoint",
            )
        elif not too_warm:
            # Back within the margin: the next excursion raises a new alert.
            part.temperature_alert_sent = False

    def _step_dishwasher(
        self, device: Device, part: Compartment, state: DishwasherState
    ) -> None:
        """Count a running program down by one minute."""
        if state.status is not DishwasherStatus.RUNNING:
            return
        assert state.program is not None
        total = DISHWASHER_PROGRAM_MINUTES[state.program]
        remaining = max(0, state.remaining_minutes - 1)
        finished = remaining == 0
        self._apply(
            device,
            part,
            replace(
                state,
                status=DishwasherStatus.FINISHED
                if finished
                else DishwasherStatus.RUNNING,
                remaining_minutes=remaining,
                progress=(total - remaining) * 100 // total,
            ),
        )
        if finished:
            self._alert(
                device,
                part,
                AlertType.PROGRAM_FINISHED,
                f"{device.name} has finished the {state.program} program",
            )

    def set_door(
        self, device: Device, compartment: str | None, door_open: bool
    ) -> None:
        """Open or close a door, as a person in the kitchen would."""
        part = self.compartment(device, compartment)
        state = part.state
        if state.door_open == door_open:
            return
        if not door_open:
            # A new opening gets its own door_open alert.
            part.door_open_ticks = 0
            part.door_alert_sent = False
        if (
            isinstance(state, DishwasherState)
            and state.status is DishwasherStatus.RUNNING
        ):
            # Like a real dishwasher, opening the door mid-program pauses it.
            self._apply(
                device,
                part,
                replace(state, door_open=True, status=DishwasherStatus.PAUSED),
            )
            return
        self._apply(device, part, replace(state, door_open=door_open))

    # --- commands -----------------------------------------------------------------------------------

    def command(
        self,
        device: Device,
        command: str,
        compartment: str | None,
        args: Mapping[str, Any],
    ) -> None:
        """Carry out a command or raise the ApiError that explains why not."""
        if command not in COMMANDS[device.type]:
            raise invalid_command(
                f"unknown command {command!r} for a {device.type}; "
                f"one of {', '.join(COMMANDS[device.type])}"
            )
        part = self.compartment(device, compartment)
        state = part.state
        if isinstance(state, OvenState):
            self._command_oven(device, part, state, command, args)
        elif isinstance(state, FridgeState):
            assert part.name is not None
            low, high = FRIDGE_TARGET_RANGES[part.name]
            value = _integer_arg(args, "value", low, high)
            self._apply(device, part, replace(state, target_temperature=value))
        else:
            self._command_dishwasher(device, part, state, command, args)

    def _command_oven(
        self,
        device: Device,
        part: Compartment,
        state: OvenState,
        command: str,
        args: Mapping[str, Any],
    ) -> None:
        """Set an oven compartment's target or mode, or turn it off."""
        mode = state.mode
        target = state.target_temperature
        if command == "set_target_temperature":
            target = _integer_arg(args, "value", *OVEN_TARGET_RANGE)
            if mode is OvenMode.OFF:
                raise conflict(f"{part.name} is off; choose a mode with set_mode first")
        elif command == "set_mode":
            mode = _enum_arg(args, "mode", OvenMode)
            if mode is OvenMode.OFF:
                target = None
            elif target is None:
                target = OVEN_DEFAULT_TARGETS[mode]
        else:
            mode = OvenMode.OFF
            target = None
        status = _oven_status(mode, state.current_temperature, target)
        self._apply_oven(
            device,
            part,
            replace(state, mode=mode, target_temperature=target, status=status),
        )

    def _command_dishwasher(
        self,
        device: Device,
        part: Compartment,
        state: DishwasherState,
        command: str,
        args: Mapping[str, Any],
    ) -> None:
        """Start, pause, resume or cancel a dishwasher program."""
        if command == "start":
            program = _enum_arg(args, "program", DishwasherProgram)
            if state.status in (DishwasherStatus.RUNNING, DishwasherStatus.PAUSED):
                raise conflict(f"a program is already {state.status}; cancel it first")
            if state.door_open:
                raise conflict("close the door before starting a program")
            new = replace(
                state,
                status=DishwasherStatus.RUNNING,
                program=program,
                remaining_minutes=DISHWASHER_PROGRAM_MINUTES[program],
                progress=0,
            )
        elif command == "pause":
            if state.status is not DishwasherStatus.RUNNING:
                raise conflict(
                    f"only a running program can be paused; it is {state.status}"
                )
            new = replace(state, status=DishwasherStatus.PAUSED)
        elif command == "resume":
            if state.status is not DishwasherStatus.PAUSED:
                raise conflict(
                    f"only a paused program can be resumed; it is {state.status}"
                )
            if state.door_open:
                raise conflict("close the door before resuming")
            new = replace(state, status=DishwasherStatus.RUNNING)
        else:
            if state.status is DishwasherStatus.IDLE:
                raise conflict("there is no program to cancel")
            new = replace(
                state,
                status=DishwasherStatus.IDLE,
                program=None,
                remaining_minutes=0,
                progress=0,
            )
        self._apply(device, part, new)

    # --- reporting ----------------------------------------------------------------------------------

    def _apply(self, device: Device, part: Compartment, new: ApplianceState) -> None:
        """Store a state and report it, but only if it differs from the current one."""
        if new == part.state:
            return
        part.state = new
        self._on_event(StateChanged(device, part))

    def _apply_oven(self, device: Device, part: Compartment, new: OvenState) -> None:
        """Store an oven state; reaching the target from preheating raises `preheat_done`."""
        old = part.state
        self._apply(device, part, new)
        if (
            isinstance(old, OvenState)
            and old.status is OvenStatus.PREHEATING
            and new.status is OvenStatus.READY
        ):
            self._alert(
                device,
                part,
                AlertType.PREHEAT_DONE,
                f"{device.name} {part.name} has reached {new.target_temperature} °C",
            )

    def _alert(
        self, device: Device, part: Compartment, alert_type: AlertType, message: str
    ) -> None:
        """Report an alert about one compartment (or a dishwasher)."""
        self._on_event(AlertRaised(device, part.name, alert_type, message))


def _integer_arg(args: Mapping[str, Any], key: str, low: int, high: int) -> int:
    """Read a whole-number argument and check its range."""
    if key not in args:
        raise invalid_command(f"args.{key} is required")
    value = args[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise invalid_command(f"args.{key} must be a number")
    if isinstance(value, float) and not value.is_integer():
        raise invalid_command(f"args.{key} must be a whole number")
    if not low <= value <= high:
        raise ApiError(
            400,
            "value_out_of_range",
            f"args.{key} must be between {low} and {high}, not {value:g}",
        )
    return int(value)


def _enum_arg[E: (OvenMode, DishwasherProgram)](
    args: Mapping[str, Any], key: str, choices: type[E]
) -> E:
    """Read an argument that must be one of an enum's values."""
    value = args.get(key)
    if isinstance(value, str) and value in {choice.value for choice in choices}:
        return choices(value)
    raise invalid_command(f"args.{key} must be one of {', '.join(choices)}")
