"""The main job: the demo server and a real Home Assistant with Smart Kitchen, ready to use without a click.

Run through `scripts/develop` (which prepares the venv first); see the README's *Development setup*.
On a fresh configuration directory it onboards Home Assistant (owner `dev`, password `dev`), adds the
Smart Kitchen entry against the demo server through Home Assistant's config-flow API, puts its devices
in the Kitchen area, and links the Kitchen dashboard and the blueprint. It restarts Home Assistant
whenever that exits with 100 (a restart from the UI), stops both processes on one Ctrl-C, and stops
both with a clear message when either cannot run.
"""

import argparse
import asyncio
from contextlib import suppress
import ctypes
from datetime import UTC, datetime
import json
import os
from pathlib import Path
import shutil
import signal
import socket
import sys
from typing import Any

import aiohttp
from ha_api import HomeAssistantApi, HomeAssistantApiError, HomeAssistantSocket

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"

# A loopback-only development instance: the owner's login is public on purpose (README, banner).
OWNER_NAME = "Dev"
OWNER_USERNAME = "dev"
OWNER_PASSWORD = "dev"  # noqa: S105
DEMO_USERS = "demo/demo, alice/alice"

DASHBOARD_URL_PATH = "dashboard-kitchen"
DASHBOARD_FILE = "kitchen_dashboard.yaml"
BLUEPRINT = Path("blueprints/automation/smart_kitchen/fridge_door_alert.yaml")
MARKER = ".develop-provisioned"

# What the onboarding's location step would store for a user in Amsterdam (Home Assistant's own default
# location), so times and units on the dashboard are those of a real installation.
CORE_CONFIG = {
    "location_name": "Smart Kitchen dev",
    "latitude": 52.3731339,
    "longitude": 4.8903147,
    "elevation": 0,
    "unit_system": "metric",
    "time_zone": "Europe/Amsterdam",
    "currency": "EUR",
    "country": "NL",
    "language": "en",
}

# Home Assistant needs a few seconds to stop cleanly; the server less than one.
HASS_STOP_TIMEOUT = 60
SERVER_STOP_TIMEOUT = 10
SERVER_START_TIMEOUT = 30
START_TIMEOUT = 300
PR_SET_PDEATHSIG = 1


class DevelopError(Exception):
    """Something keeps the main job from running; the message says what to do."""


def say(message: str) -> None:
    """Tell the developer something (stderr, so it interleaves with the two logs in order)."""
    print(f"develop: {message}", file=sys.stderr, flush=True)


def port_number(value: str) -> int:
    """Parse a TCP port for the command line."""
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port (1-65535)")
    return int(value)


def parse_args() -> argparse.Namespace:
    """Describe the command line (scripts/develop passes its arguments through)."""
    parser = argparse.ArgumentParser(
        prog="scripts/develop",
        description="Start the demo server and Home Assistant with Smart Kitchen, set up and ready.",
    )
    parser.add_argument(
        "--port",
        type=port_number,
        default=8123,
        help="Home Assistant's port (default %(default)s)",
    )
    parser.add_argument(
        "--server-port",
        type=port_number,
        default=8765,
        help="the demo server's port (default %(default)s)",
    )
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="wipe the development state (onboarding, entries, history) and start over",
    )
    parser.add_argument(
        "--ha-version",
        metavar="X",
        help="run Home Assistant X from its own venv (.venv-ha-X) with its own state",
    )
    parser.add_argument(
        "--idle",
        action="store_true",
        help="leave the demo kitchen idle (by default the upper oven bakes and the dishwasher runs)",
    )
    parser.add_argument(
        "--smoke",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="run scripts/ha_smoke.py once everything is up, then stop "
        "(default: on with --ha-version, off otherwise)",
    )
    args = parser.parse_args()
    if args.smoke is None:
        args.smoke = args.ha_version is not None
    # Another Home Assistant version may migrate its storage beyond what this one reads: its own state.
    args.config_dir = (
        ROOT / f".venv-ha-{args.ha_version}" / "config"
        if args.ha_version
        else ROOT / "config"
    )
    return args


