"""Lifetime counters across restarts: the state file, its config and command line, and their errors."""

from collections.abc import Coroutine
from dataclasses import replace
import logging
from pathlib import Path
from typing import Any

import orjson
import pytest

from smart_kitchen_server import (
    ConfigError,
    ServerConfig,
    SmartKitchenServer,
    __main__ as cli,
)
from smart_kitchen_server.config import DeviceConfig
from smart_kitchen_server.models import DeviceType
from tests.helpers import FakeClock

from .test_config import HASH, minimal


def demo_with_state_file(path: Path) -> ServerConfig:
    """Return the demo (stepped by hand) keeping its counters in `path`."""
    return replace(ServerConfig.demo(tick=None), state_file=path)


def counters(server: SmartKitchenServer) -> dict[str, dict[str, Any]]:
    """Return every device's status object."""
    return {
        device_id: device.to_wire()["status"]
        for device_id, device in server.simulation.devices.items()
    }


def run_quick_program(server: SmartKitchenServer) -> None:
    """Start the dishwasher's quick program (600 Wh, 9 L when it has run its 30 ticks)."""
    dishwasher = server.simulation.devices["dishwasher-1"]
    server.simulation.command(dishwasher, "start", None, {"program": "quick"})


async def test_counters_continue_after_a_restart(
    tmp_path: Path, clock: FakeClock
) -> None:
    """Stop saves the counters; the next boot with the same state file continues from them."""
    path = tmp_path / "state.json"
    first = SmartKitchenServer(demo_with_state_file(path), clock=clock)
    await first.start()
    run_quick_program(first)
    await first.tick(30)
    await first.stop()

    second = SmartKitchenServer(demo_with_state_file(path), clock=clock)

    assert counters(second) == {
        "oven-1": {"online": True, "energyWh": 48210.0, "waterLiters": None},
        "fridge-1": {"online": True, "energyWh": 312430.0, "waterLiters": None},
        "dishwasher-1": {"online": True, "energyWh": 95800.0, "waterLiters": 1073.0},
        "fridge-2": {"online": True, "energyWh": 180530.0, "waterLiters": None},
    }
    # Without the state file a boot starts from the configured counters again.
    assert (
        counters(SmartKitchenServer(ServerConfig.demo(tick=None)))["fridge-1"][
            "energyWh"
        ]
        == 312400.0
    )


async def test_saved_every_minute_of_the_clock(
    tmp_path: Path, clock: FakeClock
) -> None:
    """Ticks save the counters once the last save is a minute old (on the server's clock)."""
    path = tmp_path / "state.json"
    server = SmartKitchenServer(demo_with_state_file(path), clock=clock)
    await server.start()
    try:
        clock.advance(59)
        await server.tick()
        assert not path.exists()

        clock.advance(1)
        await server.tick()

        assert orjson.loads(path.read_bytes()) == {
            "version": 1,
            "savedAt": "2026-11-27T08:01:00.000Z",
            "counters": {
                "oven-1": {"energyWh": 48210.0},
                "fridge-1": {"energyWh": 312402.0},
                "dishwasher-1": {"energyWh": 95200.0, "waterLiters": 1064.0},
                "fridge-2": {"energyWh": 180502.0},
            },
        }
        # The temporary file is renamed over the state file, never left behind.
        assert not (tmp_path / ".state.json.tmp").exists()
        clock.advance(59)
        await server.tick()
        assert orjson.loads(path.read_bytes())["savedAt"] == "2026-11-27T08:01:00.000Z"
    finally:
        await server.stop()
    assert orjson.loads(path.read_bytes())["savedAt"] == "2026-11-27T08:01:59.000Z"


@pytest.mark.parametrize(
    ("saved", "expected"),
    [
        ({"energyWh": 10.0, "waterLiters": 5}, (95200.0, 1064.0)),
        ({"energyWh": 99999.5, "waterLiters": 2000}, (99999.5, 2000.0)),
        ({"energyWh": 99999.5}, (99999.5, 1064.0)),
    ],
)
def test_counters_never_go_backwards(
    tmp_path: Path, saved: dict[str, Any], expected: tuple[float, float]
) -> None:
    """A counter continues from the larger of its configured and its saved value."""
    path = tmp_path / "state.json"
    path.write_bytes(orjson.dumps({"version": 1, "counters": {"dishwasher-1": saved}}))

    server = SmartKitchenServer(demo_with_state_file(path))

    status = counters(server)["dishwasher-1"]
    assert (status["energyWh"], status["waterLiters"]) == expected


