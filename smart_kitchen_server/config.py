"""Server configuration: the embedded demo and the YAML/JSON config file.

A config file (YAML, or JSON when the name ends in `.json`) looks like this; every key except `server_id`,
`users` and `devices` is optional:

    server_id: my-kitchen          # stable id clients use to recognise this server
    name: My Kitchen
    tick: 2.0                      # seconds per simulation tick
    door_alert_ticks: 15           # ticks a fridge door may stay open before `door_open`
    token_lifetime: 86400          # seconds a login token lives
    state_file: kitchen-state.json # keeps energy/water counters across restarts (relative to this file)
    users:
      - username: demo
        password_hash: "scrypt$32768$8$1$..."   # from `python -m smart_kitchen_server hash-password`
        user_id: user-demo                      # default: "user-" + username
    devices:
      - id: oven-1
        type: oven                 # oven | fridge | dishwasher
        name: Double Oven
        owner: demo                # a username above
        model: SK-DO900            # default per type
        firmware: 3.2.1            # default per type
        compartments: [upper, lower]   # ovens only; default [main]
        energy_wh: 48210.0         # lifetime counter to start from; default 0
      - id: dishwasher-1
        type: dishwasher
        name: Dishwasher
        owner: demo
        water_liters: 1064.0       # dishwashers only; default 0
"""

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
import math
from pathlib import Path
import re
from typing import Any, Self

import orjson
import yaml

from .auth import check_hash
from .const import DEFAULT_DOOR_ALERT_TICKS, DEFAULT_TICK, DEFAULT_TOKEN_LIFETIME
from .errors import ConfigError
from .models import DeviceType

DEVICE_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
COMPARTMENT_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
MAX_OVEN_COMPARTMENTS = 4

FRIDGE_COMPARTMENTS = ("fridge", "freezer")
DEFAULT_OVEN_COMPARTMENTS = ("main",)

# Model and firmware of appliances that do not name their own.
DEFAULT_MODELS = {
    DeviceType.OVEN: ("SK-OV600", "3.2.1"),
    DeviceType.FRIDGE: ("SK-FF540", "1.8.0"),
    DeviceType.DISHWASHER: ("SK-DW60", "5.0.2"),
}

