"""The simulated kitchen: appliance physics per tick, commands, doors and installed appliances.

The simulation never touches a socket. Every change it makes is reported once through the `on_event`
callback (a state or appliance status that really changed, an alert, an appliance added or removed); the
server routes those events to the subscribed WebSockets. There is no randomness, so a given sequence of
ticks, clock readings, commands and door changes always produces the same states and alerts.

Two kinds of time move the simulation: ticks (temperatures, a running dishwasher's countdown, energy and
water) and the server's clock, read on each tick (a delayed start, a cook timer, a super mode's end).

An appliance that is offline keeps running here, as a real one would without its network, but nothing
about it reaches clients: `Compartment.reported` and `Device.reported_status` stay what clients were last
told, and its alerts are held until it is back online.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
import math
from typing import Any

from .auth import Clock
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
    isoformat,
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
OVEN_TIMER_RANGE = (1, 600)
# Wh a compartment uses per tick while its element is on (status preheating or ready).
OVEN_ENERGY_WH = {
    OvenMode.BAKE: 30.0,
    OvenMode.CONVECTION: 35.0,
    OvenMode.GRILL: 40.0,
    OvenMode.DEFROST: 10.0,
}

FRIDGE_TARGET_RANGES = {"fridge": (1, 8), "freezer": (-24, -14)}
FRIDGE_INITIAL_TARGETS = {"fridge": 4, "freezer": -18}
# °C per tick a compartment moves toward its setpoint with the door shut, and warms with it open.
FRIDGE_RATES = {"fridge": 0.5, "freezer": 1.0}
TEMPERATURE_HIGH_MARGIN = 5.0
# Super-cool (fridge) and super-freeze (freezer): how far below the setpoint they pull, which command
# switches each, and for how long of the server's clock.
SUPER_MODE_OFFSETS = {"fridge": 3.0, "freezer": 4.0}
SUPER_MODE_COMMANDS = {"set_super_cool": "fridge", "set_super_freeze": "freezer"}
SUPER_MODE_DURATION = timedelta(hours=6)
# Wh a fridge compartment uses per tick, and what an open door or a super mode adds.
FRIDGE_ENERGY_WH = {"fridge": 0.4, "freezer": 0.6}
FRIDGE_DOOR_OPEN_ENERGY_WH = 0.3
FRIDGE_SUPER_MODE_ENERGY_WH = 0.5

DISHWASHER_PROGRAM_MINUTES = {
    DishwasherProgram.ECO: 180,
    DishwasherProgram.NORMAL: 120,
    DishwasherProgram.INTENSIVE: 150,
    DishwasherProgram.QUICK: 30,
}
# Wh and litres a program uses per tick while running (eco: 900 Wh and 9 L in all).
DISHWASHER_USAGE_PER_TICK = {
    DishwasherProgram.ECO: (5.0, 0.05),
    DishwasherProgram.NORMAL: (10.0, 0.1),
    DishwasherProgram.INTENSIVE: (11.0, 0.1),
    DishwasherProgram.QUICK: (20.0, 0.3),
}
INITIAL_PROGRAM = DishwasherProgram.ECO
DELAY_RANGE = (1, 24 * 60)
MAX_SCHEDULE_AHEAD = timedelta(hours=24)

MAX_NAME_LENGTH = 64

COMMANDS = {
    DeviceType.OVEN: (
        "set_target_temperature",
        "set_mode",
        "turn_off",
        "set_timer",
        "cancel_timer",
    ),
    DeviceType.FRIDGE: ("set_target_temperature", "set_super_cool", "set_super_freeze"),
    DeviceType.DISHWASHER: ("start", "pause", "resume", "cancel", "select_program"),
}


@dataclass(frozen=True, slots=True)
class StateChanged:
    """One compartment's (or a dishwasher's) reported state changed."""

    device: Device
    compartment: Compartment


@dataclass(frozen=True, slots=True)
class StatusChanged:
    """An appliance's reported status (online, energy, water) changed."""

    device: Device


@dataclass(frozen=True, slots=True)
class AlertRaised:
    """Something happened that the owner should be told about."""

    device: Device
    compartment: str | None
    alert_type: AlertType
    message: str
    # When it happened; an alert held while its appliance was offline is delivered later.
    ts: datetime


@dataclass(frozen=True, slots=True)
class DeviceAdded:
    """An appliance was installed."""

    device: Device


@dataclass(frozen=True, slots=True)
class DeviceRemoved:
    """An appliance was removed."""

    device: Device


