"""Config files (YAML and JSON), their validation, and the embedded demo."""

from pathlib import Path
from typing import Any

import orjson
import pytest

from smart_kitchen_server import ConfigError, ServerConfig, SmartKitchenServer
from smart_kitchen_server.config import DeviceConfig, UserConfig
from smart_kitchen_server.models import DeviceType

# Hash of "secret" with a cheap cost, so these tests stay fast.
HASH = "scrypt$1024$8$1$ASUI4PsmtDPQLz+1UvoUEg==$L46S8U68WQgFawDFPB/73XlebNE5pJxomLQNslszUBQ="

YAML = f"""
server_id: my-kitchen
name: My Kitchen
tick: 0.5
door_alert_ticks: 4
token_lifetime: 600
users:
  - username: bob
    password_hash: "{HASH}"
  - username: carol
    password_hash: "{HASH}"
    user_id: carol-42
devices:
  - id: oven-9
    type: oven
    name: Range
    owner: bob
    firmware: 2.1
    compartments: [left, right, top]
  - id: cool-box
    type: fridge
    name: Cellar
    owner: carol
    model: X1
  - id: washer
    type: dishwasher
    name: Washer
    owner: bob
"""


def minimal(**overrides: Any) -> dict[str, Any]:
    """Return the smallest valid config, with overrides."""
    data: dict[str, Any] = {
        "server_id": "k",
        "users": [{"username": "bob", "password_hash": HASH}],
        "devices": [{"id": "oven-1", "type": "oven", "name": "Oven", "owner": "bob"}],
    }
    data.update(overrides)
    return data


def test_yaml_file(tmp_path: Path) -> None:
    """A YAML file sets everything, with per-type defaults filled in."""
    path = tmp_path / "kitchen.yaml"
    path.write_text(YAML)

    config = ServerConfig.from_file(path)

    assert (
        config.server_id,
        config.name,
        config.tick,
        config.door_alert_ticks,
        config.token_lifetime,
    ) == (
        "my-kitchen",
        "My Kitchen",
        0.5,
        4,
        600.0,
    )
    assert [(u.username, u.user_id) for u in config.users] == [
        ("bob", "user-bob"),
        ("carol", "carol-42"),
    ]
    oven, fridge, washer = config.devices
    assert (oven.model, oven.firmware, oven.compartments) == (
        "SK-OV600",
        "2.1",
        ("left", "right", "top"),
    )
    assert (fridge.model, fridge.firmware, fridge.compartments) == (
        "X1",
        "1.8.0",
        ("fridge", "freezer"),
    )
    assert (washer.type, washer.compartments) == (DeviceType.DISHWASHER, ())
    assert HASH not in repr(config)


def test_json_file(tmp_path: Path) -> None:
    """A `.json` file is read as JSON; optional keys get their defaults."""
    path = tmp_path / "kitchen.json"
    path.write_bytes(orjson.dumps(minimal()))

    config = ServerConfig.from_file(str(path))

    assert (
        config.name,
        config.tick,
        config.door_alert_ticks,
        config.token_lifetime,
    ) == (
        "Smart Kitchen",
        2.0,
        15,
        86400.0,
    )
    assert config.devices[0].compartments == ("main",)