# The demo's passwords are public ("demo", "alice"), so their hashes use a cheap scrypt cost that keeps
# logins in tests fast; hashes made by `hash-password` use the full cost.
_DEMO_HASHES = {
    "demo": "scrypt$1024$8$1$ASUI4PsmtDPQLz+1UvoUEg==$L46S8U68WQgFawDFPB/73XlebNE5pJxomLQNslszUBQ=",
    "alice": "scrypt$1024$8$1$qCy2IUWl8kIA6K+BIHirmQ==$n2Y/aSJdw6jE0oNN92boxjxVhIYwwSolRjOV8C49wyM=",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class UserConfig:
    """A user who can log in."""

    username: str
    password_hash: str = field(repr=False)
    user_id: str = ""

    def __post_init__(self) -> None:
        """Default the user id and check the hash."""
        if not self.username:
            raise ConfigError("username must not be empty")
        if not self.user_id:
            object.__setattr__(self, "user_id", f"user-{self.username}")
        try:
            check_hash(self.password_hash)
        except ValueError as err:
            raise ConfigError(f"user {self.username}: {err}") from err


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceConfig:
    """An appliance the server starts with."""

    id: str
    type: DeviceType
    name: str
    owner: str
    model: str = ""
    firmware: str = ""
    compartments: tuple[str, ...] = ()
    # Lifetime counters to start from when no state file has newer ones; water only for dishwashers.
    energy_wh: float = 0.0
    water_liters: float = 0.0

    def __post_init__(self) -> None:
        """Fill per-type defaults and check the compartments and counters."""
        if not DEVICE_ID_PATTERN.match(self.id):
            raise ConfigError(
                f"device id {self.id!r} must match {DEVICE_ID_PATTERN.pattern}"
            )
        if not self.name:
            raise ConfigError(f"device {self.id}: name must not be empty")
        model, firmware = DEFAULT_MODELS[self.type]
        object.__setattr__(self, "model", self.model or model)
        object.__setattr__(self, "firmware", self.firmware or firmware)
        object.__setattr__(self, "compartments", self._compartments())
        for key in ("energy_wh", "water_liters"):
            value = getattr(self, key)
            if not (math.isfinite(value) and value >= 0):
                raise ConfigError(
                    f"device {self.id}: {key} must be a number of at least 0"
                )
        if self.water_liters and self.type is not DeviceType.DISHWASHER:
            raise ConfigError(
                f"device {self.id}: only dishwashers have a water_liters counter"
            )

    def _compartments(self) -> tuple[str, ...]:
        """Return the compartments this device type has."""
        if self.type is DeviceType.FRIDGE:
            if self.compartments not in ((), FRIDGE_COMPARTMENTS):
                raise ConfigError(
                    f"device {self.id}: fridges always have fridge and freezer"
                )
            return FRIDGE_COMPARTMENTS
        if self.type is DeviceType.DISHWASHER:
            if self.compartments:
                raise ConfigError(f"device {self.id}: dishwashers have no compartments")
            return ()
        names = self.compartments or DEFAULT_OVEN_COMPARTMENTS
        if len(names) > MAX_OVEN_COMPARTMENTS or len(set(names)) != len(names):
            raise ConfigError(
                f"device {self.id}: an oven has 1-{MAX_OVEN_COMPARTMENTS} distinct compartments"
            )
        for name in names:
            if not COMPARTMENT_PATTERN.match(name):
                raise ConfigError(
                    f"device {self.id}: compartment {name!r} must match {COMPARTMENT_PATTERN.pattern}"
                )
        return names


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerConfig:
    """Everything a server starts from: identity, users, appliances and simulation speed."""

    server_id: str
    name: str = "Smart Kitchen"
    users: tuple[UserConfig, ...] = ()
    devices: tuple[DeviceConfig, ...] = ()
    # Seconds per simulation tick; None means the simulation only moves when `server.tick()` is called.
    tick: float | None = DEFAULT_TICK
    door_alert_ticks: int = DEFAULT_DOOR_ALERT_TICKS
    token_lifetime: float = DEFAULT_TOKEN_LIFETIME
    # JSON file that keeps the lifetime energy/water counters across restarts; None: start from the
    # configured counters on every boot.
    state_file: Path | None = None

    def __post_init__(self) -> None:
        """Check the settings and that every reference resolves."""
        if not self.server_id:
            raise ConfigError("server_id must not be empty")
        if self.tick is not None and not self.tick > 0:
            raise ConfigError("tick must be a positive number of seconds")
        if self.door_alert_ticks < 1:
            raise ConfigError("door_alert_ticks must be at least 1")
        if not self.token_lifetime > 0:
            raise ConfigError("token_lifetime must be a positive number of seconds")
        if self.state_file is not None and not self.state_file.name:
            raise ConfigError("state_file must name a file")
        usernames = [user.username for user in self.users]
        if len(set(usernames)) != len(usernames):
            raise ConfigError("usernames must be unique")
        if len({user.user_id for user in self.users}) != len(self.users):
            raise ConfigError("user ids must be unique")
        if len({device.id for device in self.devices}) != len(self.devices):
            raise ConfigError("device ids must be unique")
        for device in self.devices:
            if device.owner not in usernames:
                raise ConfigError(
                    f"device {device.id}: owner {device.owner!r} is not a user"
                )

    @classmethod
    def demo(cls, *, tick: float | None = DEFAULT_TICK) -> Self:
        """Return the embedded demo: users demo/demo and alice/alice and their appliances."""
        return cls(
            server_id="smart-kitchen-demo",
            name="Demo Kitchen",
            tick=tick,
            users=(
                UserConfig(username="demo", password_hash=_DEMO_HASHES["demo"]),
                UserConfig(username="alice", password_hash=_DEMO_HASHES["alice"]),
            ),
            devices=(
                DeviceConfig(
                    id="oven-1",
                    type=DeviceType.OVEN,
                    name="Double Oven",
                    owner="demo",
                    model="SK-DO900",
                    firmware="3.2.1",
                    compartments=("upper", "lower"),
                    energy_wh=48210.0,
                ),
                DeviceConfig(
                    id="fridge-1",
                    type=DeviceType.FRIDGE,
                    name="Fridge Freezer",
                    owner="demo",
                    model="SK-FF540",
                    firmware="1.8.0",
                    energy_wh=312400.0,
                ),
                DeviceConfig(
                    id="dishwasher-1",
                    type=DeviceType.DISHWASHER,
                    name="Dishwasher",
                    owner="demo",
                    model="SK-DW60",
                    firmware="5.0.2",
                    energy_wh=95200.0,
                    water_liters=1064.0,
                ),
                DeviceConfig(
                    id="fridge-2",
                    type=DeviceType.FRIDGE,
                    name="Garage Fridge",
                    owner="alice",
                    model="SK-FF300",
                    firmware="1.6.4",
                    energy_wh=180500.0,
                ),
            ),
        )

    @classmethod
    def from_file(cls, path: str | Path) -> Self:
        """Load a YAML or JSON config file (JSON when the name ends in `.json`).

        A relative `state_file` is taken relative to the config file's directory.
        """
        path = Path(path)
        try:
            text = path.read_bytes()
        except OSError as err:
            raise ConfigError(f"cannot read {path}: {err.strerror}") from err
        try:
            data = (
                orjson.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
            )
        except (orjson.JSONDecodeError, yaml.YAMLError) as err:
            raise ConfigError(
                f"{path} is not valid {path.suffix.lstrip('.') or 'YAML'}: {err}"
            ) from err
        config = cls.from_dict(data)
        if config.state_file is not None and not config.state_file.is_absolute():
            config = replace(config, state_file=path.parent / config.state_file)
        return config

    @classmethod
    def from_dict(cls, data: object) -> Self:
        """Build a config from the parsed contents of a config file."""
        top = _mapping(data, "config")
        _no_unknown_keys(
            top,
            {
                "server_id",
                "name",
                "tick",
                "door_alert_ticks",
                "token_lifetime",
                "state_file",
                "users",
                "devices",
            },
            "config",
        )
        options: dict[str, Any] = {
            "server_id": _string(top.get("server_id"), "server_id")
        }
        if "name" in top:
            options["name"] = _string(top["name"], "name")
        for key in ("tick", "token_lifetime"):
            if key in top:
                options[key] = _number(top[key], key)
        if "state_file" in top:
            options["state_file"] = Path(_string(top["state_file"], "state_file"))
        if "door_alert_ticks" in top:
            options["door_alert_ticks"] = _integer(
                top["door_alert_ticks"], "door_alert_ticks"
            )
        options["users"] = tuple(
            _user(item, f"users[{index}]")
            for index, item in enumerate(_list(top.get("users"), "users"))
        )
        options["devices"] = tuple(
            _device(item, f"devices[{index}]")
            for index, item in enumerate(_list(top.get("devices"), "devices"))
        )
        return cls(**options)


def _user(data: object, where: str) -> UserConfig:
    """Parse one entry of `users`."""
    item = _mapping(data, where)
    _no_unknown_keys(item, {"username", "password_hash", "user_id"}, where)
    return UserConfig(
        username=_string(item.get("username"), f"{where}.username"),
        password_hash=_string(item.get("password_hash"), f"{where}.password_hash"),
        user_id=_string(item.get("user_id", ""), f"{where}.user_id"),
    )


def _device(data: object, where: str) -> DeviceConfig:
    """Parse one entry of `devices`."""
    item = _mapping(data, where)
    _no_unknown_keys(
        item,
        {
            "id",
            "type",
            "name",
            "owner",
            "model",
            "firmware",
            "compartments",
            "energy_wh",
            "water_liters",
        },
        where,
    )
    type_name = _string(item.get("type"), f"{where}.type")
    try:
        device_type = DeviceType(type_name)
    except ValueError:
        raise ConfigError(
            f"{where}.type: must be one of {', '.join(DeviceType)}, not {type_name!r}"
        ) from None
    compartments = tuple(
        _string(name, f"{where}.compartments[{index}]")
        for index, name in enumerate(
            _list(item.get("compartments", []), f"{where}.compartments")
        )
    )
    return DeviceConfig(
        id=_string(item.get("id"), f"{where}.id"),
        type=device_type,
        name=_string(item.get("name"), f"{where}.name"),
        owner=_string(item.get("owner"), f"{where}.owner"),
        model=_string(item.get("model", ""), f"{where}.model"),
        firmware=_string(item.get("firmware", ""), f"{where}.firmware"),
        compartments=compartments,
        energy_wh=_number(item.get("energy_wh", 0.0), f"{where}.energy_wh"),
        water_liters=_number(item.get("water_liters", 0.0), f"{where}.water_liters"),
    )


def _mapping(value: object, where: str) -> Mapping[str, Any]:
    """Return the value if it is a mapping."""
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}: must be a mapping")
    return value


def _list(value: object, where: str) -> list[Any]:
    """Return the value if it is a list."""
    if not isinstance(value, list):
        raise ConfigError(f"{where}: must be a list")
    return value


def _string(value: object, where: str) -> str:
    """Return the value if it is a string (YAML may read bare numbers, e.g. firmware 2.1)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise ConfigError(f"{where}: must be a string")
    return value


def _number(value: object, where: str) -> float:
    """Return the value if it is a number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{where}: must be a number")
    return float(value)


def _integer(value: object, where: str) -> int:
    """Return the value if it is an integer."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{where}: must be an integer")
    return value


def _no_unknown_keys(item: Mapping[str, Any], known: set[str], where: str) -> None:
    """Reject keys the format does not define, so a typo does not silently do nothing."""
    if unknown := sorted(set(item) - known):
        raise ConfigError(f"{where}: unknown key(s) {', '.join(map(str, unknown))}")