type SimulationEvent = (
    StateChanged | StatusChanged | AlertRaised | DeviceAdded | DeviceRemoved
)


def conflict(message: str) -> ApiError:
    """Build the 409 error for a command the appliance cannot do right now."""
    return ApiError(409, "conflict", message)


def _round(value: float) -> float:
    """Keep temperatures at one decimal so repeated steps do not collect float noise."""
    return round(value, 1)


def _add(total: float, amount: float) -> float:
    """Add to a counter kept at three decimals, so thousands of small steps never drift."""
    return round(total + amount, 3)


def _approach(current: float, goal: float, up: float, down: float) -> float:
    """Move toward a goal by at most `up` or `down` per tick, landing on it exactly."""
    if current < goal:
        return _round(min(goal, current + up))
    return _round(max(goal, current - down))


def _minutes_until(moment: datetime, now: datetime) -> int:
    """Whole minutes from now until a moment, rounded up (0 once it has come)."""
    return max(0, math.ceil((moment - now).total_seconds() / 60))


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
            timer_remaining_minutes=None,
        )
    if device_type is DeviceType.FRIDGE:
        assert compartment is not None
        target = FRIDGE_INITIAL_TARGETS[compartment]
        return FridgeState(
            current_temperature=float(target),
            target_temperature=target,
            door_open=False,
            super_mode=False,
        )
    return DishwasherState(
        status=DishwasherStatus.IDLE,
        program=None,
        remaining_minutes=0,
        progress=0,
        door_open=False,
        selected_program=INITIAL_PROGRAM,
        starts_at=None,
        program_energy_wh=None,
        program_water_liters=None,
    )


def _idle(state: DishwasherState) -> DishwasherState:
    """Return a dishwasher state with no program run, running or scheduled."""
    return replace(
        state,
        status=DishwasherStatus.IDLE,
        program=None,
        remaining_minutes=0,
        progress=0,
        starts_at=None,
        program_energy_wh=None,
        program_water_liters=None,
    )


