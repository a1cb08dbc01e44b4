"""scripts/develop's own logic: the HTTP settings Home Assistant keeps, the state it prepares, and its failures.

The whole main job runs a real Home Assistant process, which is too slow for the suite; scripts/ha_smoke.py
checks that end to end. Here the parts are checked one by one, against Home Assistant's own code where
it decides (its HTTP config store), and against real sockets and processes for the failures.
"""

import argparse
import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable
import json
from pathlib import Path
import shutil
import socket
import sys
from typing import Any

import aiohttp
from aiohttp.test_utils import TestClient
from homeassistant.components import onboarding
from homeassistant.components.http.config import (
    DATA_STORE,
    ActiveConfigType,
    async_load_config,
)
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util.yaml import load_yaml
import pytest

from smart_kitchen_server import ServerConfig, SmartKitchenServer
from tests import helpers

ROOT = Path(__file__).parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import develop  # noqa: E402
import ha_api  # noqa: E402
import ha_smoke  # noqa: E402
import screenshots  # noqa: E402


@pytest.fixture(autouse=True)
def sockets(socket_enabled: None) -> None:
    """Use real sockets on 127.0.0.1."""


@pytest.fixture
def free_port() -> int:
    """Return a port on 127.0.0.1 that nothing listens on."""
    return helpers.free_port()


def stored_http(config_dir: Path) -> dict[str, Any]:
    """Return the `.storage/http` file scripts/develop wrote."""
    data: dict[str, Any] = json.loads(
        (config_dir / ".storage" / "http").read_text(encoding="utf-8")
    )
    return data


async def test_home_assistant_keeps_the_loopback_settings(
    hass: HomeAssistant, hass_storage: dict[str, Any], tmp_path: Path
) -> None:
    """What develop writes is stable to Home Assistant: no revert is scheduled and no repair raised.

    This is why the 5-minute revert cannot happen: `async_load_config` schedules it only for a pending
    slot, and there is none.
    """
    develop.pin_http_to_loopback(tmp_path, 8123)
    hass_storage["http"] = stored_http(tmp_path)

    conf = await async_load_config(hass, {})  # configuration.yaml without `http:`

    assert conf["server_host"] == ["127.0.0.1"]
    assert conf["server_port"] == 8123
    store = hass.data[DATA_STORE]
    assert store.active_config_type is ActiveConfigType.STABLE
    assert store.pending is None
    assert store.revert_deadline is None
    assert not [
        issue
        for (domain, _), issue in ir.async_get(hass).issues.items()
        if domain == "http"
    ]


async def test_an_http_block_in_yaml_would_be_reverted(
    hass: HomeAssistant, hass_storage: dict[str, Any]
) -> None:
    """The old way, for contrast: a YAML `http:` block becomes a pending trial that reverts itself."""
    await async_load_config(hass, {"http": {"server_host": ["127.0.0.1"]}})

    store = hass.data[DATA_STORE]
    assert store.active_config_type is ActiveConfigType.PENDING
    assert store.revert_deadline is not None


def test_pinning_again_writes_nothing(tmp_path: Path) -> None:
    """A later start with the same port leaves the file alone (and needs no slow import)."""
    develop.pin_http_to_loopback(tmp_path, 8123)
    path = tmp_path / ".storage" / "http"
    before = path.stat().st_mtime_ns, path.read_bytes()

    develop.pin_http_to_loopback(tmp_path, 8123)

    assert (path.stat().st_mtime_ns, path.read_bytes()) == before
    assert path.stat().st_mode & 0o777 == 0o600