# --- the configuration directory -------------------------------------------------------------------------


def prepare_config_dir(config_dir: Path, *, fresh: bool) -> bool:
    """Create (or wipe) the configuration directory; return True when it holds no state yet."""
    tracked = ROOT / "config" / "configuration.yaml"
    if fresh and config_dir.exists():
        say(f"--fresh: wiping the development state in {config_dir}")
        for path in config_dir.iterdir():
            if path.name == "configuration.yaml":
                continue
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
    config_dir.mkdir(parents=True, exist_ok=True)
    if config_dir.resolve() != tracked.parent.resolve():
        _link(config_dir / "configuration.yaml", tracked)
    # Home Assistant's editors save into these; configuration.yaml includes them.
    for name, empty in (
        ("automations.yaml", "[]\n"),
        ("scripts.yaml", "{}\n"),
        ("scenes.yaml", "[]\n"),
    ):
        if not (config_dir / name).exists():
            (config_dir / name).write_text(empty, encoding="utf-8")
    # The dashboard and the blueprint are read from this checkout, so editing them shows on a reload.
    _link(config_dir / DASHBOARD_FILE, ROOT / "examples" / "dashboard.yaml")
    _link(config_dir / BLUEPRINT, ROOT / BLUEPRINT)
    return not (config_dir / ".storage" / "onboarding").exists()


def _link(link: Path, target: Path) -> None:
    """Make `link` a symlink to `target`, replacing whatever was there."""
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.is_symlink() and link.readlink() == target:
        return
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(target)


def _write_store(path: Path, key: str, version: int, minor: int, data: Any) -> None:
    """Write a `.storage` file as Home Assistant's Store does: atomically, readable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".develop-tmp")
    temporary.write_text(
        json.dumps(
            {"version": version, "minor_version": minor, "key": key, "data": data},
            indent=2,
        ),
        encoding="utf-8",
    )
    temporary.chmod(0o600)
    temporary.replace(path)


def pin_http_to_loopback(config_dir: Path, port: int) -> None:
    """Make 127.0.0.1:port Home Assistant's confirmed ("stable") HTTP configuration, before it starts.

    Since 2026.10 the `http` settings live in `.storage/http` as a stable/pending pair. A `http:` block in
    configuration.yaml is migrated once into the *pending* slot: Home Assistant then schedules a revert
    (`async_schedule_revert_to_stable`) that, unless the user confirms the setting in the UI within five
    minutes, marks it "not promoted" and restarts on the stable slot — the default, 0.0.0.0 and [::].
    Writing the stable slot directly, with nothing pending and the YAML migration marked done, is the
    state a user reaches by confirming: `async_load_config` then uses stable and schedules no revert,
    and no repair issue is raised because configuration.yaml has no `http:` block.
    """
    path = config_dir / ".storage" / "http"
    stored: dict[str, Any] = {}
    if path.exists():
        stored = json.loads(path.read_text(encoding="utf-8"))
    data = stored.get("data", {})
    stable = data.get("stable", {})
    wanted = {"server_host": [HOST], "server_port": port}
    if (
        data.get("pending") is None
        and data.get("yaml_migration_done")
        and all(stable.get(key) == value for key, value in wanted.items())
    ):
        return  # the usual later start: nothing to write, and no slow Home Assistant import
    if data.get("pending") is not None:
        say(
            "dropping a pending HTTP setting: scripts/develop keeps Home Assistant on 127.0.0.1"
        )
    from homeassistant.components.http import config as http_config

    meta = (
        http_config.HTTP_CONFIG_CREATED_AT,
        http_config.HTTP_CONFIG_ERROR,
        http_config.HTTP_CONFIG_ERROR_MESSAGE,
    )
    # Settings of another storage version may not fit this one's schema: start from the defaults then.
    settings = (
        {key: value for key, value in stable.items() if key not in meta}
        if stored.get("version") == http_config.STORAGE_VERSION
        else {}
    )
    _write_store(
        path,
        http_config.STORAGE_KEY,
        http_config.STORAGE_VERSION,
        http_config.STORAGE_MINOR_VERSION,
        {
            http_config.KEY_STABLE: {
                **http_config.HTTP_STORAGE_SCHEMA({**settings, **wanted}),
                http_config.HTTP_CONFIG_CREATED_AT: datetime.now(UTC).isoformat(),
                http_config.HTTP_CONFIG_ERROR: None,
                http_config.HTTP_CONFIG_ERROR_MESSAGE: None,
            },
            http_config.KEY_PENDING: None,
            http_config.KEY_YAML_MIGRATION_DONE: True,
        },
    )


def skip_core_config_step(config_dir: Path) -> None:
    """Mark onboarding's location step done before the first start; `provision` sets the location itself.

    Finishing that step through `/api/onboarding/core_config` also starts the config flows of met,
    radio_browser, google_translate and shopping_list. Without pinned requirements Home Assistant would
    pip-install their packages into the venv at runtime, and they call internet services — neither
    belongs in a reproducible, loopback-only development instance. Every other step goes through the
    real onboarding API.
    """
    from homeassistant.components import onboarding

    _write_store(
        config_dir / ".storage" / onboarding.STORAGE_KEY,
        onboarding.STORAGE_KEY,
        onboarding.STORAGE_VERSION,
        1,
        {"done": [onboarding.STEP_CORE_CONFIG]},
    )


def check_port_free(port: int, what: str, option: str) -> None:
    """Fail with a clear message when something already listens on 127.0.0.1:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # Like aiohttp's listener: a port left in TIME_WAIT by a stopped process is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError as err:
            raise DevelopError(
                f"port {port} on {HOST} is not free ({err.strerror}), so {what} cannot start. "
                f"See what holds it with `ss -ltnp 'sport = :{port}'`; stop that or choose "
                f"another port with {option} N."
            ) from None