class Simulation:
    """All appliances of one server and the rules that move them."""

    def __init__(
        self,
        config: ServerConfig,
        on_event: Callable[[SimulationEvent], None],
        clock: Clock,
    ) -> None:
        """Install the configured appliances in their initial states."""
        self._on_event = on_event
        self._clock = clock
        self._door_alert_ticks = config.door_alert_ticks
        # The alert text speaks in seconds of nominal time, whatever speed the clock runs at.
        self._door_alert_seconds = config.door_alert_ticks * (config.tick or 2.0)
        self._devices: dict[str, Device] = {}
        self._next_index: dict[DeviceType, int] = dict.fromkeys(DeviceType, 1)
        # Alerts of offline appliances, delivered when they are back online.
        self._held_alerts: dict[str, list[AlertRaised]] = {}
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
                energy_wh=spec.energy_wh,
                water_liters=spec.water_liters,
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
        energy_wh: float = 0.0,
        water_liters: float = 0.0,
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
            energy_wh=energy_wh,
            water_liters=water_liters if device_type is DeviceType.DISHWASHER else None,
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
        """Remove an appliance and announce it; alerts it still held are dropped with it."""
        del self._devices[device.id]
        self._held_alerts.pop(device.id, None)
        self._on_event(DeviceRemoved(device))

    def restore_counters(
        self, device_id: str, energy_wh: float, water_liters: float | None
    ) -> None:
        """Continue a device's lifetime counters from a previous boot; they never go backwards."""
        if (device := self._devices.get(device_id)) is None:
            return
        device.energy_wh = max(device.energy_wh, energy_wh)
        if device.water_liters is not None and water_liters is not None:
            device.water_liters = max(device.water_liters, water_liters)
        device.reported_status = device.status()

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
        now = self._clock()
        # A snapshot of the values: an event handler may not change the dict, but be safe anyway.
        for device in list(self._devices.values()):
            energy = water = 0.0
            for part in device.compartments.values():
                state = part.state
                if isinstance(state, OvenState):
                    energy += self._step_oven(device, part, state, now)
                elif isinstance(state, FridgeState):
                    energy += self._step_fridge(device, part, state, now)
                else:
                    used, water = self._step_dishwasher(device, part, state, now)
                    energy += used
            if energy:
                device.energy_wh = _add(device.energy_wh, energy)
            if water and device.water_liters is not None:
                device.water_liters = _add(device.water_liters, water)
            # At most one device_status per appliance and tick, after its state updates.
            self._report_status(device)

    def _step_oven(
        self, device: Device, part: Compartment, state: OvenState, now: datetime
    ) -> float:
        """Heat toward the target, or cool toward the target or the room; run the timer; return Wh used."""
        mode = state.mode
        target = state.target_temperature
        timer = state.timer_remaining_minutes
        timer_finished = False
        if part.timer_ends_at is not None:
            timer = _minutes_until(part.timer_ends_at, now)
            if timer == 0:
                # The timer's whole point: the compartment switches itself off.
                part.timer_ends_at = None
                mode, target, timer = OvenMode.OFF, None, None
                timer_finished = True
        if mode is OvenMode.OFF or target is None:
            goal = AMBIENT_TEMPERATURE
            up = OVEN_COOLING_RATE
        else:
            goal = float(target)
            up = OVEN_HEATING_RATE
        current = _approach(state.current_temperature, goal, up, OVEN_COOLING_RATE)
        status = _oven_status(mode, current, target)
        self._apply_oven(
            device,
            part,
            replace(
                state,
                current_temperature=current,
                mode=mode,
                target_temperature=target,
                status=status,
                timer_remaining_minutes=timer,
            ),
        )
        if timer_finished:
            self._alert(
                device,
                part,
                AlertType.TIMER_FINISHED,
                f"{device.name} {part.name} timer has finished; the compartment was turned off",
            )
        if mode is OvenMode.OFF or status not in (
            OvenStatus.PREHEATING,
            OvenStatus.READY,
        ):
            return 0.0
        return OVEN_ENERGY_WH[mode]

    def _step_fridge(
        self, device: Device, part: Compartment, state: FridgeState, now: datetime
    ) -> float:
        """Drift toward the setpoint, warm while the door is open, raise the fridge alerts; return Wh used."""
        assert part.name is not None
        rate = FRIDGE_RATES[part.name]
        super_mode = state.super_mode
        if part.super_mode_ends_at is not None and now >= part.super_mode_ends_at:
            part.super_mode_ends_at = None
            super_mode = False
        if state.door_open:
            part.door_open_ticks += 1
            goal = AMBIENT_TEMPERATURE
        elif super_mode:
            goal = state.target_temperature - SUPER_MODE_OFFSETS[part.name]
        else:
            goal = state.target_temperature
        current = _approach(state.current_temperature, goal, rate, rate)
        self._apply(
            device,
            part,
            replace(state, current_temperature=current, super_mode=super_mode),
        )
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
        energy = FRIDGE_ENERGY_WH[part.name]
        if state.door_open:
            energy += FRIDGE_DOOR_OPEN_ENERGY_WH
        if super_mode:
            energy += FRIDGE_SUPER_MODE_ENERGY_WH
        return energy

    def _step_dishwasher(
        self, device: Device, part: Compartment, state: DishwasherState, now: datetime
    ) -> tuple[float, float]:
        """Start a scheduled program when it is due, or count a running one down; return Wh and L used."""
        if state.starts_at is not None:
            # A door left open at the start time holds the start until it is closed.
            if now >= state.starts_at and not state.door_open:
                self._apply(device, part, self._started(state, state.selected_program))
            return 0.0, 0.0
        if state.status is not DishwasherStatus.RUNNING:
            return 0.0, 0.0
        assert state.program is not None
        assert state.program_energy_wh is not None
        assert state.program_water_liters is not None
        total = DISHWASHER_PROGRAM_MINUTES[state.program]
        energy, water = DISHWASHER_USAGE_PER_TICK[state.program]
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
                program_energy_wh=_add(state.program_energy_wh, energy),
                program_water_liters=_add(state.program_water_liters, water),
            ),
        )
        if finished:
            self._alert(
                device,
                part,
                AlertType.PROGRAM_FINISHED,
                f"{device.name} has finished the {state.program} program",
            )
        return energy, water

    def set_door(
        self, device: Device, compartment: str | None, door_open: bool
    ) -> None:
        """Open or close a door, as a person in the kitchen would (online or not)."""
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

    def set_online(self, device: Device, online: bool) -> None:
        """Take an appliance off the network or bring it back; back online, it reports everything fresh."""
        if device.online == online:
            return
        device.online = online
        if not online:
            # Clients keep the last state they were told about, now marked offline.
            device.reported_status = replace(device.reported_status, online=False)
            self._on_event(StatusChanged(device))
            return
        for part in device.compartments.values():
            part.reported = part.state
            self._on_event(StateChanged(device, part))
        device.reported_status = device.status()
        self._on_event(StatusChanged(device))
        for alert in self._held_alerts.pop(device.id, []):
            self._on_event(alert)

    # --- commands -----------------------------------------------------------------------------------

    def command(
        self,
        device: Device,
        command: str,
        compartment: str | None,
        args: Mapping[str, Any],
    ) -> None:
        """Carry out a command or raise the ApiError that explains why not.

        Every 400 (command, compartment, arguments) is checked before the appliance's state: first
        whether it is online (409 `device_offline`), then whether it can do this now (409 `conflict`).
        """
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
            self._command_fridge(device, part, state, command, args)
        else:
            self._command_dishwasher(device, part, state, command, args)

    def _require_online(self, device: Device) -> None:
        """Refuse a valid command for an appliance the server cannot reach."""
        if not device.online:
            raise ApiError(
                409, "device_offline", f"{device.name} is offline; try again later"
            )

    def _command_oven(
        self,
        device: Device,
        part: Compartment,
        state: OvenState,
        command: str,
        args: Mapping[str, Any],
    ) -> None:
        """Set an oven compartment's target, mode or timer, or turn it off."""
        mode = state.mode
        target = state.target_temperature
        timer = state.timer_remaining_minutes
        minutes: int | None = None
        if command == "set_target_temperature":
            target = _integer_arg(args, "value", *OVEN_TARGET_RANGE)
        elif command == "set_mode":
            mode = _enum_arg(args, "mode", OvenMode)
        elif command == "set_timer":
            minutes = _integer_arg(args, "minutes", *OVEN_TIMER_RANGE)
        self._require_online(device)
        if command in ("set_target_temperature", "set_timer") and mode is OvenMode.OFF:
            raise conflict(f"{part.name} is off; choose a mode with set_mode first")
        if command == "set_mode" and mode is not OvenMode.OFF and target is None:
            target = OVEN_DEFAULT_TARGETS[mode]
        elif minutes is not None:
            # A new timer replaces a running one.
            part.timer_ends_at = self._clock() + timedelta(minutes=minutes)
            timer = minutes
        elif command == "cancel_timer":
            if part.timer_ends_at is None:
                raise conflict(f"{part.name} has no timer to cancel")
            part.timer_ends_at = None
            timer = None
        elif command == "turn_off":
            mode = OvenMode.OFF
        if mode is OvenMode.OFF:
            # Off means off: no target, and no timer left to switch it off again.
            target = None
            timer = None
            part.timer_ends_at = None
        status = _oven_status(mode, state.current_temperature, target)
        self._apply_oven(
            device,
            part,
            replace(
                state,
                mode=mode,
                target_temperature=target,
                status=status,
                timer_remaining_minutes=timer,
            ),
        )

    def _command_fridge(
        self,
        device: Device,
        part: Compartment,
        state: FridgeState,
        command: str,
        args: Mapping[str, Any],
    ) -> None:
        """Set a fridge compartment's target, or switch its super mode."""
        assert part.name is not None
        if command == "set_target_temperature":
            low, high = FRIDGE_TARGET_RANGES[part.name]
            value = _integer_arg(args, "value", low, high)
            self._require_online(device)
            self._apply(device, part, replace(state, target_temperature=value))
            return
        if part.name != (wanted := SUPER_MODE_COMMANDS[command]):
            raise invalid_command(f"{command} is for the {wanted} compartment")
        on = args.get("on")
        if not isinstance(on, bool):
            raise invalid_command("args.on must be true or false")
        self._require_online(device)
        if on == state.super_mode:
            # Switching on again does not extend it; it still ends 6 hours after it was switched on.
            return
        part.super_mode_ends_at = self._clock() + SUPER_MODE_DURATION if on else None
        self._apply(device, part, replace(state, super_mode=on))

    def _command_dishwasher(
        self,
        device: Device,
        part: Compartment,
        state: DishwasherState,
        command: str,
        args: Mapping[str, Any],
    ) -> None:
        """Start (now or later), pause, resume or cancel a program, or select the next one."""
        program = state.selected_program
        starts_at: datetime | None = None
        if command == "start":
            if args.get("program") is not None:
                program = _enum_arg(args, "program", DishwasherProgram)
            starts_at = self._start_time(args, program)
        elif command == "select_program":
            program = _enum_arg(args, "program", DishwasherProgram)
        self._require_online(device)
        if command == "start":
            new = self._start(state, program, starts_at)
        elif command == "select_program":
            if state.starts_at is not None:
                raise conflict(
                    "a start is scheduled; cancel it before selecting another program"
                )
            if state.status in (DishwasherStatus.RUNNING, DishwasherStatus.PAUSED):
                raise conflict(
                    f"a program is {state.status}; select the next one when it is done"
                )
            new = replace(state, selected_program=program)
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
            if state.status is DishwasherStatus.IDLE and state.starts_at is None:
                raise conflict("there is no program to cancel")
            new = _idle(state)
        self._apply(device, part, new)

    def _start_time(
        self, args: Mapping[str, Any], program: DishwasherProgram
    ) -> datetime | None:
        """Read `delayMinutes` or `finishAt` of a start; None starts at once."""
        delay = args.get("delayMinutes")
        finish = args.get("finishAt")
        if delay is not None and finish is not None:
            raise invalid_command("give args.delayMinutes or args.finishAt, not both")
        now = self._clock()
        if delay is not None:
            minutes = _integer_arg(args, "delayMinutes", *DELAY_RANGE)
            return now + timedelta(minutes=minutes)
        if finish is None:
            return None
        finish_at = _timestamp_arg(finish, "finishAt")
        duration = timedelta(minutes=DISHWASHER_PROGRAM_MINUTES[program])
        earliest = now + duration
        latest = now + MAX_SCHEDULE_AHEAD
        if not earliest <= finish_at <= latest:
            raise ApiError(
                400,
                "finish_time_unreachable",
                f"args.finishAt must be between {isoformat(earliest)} (now plus the "
                f"{program} program's {DISHWASHER_PROGRAM_MINUTES[program]} minutes) and "
                f"{isoformat(latest)}, not {isoformat(finish_at)}",
            )
        return finish_at - duration

    def _start(
        self,
        state: DishwasherState,
        program: DishwasherProgram,
        starts_at: datetime | None,
    ) -> DishwasherState:
        """Return the state a start leads to: running now, or idle with the start scheduled."""
        if state.starts_at is not None:
            raise conflict(
                f"a start is already scheduled for {isoformat(state.starts_at)}; cancel it first"
            )
        if state.status in (DishwasherStatus.RUNNING, DishwasherStatus.PAUSED):
            raise conflict(f"a program is already {state.status}; cancel it first")
        if starts_at is not None:
            # Loading continues until the start time, so the door may still be open now.
            return replace(_idle(state), selected_program=program, starts_at=starts_at)
        if state.door_open:
            raise conflict("close the door before starting a program")
        return self._started(state, program)

    def _started(
        self, state: DishwasherState, program: DishwasherProgram
    ) -> DishwasherState:
        """Return the state of a program that starts now."""
        return replace(
            state,
            status=DishwasherStatus.RUNNING,
            program=program,
            remaining_minutes=DISHWASHER_PROGRAM_MINUTES[program],
            progress=0,
            selected_program=program,
            starts_at=None,
            program_energy_wh=0.0,
            program_water_liters=0.0,
        )

    # --- reporting ----------------------------------------------------------------------------------

    def _apply(self, device: Device, part: Compartment, new: ApplianceState) -> None:
        """Store a state and report it, but only if it changed and the appliance is online."""
        if new == part.state:
            return
        part.state = new
        if device.online:
            part.reported = new
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

    def _report_status(self, device: Device) -> None:
        """Report an online appliance's status if it changed since clients last heard it."""
        if not device.online:
            return
        status = device.status()
        if status != device.reported_status:
            device.reported_status = status
            self._on_event(StatusChanged(device))

    def _alert(
        self, device: Device, part: Compartment, alert_type: AlertType, message: str
    ) -> None:
        """Report an alert about one compartment (or a dishwasher), or hold it while offline."""
        alert = AlertRaised(device, part.name, alert_type, message, self._clock())
        if device.online:
            self._on_event(alert)
        else:
            self._held_alerts.setdefault(device.id, []).append(alert)


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


def _timestamp_arg(value: object, key: str) -> datetime:
    """Read an ISO 8601 timestamp argument that says its time zone."""
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            if moment.tzinfo is not None:
                return moment
    raise invalid_command(
        f"args.{key} must be an ISO 8601 timestamp with a time zone, "
        'e.g. "2026-11-27T18:30:00Z"'
    )


def _enum_arg[E: (OvenMode, DishwasherProgram)](
    args: Mapping[str, Any], key: str, choices: type[E]
) -> E:
    """Read an argument that must be one of an enum's values."""
    value = args.get(key)
    if isinstance(value, str) and value in {choice.value for choice in choices}:
        return choices(value)
    raise invalid_command(f"args.{key} must be one of {', '.join(choices)}")
