"""What the entities of one compartment (or of a whole dishwasher) read, and the rules of its state."""

from dataclasses import dataclass
from datetime import datetime
from typing import Self, cast

from .api import (
    Alert,
    AlertType,
    ApplianceState,
    DeviceUpdate,
    DishwasherProgram,
    DishwasherState,
)

# Compartments are keyed by (appliance id, compartment); the compartment is None for appliances
# without compartments (dishwashers).
type CompartmentKey = tuple[str, str | None]


@dataclass(slots=True, kw_only=True)
class Compartment[S: ApplianceState = ApplianceState]:
    """The latest state of one compartment, and what Home Assistant derives from it."""

    state: S
    # When the state was true: the server's timestamp of the update, or the setup time.
    updated_at: datetime
    # On from a door_open alert until that door closes.
    door_alarm: bool = False
    # Dishwashers only: the program the start button runs, chosen with the program select.
    next_program: DishwasherProgram | None = None

    @classmethod
    def first_seen(cls, state: S, updated_at: datetime) -> Self:
        """Return a compartment as it is when its appliance is first listed."""
        compartment = cls(state=state, updated_at=updated_at)
        if isinstance(state, DishwasherState):
            # The program it ran last is the likeliest next one.
            compartment.next_program = state.program or DishwasherProgram.ECO
        return compartment

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