async def test_served_config(tmp_path: Path) -> None:
    """A server built from a file serves its users and devices."""
    path = tmp_path / "kitchen.yaml"
    path.write_text(YAML)
    server = SmartKitchenServer(ServerConfig.from_file(path))

    devices = server.simulation.devices
    assert list(devices) == ["oven-9", "cool-box", "washer"]
    assert devices["cool-box"].owner == "carol-42"
    assert list(devices["oven-9"].compartments) == ["left", "right", "top"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.yaml", None, "cannot read"),
        ("bad.yaml", "users: [", "is not valid yaml"),
        ("bad.json", "{", "is not valid json"),
        ("bad", "a: [", "is not valid YAML"),
        ("list.yaml", "- 1", "config: must be a mapping"),
    ],
)
def test_unreadable_files(
    tmp_path: Path, name: str, content: str | None, message: str
) -> None:
    """Files that cannot be read or parsed raise ConfigError naming the problem."""
    path = tmp_path / name
    if content is not None:
        path.write_text(content)

    with pytest.raises(ConfigError, match=message):
        ServerConfig.from_file(path)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"server_id": None}, "server_id: must be a string"),
        ({"server_id": ""}, "server_id must not be empty"),
        ({"extra": 1}, r"config: unknown key\(s\) extra"),
        ({"name": ["x"]}, "name: must be a string"),
        ({"tick": "fast"}, "tick: must be a number"),
        ({"tick": True}, "tick: must be a number"),
        ({"tick": 0}, "tick must be a positive number"),
        ({"token_lifetime": -1}, "token_lifetime must be a positive number"),
        ({"door_alert_ticks": 1.5}, "door_alert_ticks: must be an integer"),
        ({"door_alert_ticks": 0}, "door_alert_ticks must be at least 1"),
        ({"users": {}}, "users: must be a list"),
        ({"users": ["bob"]}, r"users\[0\]: must be a mapping"),
        (
            {"users": [{"username": "bob", "password_hash": "plain"}]},
            "user bob: password hash must look like",
        ),
        (
            {"users": [{"username": "", "password_hash": HASH}]},
            "username must not be empty",
        ),
        (
            {"users": [{"username": "bob", "password_hash": HASH, "password": "x"}]},
            r"users\[0\]: unknown key\(s\) password",
        ),
        (
            {
                "users": [
                    {"username": "bob", "password_hash": HASH},
                    {"username": "bob", "password_hash": HASH},
                ]
            },
            "usernames must be unique",
        ),
        (
            {
                "users": [
                    {"username": "a", "password_hash": HASH, "user_id": "x"},
                    {"username": "bob", "password_hash": HASH, "user_id": "x"},
                ]
            },
            "user ids must be unique",
        ),
        ({"devices": None}, "devices: must be a list"),
        (
            {"devices": [{"id": "x", "type": "toaster", "name": "T", "owner": "bob"}]},
            r"devices\[0\].type: must be one of oven, fridge, dishwasher",
        ),
        (
            {"devices": [{"id": "x", "type": "oven", "name": "T", "owner": "eve"}]},
            "owner 'eve' is not a user",
        ),
        (
            {"devices": [{"id": "a b", "type": "oven", "name": "T", "owner": "bob"}]},
            "device id 'a b' must match",
        ),
        (
            {"devices": [{"id": "x", "type": "oven", "name": "", "owner": "bob"}]},
            "name must not be empty",
        ),
        (
            {
                "devices": [
                    {
                        "id": "x",
                        "type": "oven",
                        "name": "T",
                        "owner": "bob",
                        "colour": "red",
                    }
                ]
            },
            r"unknown key\(s\) colour",
        ),
        (
            {
                "devices": [
                    {
                        "id": "x",
                        "type": "oven",
                        "name": "T",
                        "owner": "bob",
                        "compartments": "top",
                    }
                ]
            },
            r"devices\[0\].compartments: must be a list",
        ),
        (
            {
                "devices": [
                    {
                        "id": "x",
                        "type": "oven",
                        "name": "T",
                        "owner": "bob",
                        "compartments": [None],
                    }
                ]
            },
            r"devices\[0\].compartments\[0\]: must be a string",
        ),
        (
            {
                "devices": [
                    {
                        "id": "x",
                        "type": "oven",
                        "name": "T",
                        "owner": "bob",
                        "compartments": ["a", "a"],
                    }
                ]
            },
            "1-4 distinct compartments",
        ),
        (
            {
                "devices": [
                    {
                        "id": "x",
                        "type": "oven",
                        "name": "T",
                        "owner": "bob",
                        "compartments": ["a", "b", "c", "d", "e"],
                    }
                ]
            },
            "1-4 distinct compartments",
        ),
        (
            {
                "devices": [
                    {
                        "id": "x",
                        "type": "oven",
                        "name": "T",
                        "owner": "bob",
                        "compartments": ["Top"],
                    }
                ]
            },
            "compartment 'Top' must match",
        ),
        (
            {
                "devices": [
                    {
                        "id": "x",
                        "type": "fridge",
                        "name": "T",
                        "owner": "bob",
                        "compartments": ["cold"],
                    }
                ]
            },
            "fridges always have fridge and freezer",
        ),
        (
            {
                "devices": [
                    {
                        "id": "x",
                        "type": "dishwasher",
                        "name": "T",
                        "owner": "bob",
                        "compartments": ["a"],
                    }
                ]
            },
            "dishwashers have no compartments",
        ),
        (
            {
                "devices": [
                    {"id": "x", "type": "oven", "name": "T", "owner": "bob"},
                    {"id": "x", "type": "oven", "name": "T", "owner": "bob"},
                ]
            },
            "device ids must be unique",
        ),
    ],
)
def test_invalid_config(overrides: dict[str, Any], message: str) -> None:
    """Every mistake is reported with where it is."""
    with pytest.raises(ConfigError, match=message):
        ServerConfig.from_dict(minimal(**overrides))


def test_fridge_may_list_its_compartments() -> None:
    """Listing a fridge's two compartments explicitly is allowed."""
    device = DeviceConfig(
        id="f",
        type=DeviceType.FRIDGE,
        name="F",
        owner="bob",
        compartments=("fridge", "freezer"),
    )

    assert device.compartments == ("fridge", "freezer")


@pytest.mark.parametrize(
    "bad_hash",
    [
        "scrypt$1024$8$1$salt",
        "bcrypt$1024$8$1$YQ==$YQ==",
        "scrypt$x$8$1$YQ==$YQ==",
        "scrypt$1024$8$1$not base64!$YQ==",
        "scrypt$1000$8$1$YQ==$YQ==",
        "scrypt$1024$0$1$YQ==$YQ==",
        "scrypt$1024$8$99$YQ==$YQ==",
        "scrypt$2097152$8$1$YQ==$YQ==",
        "scrypt$1024$8$1$$YQ==",
    ],
)
def test_invalid_password_hashes(bad_hash: str) -> None:
    """Malformed hashes and unusable scrypt parameters are refused when the config loads."""
    with pytest.raises(ConfigError):
        UserConfig(username="bob", password_hash=bad_hash)


def test_demo() -> None:
    """The embedded demo: two users, the demo user's three appliances and alice's fridge."""
    config = ServerConfig.demo()

    assert (config.server_id, config.name, config.tick) == (
        "smart-kitchen-demo",
        "Demo Kitchen",
        2.0,
    )
    assert [(u.username, u.user_id) for u in config.users] == [
        ("demo", "user-demo"),
        ("alice", "user-alice"),
    ]
    assert [
        (d.id, d.type, d.name, d.owner, d.compartments) for d in config.devices
    ] == [
        ("oven-1", DeviceType.OVEN, "Double Oven", "demo", ("upper", "lower")),
        (
            "fridge-1",
            DeviceType.FRIDGE,
            "Fridge Freezer",
            "demo",
            ("fridge", "freezer"),
        ),
        ("dishwasher-1", DeviceType.DISHWASHER, "Dishwasher", "demo", ()),
        (
            "fridge-2",
            DeviceType.FRIDGE,
            "Garage Fridge",
            "alice",
            ("fridge", "freezer"),
        ),
    ]
    assert all(d.model and d.firmware for d in config.devices)
    assert ServerConfig.demo(tick=None).tick is None