def test_pinning_repairs_an_old_state(tmp_path: Path) -> None:
    """A state from the old develop (default stable, a reverted pending) is put on loopback for good."""
    develop.pin_http_to_loopback(tmp_path, 8123)
    old = stored_http(tmp_path)
    old["data"]["stable"]["server_host"] = ["0.0.0.0", "::"]  # noqa: S104
    old["data"]["stable"]["login_attempts_threshold"] = 5
    old["data"]["pending"] = {
        **old["data"]["stable"],
        "server_host": ["127.0.0.1"],
        "error": "not_promoted",
    }
    (tmp_path / ".storage" / "http").write_text(json.dumps(old), encoding="utf-8")

    develop.pin_http_to_loopback(tmp_path, 8124)

    data = stored_http(tmp_path)["data"]
    assert data["stable"]["server_host"] == ["127.0.0.1"]
    assert data["stable"]["server_port"] == 8124
    assert data["stable"]["login_attempts_threshold"] == 5  # other settings are kept
    assert data["pending"] is None
    assert data["yaml_migration_done"] is True


def test_pinning_starts_from_defaults_for_another_storage_version(
    tmp_path: Path,
) -> None:
    """Settings stored by another version of the store are not carried into this version's schema."""
    (tmp_path / ".storage").mkdir()
    (tmp_path / ".storage" / "http").write_text(
        json.dumps(
            {"version": 1, "key": "http", "data": {"login_attempts_threshold": 5}}
        ),
        encoding="utf-8",
    )

    develop.pin_http_to_loopback(tmp_path, 8123)

    stable = stored_http(tmp_path)["data"]["stable"]
    assert stable["server_host"] == ["127.0.0.1"]
    assert stable["login_attempts_threshold"] == -1


def test_fresh_wipes_the_state_but_not_the_configuration(tmp_path: Path) -> None:
    """--fresh leaves configuration.yaml; the links and include files are made again."""
    config = tmp_path / "config"
    (config / ".storage").mkdir(parents=True)
    (config / ".storage" / "onboarding").write_text("{}", encoding="utf-8")
    (config / "home-assistant.log").write_text("old", encoding="utf-8")
    (config / "configuration.yaml").symlink_to(ROOT / "config" / "configuration.yaml")

    assert develop.prepare_config_dir(config, fresh=True) is True

    assert sorted(path.name for path in config.iterdir()) == [
        "automations.yaml",
        "blueprints",
        "configuration.yaml",
        "kitchen_dashboard.yaml",
        "scenes.yaml",
        "scripts.yaml",
    ]
    assert (
        config / "kitchen_dashboard.yaml"
    ).resolve() == ROOT / "examples" / "dashboard.yaml"
    assert (config / develop.BLUEPRINT).resolve() == ROOT / develop.BLUEPRINT
    # A state that has been onboarded is not fresh.
    develop.skip_core_config_step(config)
    assert develop.prepare_config_dir(config, fresh=False) is False
    onboarding = json.loads((config / ".storage" / "onboarding").read_text())
    assert onboarding["data"] == {"done": ["core_config"]}


def test_a_taken_port_stops_the_main_job_with_a_hint() -> None:
    """A port someone listens on is refused before anything starts."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        with pytest.raises(develop.DevelopError) as err:
            develop.check_port_free(port, "Home Assistant", "--port")
    assert f"port {port} on 127.0.0.1 is not free (Address already in use)" in str(
        err.value
    )
    assert f"ss -ltnp 'sport = :{port}'" in str(err.value)
    assert "--port N" in str(err.value)


@pytest.mark.parametrize("value", ["0", "65536", "http"])
def test_a_port_must_be_a_port(value: str) -> None:
    """--port and --server-port take 1-65535 only."""
    with pytest.raises(argparse.ArgumentTypeError):
        develop.port_number(value)
    assert develop.port_number("8123") == 8123


async def python(code: str) -> asyncio.subprocess.Process:
    """Start a Python child that says "ready" once `code` has run."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        f"{code}\nprint('ready', flush=True)\nimport time\ntime.sleep(60)",
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    assert await process.stdout.readline() == b"ready\n"
    return process


async def test_a_child_that_ignores_sigterm_is_killed() -> None:
    """stop_process kills a child that does not stop when asked."""
    child = await python("import signal; signal.signal(signal.SIGTERM, signal.SIG_IGN)")

    await develop.stop_process(child, grace=0.1)

    assert child.returncode == -9
    assert develop.exit_status(child) == "killed by SIGKILL"


