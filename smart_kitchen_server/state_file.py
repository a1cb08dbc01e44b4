"""The state file: lifetime energy and water counters kept across restarts.

The file is JSON, written whole and atomically (a temporary file renamed over it):

    {"version": 1, "savedAt": "2026-11-27T08:00:00.000Z",
     "counters": {"oven-1": {"energyWh": 48250.0},
                  "dishwasher-1": {"energyWh": 95205.0, "waterLiters": 1064.05}}}

At start a counter continues from the larger of its configured value and its saved one, so it never goes
backwards. Entries of appliances the server does not have (any more) are kept as they are.
"""

from collections.abc import Mapping
from datetime import timedelta
import logging
import math
import os
from pathlib import Path
from typing import Any, Final

import orjson

from .auth import Clock
from .errors import ConfigError
from .models import isoformat
from .simulation import Simulation

_LOGGER = logging.getLogger(__name__)

STATE_FILE_VERSION: Final = 1
# How often (on the server's clock, checked on every tick) the counters are written besides at stop.
SAVE_INTERVAL: Final = timedelta(minutes=1)


class CounterStore:
    """Loads a simulation's lifetime counters from a state file and saves them back."""

    def __init__(self, path: Path, simulation: Simulation, clock: Clock) -> None:
        """Read the file (a missing one is a first start) and continue the counters from it."""
        self._path = path
        self._simulation = simulation
        self._clock = clock
        self._counters = _load(path)
        for device_id, entry in self._counters.items():
            simulation.restore_counters(
                device_id, entry["energyWh"], entry.get("waterLiters")
            )
        self._saved_at = clock()

    def save_if_due(self) -> None:
        """Save when the last save is at least SAVE_INTERVAL old."""
        if self._clock() - self._saved_at >= SAVE_INTERVAL:
            self.save()

    def save(self) -> None:
        """Write every appliance's counters; a failure is logged and retried at the next interval."""
        now = self._clock()
        self._saved_at = now
        for device in self._simulation.devices.values():
            entry: dict[str, float] = {"energyWh": device.energy_wh}
            if device.water_liters is not None:
                entry["waterLiters"] = device.water_liters
            self._counters[device.id] = entry
        data = orjson.dumps(
            {
                "version": STATE_FILE_VERSION,
                "savedAt": isoformat(now),
                "counters": self._counters,
            },
            option=orjson.OPT_INDENT_2,
        )
        temporary = self._path.with_name(f".{self._path.name}.tmp")
        try:
            with temporary.open("wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            temporary.replace(self._path)
        except OSError as err:
            _LOGGER.warning(
                "Cannot save the counters to %s: %s", self._path, err.strerror or err
            )


def _load(path: Path) -> dict[str, dict[str, float]]:
    """Read and check a state file; a missing file holds no counters yet."""
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        _LOGGER.info("No state file at %s yet; counters start from the config", path)
        return {}
    except OSError as err:
        raise ConfigError(
            f"cannot read state file {path}: {err.strerror or err}"
        ) from err
    # A damaged file is an error rather than a fresh start: saving over it would reset the counters.
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as err:
        raise ConfigError(f"state file {path} is not valid JSON: {err}") from err
    if not isinstance(data, dict) or data.get("version") != STATE_FILE_VERSION:
        raise ConfigError(
            f"state file {path} is not a version {STATE_FILE_VERSION} state file"
        )
    counters = data.get("counters")
    if not isinstance(counters, dict):
        raise ConfigError(f"state file {path}: counters must be an object")
    return {
        str(device_id): _entry(entry, f"state file {path}: counters.{device_id}")
        for device_id, entry in counters.items()
    }


def _entry(entry: object, where: str) -> dict[str, float]:
    """Check one appliance's saved counters."""
    if not isinstance(entry, Mapping):
        raise ConfigError(f"{where} must be an object")
    checked = {"energyWh": _counter(entry.get("energyWh"), f"{where}.energyWh")}
    if "waterLiters" in entry:
        checked["waterLiters"] = _counter(entry["waterLiters"], f"{where}.waterLiters")
    return checked


def _counter(value: Any, where: str) -> float:
    """Check a counter value: a finite number of at least 0."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value < 0
    ):
        raise ConfigError(f"{where} must be a number of at least 0")
    return float(value)
