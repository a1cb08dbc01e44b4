"""Actions of Smart Kitchen: start a dishwasher program later, or so that it finishes on time."""

from dataclasses import dataclass
from datetime import datetime, timedelta
import math
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.core import HomeAssistant, ServiceCall, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util
import probatio

from .api import (
    MAX_SCHEDULE_AHEAD,
    PROGRAM_MINUTES,
    START_DELAY_MINUTES,
    DeviceType,
    DishwasherProgram,
)
from .const import DOMAIN
from .coordinator import SmartKitchenCoordinator
from .device_sync import async_lookup_appliance
from .helpers import smart_kitchen_command

SERVICE_START_PROGRAM = "start_program"
ATTR_PROGRAM = "program"
ATTR_START_IN = "start_in"
ATTR_FINISH_AT = "finish_at"

START_PROGRAM_SCHEMA = probatio.Schema(
    {
        probatio.Required(ATTR_DEVICE_ID): cv.string,
        probatio.Optional(ATTR_PROGRAM): probatio.All(
            cv.string, probatio.In([program.value for program in DishwasherProgram])
        ),
        probatio.Optional(ATTR_START_IN): cv.positive_time_period,
        probatio.Optional(ATTR_FINISH_AT): cv.datetime,
    }
)


@dataclass(slots=True)
class _Dishwasher:
    """The dishwasher an action is about, able to send it commands."""

    hass: HomeAssistant
    coordinator: SmartKitchenCoordinator
    device_id: str

    @property
    def display_name(self) -> str:
        """Return the dishwasher's name, as messages show it."""
        return self.coordinator.devices[self.device_id].name

    @smart_kitchen_command
    async def start(self, /, **args: Any) -> None:
        """Send `start`; the scheduled state arrives by push."""
        await self.coordinator.client.send_command(self.device_id, "start", **args)


def _invalid(key: str, **placeholders: str) -> ServiceValidationError:
    """Return the translated error of an action the user has to fix."""
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders or None,
    )


@callback
def _async_dishwasher(hass: HomeAssistant, device_id: str) -> _Dishwasher:
    """Return the dishwasher behind a device of a loaded entry, or raise what is wrong."""
    device_entry, entry, appliance = async_lookup_appliance(hass, device_id)
    if device_entry is None:
        raise _invalid("device_not_found", device_id=device_id)
    if entry is not None and entry.state is not ConfigEntryState.LOADED:
        raise _invalid("entry_not_loaded", title=entry.title)
    if appliance is None:
        raise _invalid("not_a_dishwasher", name=device_entry.name or device_id)
    if appliance.type is not DeviceType.DISHWASHER:
        raise _invalid("not_a_dishwasher", name=appliance.name)
    assert entry is not None  # an appliance comes with its entry
    return _Dishwasher(hass, entry.runtime_data, appliance.id)


def _delay_minutes(start_in: timedelta) -> int:
    """Return a delay in the whole minutes the dishwasher takes, or raise when it is out of range."""
    minutes = math.ceil(start_in.total_seconds() / 60)
    if minutes not in START_DELAY_MINUTES:
        raise _invalid(
            "start_in_out_of_range",
            minimum=str(START_DELAY_MINUTES.minimum),
            maximum=str(START_DELAY_MINUTES.maximum),
        )
    return minutes


def _finish_at(finish_at: datetime, program: DishwasherProgram) -> str:
    """Return the finish time as the protocol takes it, or raise when the program cannot make it."""
    if finish_at.tzinfo is None:
        # A time without a zone is meant in Home Assistant's time zone.
        finish_at = finish_at.replace(tzinfo=dt_util.get_default_time_zone())
    now = dt_util.utcnow()
    earliest = now + timedelta(minutes=PROGRAM_MINUTES[program])
    latest = now + MAX_SCHEDULE_AHEAD
    if not earliest <= finish_at <= latest:
        raise _invalid(
            "finish_time_unreachable",
            program=program.value,
            earliest=dt_util.as_local(earliest).strftime("%Y-%m-%d %H:%M"),
            latest=dt_util.as_local(latest).strftime("%Y-%m-%d %H:%M"),
        )
    return dt_util.as_utc(finish_at).isoformat(timespec="milliseconds")


async def _async_start_program(call: ServiceCall) -> None:
    """Schedule a dishwasher program: to start after a while, or to finish at a time."""
    start_in: timedelta | None = call.data.get(ATTR_START_IN)
    finish_at: datetime | None = call.data.get(ATTR_FINISH_AT)
    if (start_in is None) == (finish_at is None):
        raise _invalid("start_time_required")
    dishwasher = _async_dishwasher(call.hass, call.data[ATTR_DEVICE_ID])
    compartment = dishwasher.coordinator.compartments[dishwasher.device_id, None]
    # Without a program, the one the Program select shows, like the Start button.
    program = (
        DishwasherProgram(call.data[ATTR_PROGRAM])
        if ATTR_PROGRAM in call.data
        else compartment.selected_program
    )
    # Every dishwasher has a selected program from the moment it is first seen.
    assert program is not None
    args: dict[str, Any] = {"program": program}
    if start_in is not None:
        args["delayMinutes"] = _delay_minutes(start_in)
    else:
        assert finish_at is not None
        args["finishAt"] = _finish_at(finish_at, program)
    await dishwasher.start(**args)


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the actions of Smart Kitchen (once, for every entry)."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_START_PROGRAM,
        _async_start_program,
        schema=START_PROGRAM_SCHEMA,
    )