# --- the two processes -----------------------------------------------------------------------------------


def exit_status(process: asyncio.subprocess.Process) -> str:
    """Describe how a child ended: its exit code, or the signal that ended it."""
    if (code := process.returncode) is not None and code < 0:
        return f"killed by {signal.Signals(-code).name}"
    return f"exit code {code}"


def _die_with_parent() -> None:
    """In the child: get SIGTERM when develop dies, even by SIGKILL, so nothing is left running."""
    with suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


async def spawn(*argv: str | Path, env: dict[str, str]) -> asyncio.subprocess.Process:
    """Start a child in its own process group: Ctrl-C reaches develop, which stops children in order."""
    return await asyncio.create_subprocess_exec(
        *argv,
        env=env,
        cwd=ROOT,
        start_new_session=True,
        preexec_fn=_die_with_parent if sys.platform == "linux" else None,
    )


async def stop_process(
    process: asyncio.subprocess.Process | None, grace: float
) -> None:
    """Ask a child to stop (SIGTERM), and kill it if it has not within `grace` seconds."""
    if process is None or process.returncode is not None:
        return
    with suppress(ProcessLookupError):
        process.terminate()
    try:
        async with asyncio.timeout(grace):
            await process.wait()
    except TimeoutError:
        say(f"process {process.pid} did not stop within {grace:.0f} s; killing it")
        with suppress(ProcessLookupError):
            process.kill()
        await process.wait()


async def wait_for_server(
    http: aiohttp.ClientSession, server: asyncio.subprocess.Process, url: str
) -> None:
    """Return once the demo server answers; fail if it exits first."""
    try:
        async with asyncio.timeout(SERVER_START_TIMEOUT):
            while server.returncode is None:
                with suppress(aiohttp.ClientError):
                    async with http.get(f"{url}/api/info") as response:
                        if response.status == 200:
                            return
                # The server is a separate process that announces nothing: ask again shortly.
                await asyncio.sleep(0.1)
    except TimeoutError:
        raise DevelopError(
            f"the demo server did not answer on {url} within {SERVER_START_TIMEOUT} s"
        ) from None
    raise DevelopError(
        f"the demo server ended while starting ({exit_status(server)}); its log is above"
    )


# --- setting Home Assistant up through its APIs ----------------------------------------------------------


