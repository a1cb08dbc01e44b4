"""What the entities of one compartment (or of a whole dishwasher) read."""

from dataclasses import dataclass
from datetime import datetime
from typing import Self

from .api import ApplianceState, DishwasherProgram, DishwasherState

# Compartments are keyed by (appliance id, compartment); the compartment is None for appliances
# without compartments (dishwashers).
type CompartmentKey = tuple[str, str | None]


@dataclass(slots=True, kw_only=True)
class Compartment[S: ApplianceState = ApplianceState]:
    """What the entities of one compartment (or of a whole dishwasher) read."""

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