async def test_a_server_that_ends_while_starting(free_port: int) -> None:
    """The server's exit while develop waits for it ends the main job with its status."""
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "raise SystemExit(3)"
    )
    async with aiohttp.ClientSession() as http:
        with pytest.raises(
            develop.DevelopError, match=r"ended while starting \(exit code 3\)"
        ):
            await develop.wait_for_server(http, server, f"http://127.0.0.1:{free_port}")


async def test_a_server_that_never_answers(
    free_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server that runs but does not answer is given up on with a message."""
    monkeypatch.setattr(develop, "SERVER_START_TIMEOUT", 0.3)
    server = await python("")
    try:
        async with aiohttp.ClientSession() as http:
            with pytest.raises(develop.DevelopError, match="did not answer"):
                await develop.wait_for_server(
                    http, server, f"http://127.0.0.1:{free_port}"
                )
    finally:
        await develop.stop_process(server, grace=5)


async def test_home_assistant_that_never_answers(
    free_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No Home Assistant on the port: a connection error means "not yet", then develop gives up."""
    monkeypatch.setattr(develop, "START_TIMEOUT", 0.3)
    async with aiohttp.ClientSession() as http:
        ha = ha_api.HomeAssistantApi(http, f"http://127.0.0.1:{free_port}")
        assert await ha.onboarding() is None
        with pytest.raises(develop.DevelopError, match="Home Assistant did not answer"):
            await develop.wait_for_http(ha)


@pytest.mark.parametrize(
    ("line", "address"),
    [
        # /proc/net/tcp: 127.0.0.1:8123 and 0.0.0.0:8123, listening (state 0A)
        ("0: 0100007F:1FBB 00000000:0000 0A", "127.0.0.1"),
        ("1: 00000000:1FBB 00000000:0000 0A", "0.0.0.0"),  # noqa: S104
    ],
)
def test_smoke_reads_the_kernel_socket_table(line: str, address: str) -> None:
    """ha_smoke decodes /proc/net/tcp addresses (little-endian words) as `ss` shows them."""
    assert ha_smoke._address(line.split()[1].split(":", maxsplit=1)[0], 8) == address
    assert ha_smoke._address("00000000000000000000000001000000", 32) == (
        "0000:0000:0000:0000:0000:0000:0000:0001"
    )


def test_main_reports_a_taken_port_and_exits_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The main job ends with its message and status 1, before it changes anything."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        monkeypatch.setattr(sys, "argv", ["scripts/develop", "--port", str(port)])
        assert develop.main() == 1
    assert (
        f"develop: error: port {port} on 127.0.0.1 is not free"
        in capsys.readouterr().err
    )


@pytest.fixture
async def demo_server() -> AsyncGenerator[SmartKitchenServer]:
    """Run the demo server in-process on 127.0.0.1; it moves only when a test ticks it."""
    server = SmartKitchenServer(ServerConfig.demo(tick=None))
    await server.start(host="127.0.0.1", port=0)
    yield server
    await server.stop()


@pytest.fixture
async def home_assistant(
    hass: HomeAssistant,
    *,
    hass_storage: dict[str, Any],
    hass_client_no_auth: Callable[[], Awaitable[TestClient]],
    enable_custom_integrations: None,
    local_auth: Any,
    tmp_path: Path,
) -> AsyncGenerator[ha_api.HomeAssistantApi]:
    """Serve a fresh, not yet onboarded Home Assistant over real HTTP, as develop finds it."""
    develop.skip_core_config_step(tmp_path)
    hass_storage["onboarding"] = json.loads(
        (tmp_path / ".storage" / "onboarding").read_text()
    )
    for component in (
        "http",
        "auth",
        "api",
        "websocket_api",
        "config",
        "onboarding",
        "person",
    ):
        assert await async_setup_component(hass, component, {})
    client = await hass_client_no_auth()
    async with aiohttp.ClientSession() as http:
        yield ha_api.HomeAssistantApi(http, str(client.make_url("")).rstrip("/"))


async def test_develop_sets_a_fresh_home_assistant_up(
    hass: HomeAssistant,
    home_assistant: ha_api.HomeAssistantApi,
    demo_server: SmartKitchenServer,
) -> None:
    """Onboarding, the entry, the Kitchen area and a kitchen in motion, through the real APIs."""
    ha = home_assistant
    status = await develop.wait_for_http(ha)
    assert status == {
        "user": False,
        "core_config": True,
        "analytics": False,
        "integration": False,
    }

    await develop.onboard(ha, status)
    async with ha.websocket() as ws:
        entry_id = await develop.add_smart_kitchen(ha, ws, demo_server.url)
        # A second start finds the entry instead of adding another.
        assert await develop.add_smart_kitchen(ha, ws, demo_server.url) == entry_id
        await develop.put_devices_in_kitchen(ws, entry_id)
        await develop.set_kitchen_in_motion(ha, ws)
        with pytest.raises(ha_api.HomeAssistantApiError, match="unknown_command"):
            await ws.call("no/such/command")
    await ha.revoke()

    assert onboarding.async_is_onboarded(hass)
    assert (hass.config.country, hass.config.time_zone) == ("NL", "Europe/Amsterdam")
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry_id)
    assert len(devices) == 4
    assert {device.area_id for device in devices} == {"kitchen"}
    await wait_for_states(
        hass,
        {
            "select.double_oven_upper_mode": "bake",
            "sensor.dishwasher_status": "running",
        },
    )
    # The Kitchen dashboard shows only entities the integration made for the demo account.
    dashboard = load_yaml(ROOT / "examples" / "dashboard.yaml")
    shown = set(ha_smoke._entities(dashboard))
    assert {
        "sensor.double_oven_energy",
        "sensor.fridge_freezer_energy",
        "sensor.dishwasher_energy",
        "sensor.dishwasher_water",
        "switch.fridge_freezer_super_cool",
        "switch.fridge_freezer_super_freeze",
        "number.double_oven_upper_cook_timer",
        "sensor.double_oven_upper_cook_timer_remaining",
        "sensor.dishwasher_start_time",
    } <= shown
    assert {entity for entity in shown if hass.states.get(entity) is None} == set()