async def wait_for_http(ha: HomeAssistantApi) -> dict[str, bool]:
    """Return the onboarding status once Home Assistant's HTTP server answers."""
    try:
        async with asyncio.timeout(START_TIMEOUT):
            while True:
                if (status := await ha.onboarding()) is not None:
                    return status
                # Home Assistant's HTTP server starts late in its bootstrap; poll it like a browser.
                await asyncio.sleep(0.25)
    except TimeoutError:
        raise DevelopError(
            f"Home Assistant did not answer on {ha.url} within {START_TIMEOUT} s; its log is above"
        ) from None


async def onboard(ha: HomeAssistantApi, status: dict[str, bool]) -> None:
    """Finish onboarding as a user clicking through it would: owner, location, analytics, integrations."""
    if not status or status.get("user"):
        await login(ha)
    else:
        await ha.onboard_owner(OWNER_NAME, OWNER_USERNAME, OWNER_PASSWORD)
        say(f"onboarded: owner {OWNER_USERNAME!r} created")
    async with ha.websocket() as ws:
        await ws.call("config/core/update", **CORE_CONFIG)
    if status and not status.get("analytics"):
        # Nothing is shared: analytics stays off, as when a user leaves every switch of that step off.
        await ha.post("/api/onboarding/analytics", {})
    if status and not status.get("integration"):
        await ha.post(
            "/api/onboarding/integration",
            {"client_id": ha.client_id, "redirect_uri": f"{ha.url}/?auth_callback=1"},
        )


async def login(ha: HomeAssistantApi) -> None:
    """Log in as the development owner."""
    try:
        await ha.login(OWNER_USERNAME, OWNER_PASSWORD)
    except HomeAssistantApiError as err:
        raise DevelopError(
            f"cannot log in to Home Assistant as {OWNER_USERNAME}/{OWNER_PASSWORD} ({err}). This state "
            "was made by an older scripts/develop or the password was changed; "
            "`scripts/develop --fresh` starts over."
        ) from err


async def add_smart_kitchen(
    ha: HomeAssistantApi, ws: HomeAssistantSocket, server_url: str
) -> str:
    """Add the demo user's Smart Kitchen entry through the config flow, as the frontend's form does."""
    for entry in await ws.call("config_entries/get", domain="smart_kitchen"):
        if entry["state"] == "loaded":
            return str(entry["entry_id"])
    flow = await ha.post(
        "/api/config/config_entries/flow",
        {"handler": "smart_kitchen", "show_advanced_options": False},
    )
    result = await ha.post(
        f"/api/config/config_entries/flow/{flow['flow_id']}",
        {"url": server_url, "username": "demo", "password": "demo", "verify_ssl": True},
    )
    if result.get("type") != "create_entry":
        raise DevelopError(
            f"the Smart Kitchen config flow did not create an entry: {result.get('errors') or result}"
        )
    say(f"added Smart Kitchen: {result['title']}")
    return str(result["result"]["entry_id"])


async def put_devices_in_kitchen(ws: HomeAssistantSocket, entry_id: str) -> None:
    """Put the entry's devices in the Kitchen area, so the area overview shows them there."""
    areas = await ws.call("config/area_registry/list")
    kitchen = next((area for area in areas if area["name"] == "Kitchen"), None)
    if kitchen is None:
        kitchen = await ws.call("config/area_registry/create", name="Kitchen")
    moved = 0
    for device in await ws.call("config/device_registry/list"):
        if device.get("config_entry_id", entry_id) != entry_id and entry_id not in (
            device.get("config_entries") or ()
        ):
            continue
        if device["area_id"] is None:
            await ws.call(
                "config/device_registry/update",
                device_id=device["id"],
                area_id=kitchen["area_id"],
            )
            moved += 1
    say(f"put {moved} Smart Kitchen devices in the Kitchen area")