async def test_entries_of_other_appliances_are_kept(tmp_path: Path) -> None:
    """Counters of appliances this server does not have stay in the file; water only counts for dishwashers."""
    path = tmp_path / "state.json"
    path.write_bytes(
        orjson.dumps(
            {
                "version": 1,
                "counters": {
                    "oven-9": {"energyWh": 7.0},
                    "oven-1": {"energyWh": 50000, "waterLiters": 3.0},
                },
            }
        )
    )
    server = SmartKitchenServer(demo_with_state_file(path))
    assert counters(server)["oven-1"]["waterLiters"] is None
    await server.start()

    await server.stop()

    saved = orjson.loads(path.read_bytes())["counters"]
    assert saved["oven-9"] == {"energyWh": 7.0}
    assert saved["oven-1"] == {"energyWh": 50000.0}


def test_a_missing_state_file_is_a_first_start(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Without the file yet, the counters start from the config."""
    caplog.set_level(logging.INFO)

    server = SmartKitchenServer(demo_with_state_file(tmp_path / "new.json"))

    assert counters(server)["oven-1"]["energyWh"] == 48210.0
    assert any("No state file" in message for message in caplog.messages)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{", "is not valid JSON"),
        (b"[]", "is not a version 1 state file"),
        (b'{"version": 2, "counters": {}}', "is not a version 1 state file"),
        (b'{"version": 1}', "counters must be an object"),
        (
            b'{"version": 1, "counters": {"oven-1": 5}}',
            r"counters\.oven-1 must be an object",
        ),
        (
            b'{"version": 1, "counters": {"oven-1": {}}}',
            r"counters\.oven-1\.energyWh must be a number of at least 0",
        ),
        (
            b'{"version": 1, "counters": {"oven-1": {"energyWh": -1}}}',
            r"counters\.oven-1\.energyWh must be a number of at least 0",
        ),
        (
            b'{"version": 1, "counters": {"oven-1": {"energyWh": true}}}',
            r"counters\.oven-1\.energyWh must be a number of at least 0",
        ),
        (
            b'{"version": 1, "counters": {"d": {"energyWh": 1, "waterLiters": "9"}}}',
            r"counters\.d\.waterLiters must be a number of at least 0",
        ),
    ],
)
def test_damaged_state_file(tmp_path: Path, content: bytes, message: str) -> None:
    """A damaged file stops the server instead of being saved over (which would reset the counters)."""
    path = tmp_path / "state.json"
    path.write_bytes(content)

    with pytest.raises(ConfigError, match=message):
        SmartKitchenServer(demo_with_state_file(path))


def test_unreadable_state_file(tmp_path: Path) -> None:
    """A state file that exists but cannot be read is an error, too."""
    with pytest.raises(ConfigError, match="cannot read state file"):
        SmartKitchenServer(demo_with_state_file(tmp_path))


async def test_a_failed_save_is_logged_and_retried(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    """The server keeps running when the state file cannot be written, and tries again later."""
    path = tmp_path / "missing-directory" / "state.json"
    server = SmartKitchenServer(demo_with_state_file(path), clock=clock)
    await server.start()
    clock.advance(60)
    await server.tick()
    assert f"Cannot save the counters to {path}" in caplog.text

    path.parent.mkdir()
    clock.advance(60)
    await server.tick()
    await server.stop()

    assert orjson.loads(path.read_bytes())["savedAt"] == "2026-11-27T08:02:00.000Z"


# --- configuration ----------------------------------------------------------------------------------


def test_state_file_in_a_config_file_is_relative_to_it(tmp_path: Path) -> None:
    """A relative state_file is found next to the config file; an absolute one is kept."""
    path = tmp_path / "kitchen.json"
    path.write_bytes(orjson.dumps(minimal(state_file="data/state.json")))
    assert ServerConfig.from_file(path).state_file == tmp_path / "data" / "state.json"

    path.write_bytes(orjson.dumps(minimal(state_file="/var/lib/kitchen.json")))
    assert ServerConfig.from_file(path).state_file == Path("/var/lib/kitchen.json")

    path.write_bytes(orjson.dumps(minimal()))
    assert ServerConfig.from_file(path).state_file is None


def test_configured_counters() -> None:
    """Devices may start from given counters; water only for dishwashers."""
    config = ServerConfig.from_dict(
        minimal(
            devices=[
                {
                    "id": "o",
                    "type": "oven",
                    "name": "O",
                    "owner": "bob",
                    "energy_wh": 12,
                },
                {
                    "id": "d",
                    "type": "dishwasher",
                    "name": "D",
                    "owner": "bob",
                    "energy_wh": 1.5,
                    "water_liters": 20,
                },
            ]
        )
    )

    assert [(d.energy_wh, d.water_liters) for d in config.devices] == [
        (12.0, 0.0),
        (1.5, 20.0),
    ]
    assert counters(SmartKitchenServer(config)) == {
        "o": {"online": True, "energyWh": 12.0, "waterLiters": None},
        "d": {"online": True, "energyWh": 1.5, "waterLiters": 20.0},
    }


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"state_file": ""}, "state_file must name a file"),
        ({"state_file": ["a"]}, "state_file: must be a string"),
        (
            {
                "devices": [
                    {
                        "id": "o",
                        "type": "oven",
                        "name": "O",
                        "owner": "bob",
                        "energy_wh": -1,
                    }
                ]
            },
            "device o: energy_wh must be a number of at least 0",
        ),
        (
            {
                "devices": [
                    {
                        "id": "o",
                        "type": "oven",
                        "name": "O",
                        "owner": "bob",
                        "energy_wh": "1",
                    }
                ]
            },
            r"devices\[0\]\.energy_wh: must be a number",
        ),
        (
            {
                "devices": [
                    {
                        "id": "o",
                        "type": "oven",
                        "name": "O",
                        "owner": "bob",
                        "water_liters": 1,
                    }
                ]
            },
            "device o: only dishwashers have a water_liters counter",
        ),
    ],
)
def test_invalid_counter_config(overrides: dict[str, Any], message: str) -> None:
    """Counter settings are checked like everything else."""
    with pytest.raises(ConfigError, match=message):
        ServerConfig.from_dict(minimal(**overrides))


@pytest.mark.parametrize("value", [float("inf"), float("nan")])
def test_counters_must_be_finite(value: float) -> None:
    """An infinite or NaN counter (possible in YAML) is refused."""
    with pytest.raises(
        ConfigError, match="water_liters must be a number of at least 0"
    ):
        DeviceConfig(
            id="d",
            type=DeviceType.DISHWASHER,
            name="D",
            owner="bob",
            water_liters=value,
        )


def test_state_file_option(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """--state-file sets (or overrides) the config's state file."""
    calls: list[ServerConfig] = []

    async def fake_serve(config: ServerConfig, **kwargs: Any) -> None:
        calls.append(config)

    def drive(coro: Coroutine[Any, Any, None]) -> None:
        try:
            coro.send(None)
        except StopIteration:
            return

    monkeypatch.setattr(cli, "serve", fake_serve)
    monkeypatch.setattr("asyncio.run", drive)
    config_file = tmp_path / "kitchen.json"
    config_file.write_bytes(
        orjson.dumps(
            {
                "server_id": "k",
                "users": [{"username": "bob", "password_hash": HASH}],
                "devices": [],
                "state_file": "from-config.json",
            }
        )
    )

    assert cli.main(["--state-file", "counters.json"]) == 0
    assert cli.main(["--config", str(config_file)]) == 0
    assert cli.main(["--config", str(config_file), "--state-file", "/tmp/x.json"]) == 0  # noqa: S108

    assert [config.state_file for config in calls] == [
        Path("counters.json"),
        tmp_path / "from-config.json",
        Path("/tmp/x.json"),  # noqa: S108
    ]


def test_damaged_state_file_on_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The command line reports a damaged state file like a bad config: exit status 2."""
    path = tmp_path / "state.json"
    path.write_text("{")

    assert cli.main(["--state-file", str(path), "--port", "0"]) == 2

    assert f"error: state file {path} is not valid JSON" in capsys.readouterr().err