async def test_a_kitchen_that_cannot_start_stays_idle(
    hass: HomeAssistant,
    home_assistant: ha_api.HomeAssistantApi,
    demo_server: SmartKitchenServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A refused command (the dishwasher's door is open) leaves the kitchen idle, with a note."""
    ha = home_assistant
    await develop.onboard(ha, await develop.wait_for_http(ha))
    async with ha.websocket() as ws:
        await develop.add_smart_kitchen(ha, ws, demo_server.url)
        async with aiohttp.ClientSession() as http:
            async with http.post(
                f"{demo_server.url}/api/login",
                json={"username": "demo", "password": "demo"},
            ) as response:
                token = (await response.json())["token"]
            async with http.post(
                f"{demo_server.url}/api/simulation/devices/dishwasher-1/door",
                json={"open": True},
                headers={"Authorization": f"Bearer {token}"},
            ) as response:
                assert response.status == 200
        await wait_for_states(hass, {"binary_sensor.dishwasher_door": "on"})
        await develop.set_kitchen_in_motion(ha, ws)
    await ha.revoke()

    assert (
        "develop: the demo kitchen stays idle: button.press answered"
        in capsys.readouterr().err
    )


async def test_a_changed_password_is_refused_with_a_way_out(
    home_assistant: ha_api.HomeAssistantApi,
) -> None:
    """A state whose owner is not dev/dev (an older develop's) is refused, pointing at --fresh."""
    with pytest.raises(develop.DevelopError, match="--fresh"):
        await develop.login(home_assistant)


async def wait_for_states(hass: HomeAssistant, wanted: dict[str, str]) -> None:
    """Wait until the entities have these states (pushed by the server after a command)."""
    reached = asyncio.Event()

    @callback
    def check(_: Event | None = None) -> None:
        if all(
            (state := hass.states.get(entity_id)) is not None and state.state == value
            for entity_id, value in wanted.items()
        ):
            reached.set()

    unsubscribe = hass.bus.async_listen("state_changed", check)
    check()
    try:
        async with asyncio.timeout(10):
            await reached.wait()
    finally:
        unsubscribe()


async def test_smoke_fails_loudly_on_a_home_assistant_it_does_not_trust(
    home_assistant: ha_api.HomeAssistantApi,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """ha_smoke exits 1 and says why when the HTTP settings are not develop's (here: the defaults)."""
    await develop.onboard(home_assistant, await develop.wait_for_http(home_assistant))
    await home_assistant.revoke()
    monkeypatch.setattr(sys, "argv", ["ha_smoke.py", "--ha", home_assistant.url])

    assert await ha_smoke.main() == 1

    output = capsys.readouterr()
    assert "ok: Home Assistant" in output.out
    assert "FAILED: the stable HTTP settings are" in output.err


async def test_smoke_push_check_fails_when_nothing_moves(
    hass: HomeAssistant,
    home_assistant: ha_api.HomeAssistantApi,
    demo_server: SmartKitchenServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With no tick, the oven's temperature never moves: the push check fails and the oven is put back."""
    monkeypatch.setattr(ha_smoke, "PUSH_TIMEOUT", 0.5)
    ha = home_assistant
    await develop.onboard(ha, await develop.wait_for_http(ha))
    async with ha.websocket() as ws:
        await develop.add_smart_kitchen(ha, ws, demo_server.url)
        with pytest.raises(ha_smoke.SmokeError, match=r"stayed at 21\.0"):
            await ha_smoke.check_push(ha, ws)
    await ha.revoke()

    await wait_for_states(hass, {"select.double_oven_upper_mode": "off"})


def test_screenshots_need_a_running_home_assistant(
    free_port: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without scripts/develop running, the screenshots stop with a sentence (or without Chromium)."""
    monkeypatch.setattr(
        sys,
        "argv",
        [
            "screenshots.py",
            "--ha",
            f"http://127.0.0.1:{free_port}",
            "--chromium",
            shutil.which("chromium") or "no-such-chromium",
            "--out",
            str(ROOT / "docs" / "images"),
        ],
    )

    assert screenshots.run() == 1

    assert capsys.readouterr().err.startswith("screenshots: error: ")


@pytest.mark.skipif(
    shutil.which("chromium") is None, reason="Chromium is not installed"
)
async def test_a_page_that_does_not_render_is_kept_for_inspection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A screenshot whose page never shows its data fails, and keeps a picture of what it showed."""
    monkeypatch.setattr(screenshots, "RENDER_TIMEOUT_MS", 300)
    monkeypatch.setattr(screenshots.tempfile, "gettempdir", lambda: str(tmp_path))
    async with (
        aiohttp.ClientSession() as http,
        screenshots.chromium(http, screenshots.find_chromium(None)) as devtools,
    ):
        with pytest.raises(
            screenshots.ScreenshotError, match="did not finish rendering"
        ):
            await screenshots.shoot(
                devtools,
                "data:text/html,<p>not a dashboard</p>",
                "dashboard",
                tmp_path / "dashboard.png",
                width=320,
                height=200,
            )
    assert (tmp_path / "failed-dashboard.png").read_bytes().startswith(b"\x89PNG")
    assert not (tmp_path / "dashboard.png").exists()


async def test_a_command_without_an_answer(
    home_assistant: ha_api.HomeAssistantApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A WebSocket command that gets no answer in time fails with its name; the socket stays usable."""
    ha = home_assistant
    await develop.onboard(ha, await develop.wait_for_http(ha))
    async with ha.websocket() as ws:
        with monkeypatch.context() as patched:
            patched.setattr(ha_api, "TIMEOUT", 0)
            with pytest.raises(ha_api.HomeAssistantApiError, match="ping: no answer"):
                await ws.call("ping")
        # The late answer is dropped; the next command gets its own.
        assert await ws.call("get_config")
    await ha.revoke()