async def bring_up(
    ha: HomeAssistantApi,
    config_dir: Path,
    server_url: str,
    server_ready: asyncio.Task[None],
    *,
    first: bool,
    idle: bool,
) -> None:
    """Wait for Home Assistant, set it up if this state is new, and return once it runs."""
    # Shielded: a restart cancels this wait, not the check that the server started.
    await asyncio.shield(server_ready)
    status = await wait_for_http(ha)
    try:
        if not (config_dir / MARKER).exists():
            await onboard(ha, status)
            async with ha.websocket() as ws:
                entry_id = await add_smart_kitchen(ha, ws, server_url)
                await put_devices_in_kitchen(ws, entry_id)
            (config_dir / MARKER).write_text(
                "scripts/develop set this state up; `scripts/develop --fresh` starts over.\n",
                encoding="utf-8",
            )
        else:
            await login(ha)
        async with ha.websocket() as ws:
            version = (await ws.wait_until_running())["version"]
            # The server starts idle with develop; a restarted Home Assistant finds it as it was.
            if first and not idle:
                await set_kitchen_in_motion(ha, ws)
    finally:
        await ha.revoke()
    if first:
        print(banner(ha.url, server_url, version, idle=idle), flush=True)
    else:
        say(f"Home Assistant is back on {ha.url}")


async def set_kitchen_in_motion(ha: HomeAssistantApi, ws: HomeAssistantSocket) -> None:
    """Bake in the upper oven and run the dishwasher, as a user would on the dashboard.

    The demo starts idle, and an idle kitchen shows nothing live: now the oven heats by 10 °C and the
    dishwasher counts down a minute on every tick, and its `program_finished` alert comes after its
    180 ticks (6 minutes).
    """
    states = {
        state["entity_id"]: state["state"] for state in await ws.call("get_states")
    }
    try:
        if states.get("select.double_oven_upper_mode") == "off":
            await ha.call_service(
                "select",
                "select_option",
                {"entity_id": "select.double_oven_upper_mode", "option": "bake"},
            )
        if states.get("sensor.dishwasher_status") == "idle":
            await ha.call_service(
                "select",
                "select_option",
                {"entity_id": "select.dishwasher_program", "option": "eco"},
            )
            await ha.call_service(
                "button", "press", {"entity_id": "button.dishwasher_start_program"}
            )
    except HomeAssistantApiError as err:
        # Renamed entities, say: the instance is still usable, the kitchen just stays idle.
        say(f"the demo kitchen stays idle: {err}")


def banner(ha_url: str, server_url: str, version: str, *, idle: bool) -> str:
    """Return what the developer needs once everything runs."""
    return "\n".join(
        (
            "",
            f"Smart Kitchen is ready (Home Assistant {version}, only on {HOST}):",
            f"  Home Assistant     {ha_url}   log in as {OWNER_USERNAME} / {OWNER_PASSWORD}",
            f"  Kitchen dashboard  {ha_url}/{DASHBOARD_URL_PATH}",
            f"  demo server        {server_url}   users {DEMO_USERS}",
            "The demo kitchen is idle."
            if idle
            else "The upper oven bakes and the dishwasher runs (--idle leaves them off).",
            "Ctrl-C stops both.",
            "",
        )
    )


# --- supervision -----------------------------------------------------------------------------------------


async def run_smoke(ha_url: str, server_url: str, env: dict[str, str]) -> int:
    """Run scripts/ha_smoke.py against the running instance; return its exit code."""
    smoke = await spawn(
        sys.executable,
        ROOT / "scripts" / "ha_smoke.py",
        "--ha",
        ha_url,
        "--server",
        server_url,
        env=env,
    )
    try:
        return await smoke.wait()
    finally:
        await stop_process(smoke, SERVER_STOP_TIMEOUT)


