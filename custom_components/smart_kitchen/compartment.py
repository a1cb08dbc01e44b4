"""What the entities of one compartment (or of a whole dishwasher) read, and the rules of its state."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Self, cast

from .api import (
    Alert,
    AlertType,
    ApplianceState,
    DeviceUpdate,
    DishwasherProgram,
    DishwasherState,
    DishwasherStatus,
)

# Compartments are keyed by (appliance id, compartment); the compartment is None for appliances
# without compartments (dishwashers).
type CompartmentKey = tuple[str, str | None]

# Remaining time comes in whole minutes at uneven moments, so the end computed from each update
# wanders by up to a minute; only a larger move (a pause, a slower program) is a new finish time.
FINISH_TIME_TOLERANCE: Final = timedelta(minutes=1)


@dataclass(slots=True, kw_only=True)
class Compartment[S: ApplianceState = ApplianceState]:
    """The latest state of one compartment, and what Home Assistant derives from it."""

    state: S
    # When the state was true: the server's timestamp of the update, or the setup time.
    updated_at: datetime
    # On from a door_open alert until that door closes.
    door_alarm: bool = False
    # Dishwashers of servers that predate `selectedProgram` only: the program the start button runs,
    # chosen with the program select and kept in Home Assistant.
    next_program: DishwasherProgram | None = None
    # Dishwashers only: when the running program ends; None unless it runs.
    finish_time: datetime | None = None

    @classmethod
    def first_seen(cls, state: S, updated_at: datetime) -> Self:
        """Return a compartment as it is when its appliance is first listed."""
        compartment = cls(state=state, updated_at=updated_at)
        if isinstance(state, DishwasherState):
            # The program it ran last is the likeliest next one.
            compartment.next_program = state.program or DishwasherProgram.ECO
        compartment.follow_finish_time()
        return compartment

    @property
    def selected_program(self) -> DishwasherProgram | None:
        """Return the program the next start runs: the appliance's own selection, if it keeps one."""
        if isinstance(self.state, DishwasherState) and self.state.selected_program:
            return self.state.selected_program
        return self.next_program

    @property
    def program_active(self) -> bool:
        """Return whether a dishwasher is in the middle of a program (running or paused)."""
        return isinstance(self.state, DishwasherState) and self.state.program_active

    def apply_update(self, update: DeviceUpdate) -> None:
        """Take the compartment's new state; a closed door ends its alarm."""
        # Updates are routed by key, so the state is of this compartment's kind.
        self.state = cast("S", update.state)
        self.updated_at = update.ts
        if not update.state.door_open:
            self.door_alarm = False
        self.follow_finish_time()

    def follow_finish_time(self) -> None:
        """Keep the finish time of a running program, unless its end moved by more than a minute."""
        state = self.state
        if (
            not isinstance(state, DishwasherState)
            or state.status is not DishwasherStatus.RUNNING
        ):
            self.finish_time = None
            return
        end = self.updated_at + timedelta(minutes=state.remaining_minutes)
        if (
            self.finish_time is None
            or abs(end - self.finish_time) > FINISH_TIME_TOLERANCE
        ):
            self.finish_time = end

    def apply_alert(self, alert: Alert) -> bool:
        """Raise the door alarm for a door_open alert; return whether the alarm changed.

        A replayed alert about a door that has closed since does not raise it.
        """
        if (
            alert.alert_type != AlertType.DOOR_OPEN
            or not self.state.door_open
            or self.door_alarm
        ):
            return False
        self.door_alarm = True
        return True