async def supervise(args: argparse.Namespace) -> int:
    """Run the server and Home Assistant until Ctrl-C, a failure, or Home Assistant stops for good."""
    config_dir: Path = args.config_dir
    ha_url = f"http://{HOST}:{args.port}"
    server_url = f"http://{HOST}:{args.server_port}"
    check_port_free(args.port, "Home Assistant", "--port")
    check_port_free(args.server_port, "the demo server", "--server-port")
    fresh = prepare_config_dir(config_dir, fresh=args.fresh)
    if fresh:
        skip_core_config_step(config_dir)
    pin_http_to_loopback(config_dir, args.port)
    say(
        f"Home Assistant login: {OWNER_USERNAME} / {OWNER_PASSWORD} "
        f"({'created now' if fresh else 'from the existing state'}; loopback only)"
    )

    env = dict(os.environ)
    # Home Assistant finds `custom_components` on PYTHONPATH: the integration runs from this checkout.
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, (str(ROOT), env.get("PYTHONPATH")))
    )
    server: asyncio.subprocess.Process | None = None
    hass: asyncio.subprocess.Process | None = None
    ready: asyncio.Task[None] | None = None
    try:
        async with aiohttp.ClientSession() as http:
            server = await spawn(
                sys.executable,
                "-m",
                "smart_kitchen_server",
                "--host",
                HOST,
                "--port",
                str(args.server_port),
                env=env,
            )
            # Home Assistant takes seconds to import, the server one: start both at once, and let
            # Home Assistant's setup wait for the server (a server failing to start ends it all).
            server_ready = asyncio.create_task(
                wait_for_server(http, server, server_url)
            )
            server_exit = asyncio.create_task(server.wait())
            first = True
            while True:
                # --skip-pip: the venv is scripts/setup's; Home Assistant never installs into it.
                hass = await spawn(
                    Path(sys.executable).parent / "hass",
                    "--config",
                    config_dir,
                    "--skip-pip",
                    env=env,
                )
                hass_exit = asyncio.create_task(hass.wait())
                ready = asyncio.create_task(
                    bring_up(
                        HomeAssistantApi(http, ha_url),
                        config_dir,
                        server_url,
                        server_ready,
                        first=first,
                        idle=args.idle,
                    )
                )
                pending: set[asyncio.Task[Any]] = {hass_exit, server_exit, ready}
                while not (hass_exit.done() or server_exit.done()):
                    done, pending = await asyncio.wait(
                        pending, return_when=asyncio.FIRST_COMPLETED
                    )
                    if ready in done:
                        ready.result()  # a setup failure ends the main job with its message
                        first = False
                        if args.smoke:
                            return await run_smoke(ha_url, server_url, env)
                ready.cancel()
                if server_exit.done():
                    raise DevelopError(
                        f"the demo server stopped unexpectedly ({exit_status(server)}); "
                        "stopping Home Assistant. Its log is above."
                    )
                if hass.returncode != 100:
                    say(f"Home Assistant stopped ({exit_status(hass)})")
                    # 0 when stopped from the UI; a signal from outside is a failure.
                    return hass.returncode if hass.returncode >= 0 else 1
                say(
                    "Home Assistant asked for a restart (exit code 100): starting it again"
                )
    finally:
        if ready is not None:
            ready.cancel()
        # Home Assistant first: its integration then sees the server as it was, and logs no outage.
        await stop_process(hass, HASS_STOP_TIMEOUT)
        await stop_process(server, SERVER_STOP_TIMEOUT)


def main() -> int:
    """Run the main job; Ctrl-C (SIGINT) or SIGTERM stops both processes, a second one kills them."""
    args = parse_args()
    loop = asyncio.new_event_loop()
    task = loop.create_task(supervise(args))
    stopping = False

    def on_signal() -> None:
        nonlocal stopping
        if stopping:
            say("stopping now")
            for child in _children():
                with suppress(ProcessLookupError):
                    os.kill(child, signal.SIGKILL)
            return
        stopping = True
        say("stopping Home Assistant and the demo server (Ctrl-C again to kill them)")
        task.cancel()

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(signum, on_signal)
    try:
        return loop.run_until_complete(task)
    except asyncio.CancelledError:
        return 0
    except (DevelopError, HomeAssistantApiError, aiohttp.ClientError) as err:
        # The message says what to do; Home Assistant's and the server's logs are above it.
        say(f"error: {err}")
        return 1
    finally:
        loop.close()


def _children() -> list[int]:
    """Return the process ids of develop's children."""
    children = Path(f"/proc/self/task/{os.getpid()}/children")
    with suppress(OSError):
        return [int(pid) for pid in children.read_text().split()]
    return []


if __name__ == "__main__":
    sys.exit(main())
