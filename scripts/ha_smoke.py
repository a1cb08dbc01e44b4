"""Check a running `scripts/develop` end to end, through Home Assistant's own APIs, as a user would see it.

usage: .venv/bin/python scripts/ha_smoke.py [--ha URL] [--server URL] [--restart]
(`scripts/develop --smoke`, and `scripts/develop --ha-version X`, run it by themselves.)

It logs in as the development owner and checks, printing one line per check:
- onboarding is finished and Home Assistant serves HTTP on 127.0.0.1 only, from its confirmed (stable)
  HTTP settings with nothing pending, so no revert-and-restart is scheduled, and no repair issue is open;
- the Smart Kitchen entry is loaded and its devices are in the Kitchen area;
- the Kitchen dashboard is registered and every entity it shows exists and has a state;
- live push: an oven heating or cooling on the server reaches Home Assistant's state machine on the
  next tick (waited for on Home Assistant's state events, not polled); the oven is put back as it was.
With --restart it then restarts Home Assistant through the `homeassistant.restart` action, as the UI
does, waits until it is back and checks it all again. Exits with 1 and says what failed otherwise.
"""

import argparse
import asyncio
from collections.abc import Iterator
from pathlib import Path
import sys
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from ha_api import HomeAssistantApi, HomeAssistantApiError, HomeAssistantSocket

DASHBOARD_URL_PATH = "dashboard-kitchen"
UPPER_TEMPERATURE = "sensor.double_oven_upper_temperature"
UPPER_MODE = "select.double_oven_upper_mode"
UPPER_TARGET = "number.double_oven_upper_target_temperature"
# A tick of the demo is 2 s; this only bounds a broken push.
PUSH_TIMEOUT = 60


class SmokeError(Exception):
    """A check failed; the message says which and what was seen."""


def ok(what: str) -> None:
    """Report a passed check."""
    print(f"ok: {what}", flush=True)


def listeners(port: int) -> list[str]:
    """Return the local addresses listening on TCP `port`, from the kernel's socket tables (Linux)."""
    addresses = []
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        path = Path(table)
        if not path.exists():
            continue
        for line in path.read_text(encoding="ascii").splitlines()[1:]:
            fields = line.split()
            address, hex_port = fields[1].split(":")
            if int(hex_port, 16) == port and fields[3] == "0A":  # 0A: LISTEN
                addresses.append(_address(address, width))
    return addresses


def _address(hex_address: str, width: int) -> str:
    """Turn a /proc/net address (little-endian words) into its usual text form."""
    words = [hex_address[i : i + 8] for i in range(0, width, 8)]
    raw = b"".join(bytes.fromhex(word)[::-1] for word in words)
    if width == 8:
        return ".".join(str(byte) for byte in raw)
    return ":".join(raw[i : i + 2].hex() for i in range(0, 16, 2))


async def check_http(ha: HomeAssistantApi, ws: HomeAssistantSocket) -> None:
    """Home Assistant listens on 127.0.0.1 only, from settings it keeps (no pending revert, no repair)."""
    port = urlsplit(ha.url).port or 8123
    if (found := listeners(port)) and found != ["127.0.0.1"]:
        raise SmokeError(f"port {port} is listened on at {found}, not only 127.0.0.1")
    http = await ws.call("http/config")
    stable = http["stable"]
    if stable.get("server_host") != ["127.0.0.1"] or stable["server_port"] != port:
        raise SmokeError(f"the stable HTTP settings are {stable}")
    if http["pending"] is not None or http["revert_at"] is not None:
        raise SmokeError(
            f"an HTTP setting is pending ({http['pending']}); it would be reverted at {http['revert_at']}"
        )
    if http["active_config_type"] != "stable":
        raise SmokeError(
            f"Home Assistant runs on its {http['active_config_type']} HTTP settings"
        )
    issues = [
        f"{issue['domain']}.{issue['issue_id']}"
        for issue in (await ws.call("repairs/list_issues"))["issues"]
        if issue["domain"] == "http" or issue["domain"] == "smart_kitchen"
    ]
    if issues:
        raise SmokeError(f"repair issues are open: {issues}")
    ok(
        f"HTTP on 127.0.0.1:{port} only ({', '.join(found) or 'listeners not visible here'}), "
        "stable settings, nothing pending, no repair issue"
    )


async def check_entry(ws: HomeAssistantSocket) -> None:
    """Check that the Smart Kitchen entry is loaded and its devices are in the Kitchen area."""
    entries = await ws.call("config_entries/get", domain="smart_kitchen")
    if [entry["state"] for entry in entries] != ["loaded"]:
        raise SmokeError(f"expected one loaded Smart Kitchen entry, found {entries}")
    entry_id = entries[0]["entry_id"]
    devices = [
        device
        for device in await ws.call("config/device_registry/list")
        if device.get("config_entry_id") == entry_id
        or entry_id in (device.get("config_entries") or ())
    ]
    outside = [device["name"] for device in devices if device["area_id"] != "kitchen"]
    if len(devices) < 4 or outside:
        raise SmokeError(f"{len(devices)} devices; not in the Kitchen area: {outside}")
    ok(f"Smart Kitchen entry loaded, its {len(devices)} devices in the Kitchen area")


def _entities(node: Any) -> Iterator[str]:
    """Yield every entity id a dashboard configuration refers to."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("entity", "entity_id") and isinstance(value, str):
                yield value
            else:
                yield from _entities(value)
    elif isinstance(node, list):
        for item in node:
            if isinstance(item, str) and "." in item and " " not in item:
                yield item
            else:
                yield from _entities(item)


async def check_dashboard(ws: HomeAssistantSocket) -> None:
    """Check that the Kitchen dashboard is registered and its entities exist and have a state."""
    dashboards = {
        dashboard["url_path"] for dashboard in await ws.call("lovelace/dashboards/list")
    }
    if DASHBOARD_URL_PATH not in dashboards:
        raise SmokeError(f"no {DASHBOARD_URL_PATH} among the dashboards {dashboards}")
    config = await ws.call("lovelace/config", url_path=DASHBOARD_URL_PATH, force=True)
    wanted = set(_entities(config))
    states = {
        state["entity_id"]: state["state"] for state in await ws.call("get_states")
    }
    missing = sorted(wanted - states.keys())
    # Buttons are unavailable while they cannot be pressed; everything else has a state now.
    unavailable = sorted(
        entity
        for entity in wanted & states.keys()
        if states[entity] == "unavailable" and not entity.startswith("button.")
    )
    if missing or unavailable:
        raise SmokeError(
            f"dashboard entities missing: {missing}; unavailable: {unavailable}"
        )
    ok(f"Kitchen dashboard registered; its {len(wanted)} entities exist")


async def check_push(ha: HomeAssistantApi, ws: HomeAssistantSocket) -> None:
    """Check that an oven heating (or cooling) on the server reaches Home Assistant's state machine.

    The oven is put back in the mode and target it had, e.g. as scripts/develop left it baking.
    """
    changes = await ws.subscribe(
        "subscribe_trigger",
        trigger={"trigger": "state", "entity_id": UPPER_TEMPERATURE},
    )
    states = {
        state["entity_id"]: state["state"] for state in await ws.call("get_states")
    }
    start = float(states[UPPER_TEMPERATURE])
    mode, target = states[UPPER_MODE], states[UPPER_TARGET]
    # A target far from the temperature: it moves on the next tick either way.
    await set_oven(ha, "bake", 250 if start < 200 else 50)
    try:
        async with asyncio.timeout(PUSH_TIMEOUT):
            while True:
                event = await changes.get()
                if event.get("closed"):
                    raise SmokeError("Home Assistant went away")
                new = event["variables"]["trigger"]["to_state"]
                if (
                    new is not None
                    and new["state"] not in ("unknown", "unavailable")
                    and float(new["state"]) != start
                ):
                    break
    except TimeoutError:
        raise SmokeError(
            f"{UPPER_TEMPERATURE} stayed at {start} °C for {PUSH_TIMEOUT} s with the oven on"
        ) from None
    finally:
        await set_oven(ha, mode, None if mode == "off" else float(target))
    ok(f"live push: {UPPER_TEMPERATURE} {start} -> {new['state']} °C on the next tick")


async def set_oven(ha: HomeAssistantApi, mode: str, target: float | None) -> None:
    """Set the upper oven's mode and target through Home Assistant, as the dashboard does."""
    # The server refuses a target while the oven is off (409), so the mode comes first.
    await ha.call_service(
        "select", "select_option", {"entity_id": UPPER_MODE, "option": mode}
    )
    if target is not None:
        await ha.call_service(
            "number", "set_value", {"entity_id": UPPER_TARGET, "value": target}
        )


async def check_all(ha: HomeAssistantApi) -> None:
    """Run every check on the running instance."""
    async with ha.websocket() as ws:
        config = await ws.wait_until_running()
        ok(f"Home Assistant {config['version']} running, onboarding done")
        await check_http(ha, ws)
        await check_entry(ws)
        await check_dashboard(ws)
        await check_push(ha, ws)


async def restart(ha: HomeAssistantApi) -> None:
    """Restart Home Assistant as the UI does, and wait until it has gone and answers again."""
    async with ha.websocket() as ws:
        stopping = await ws.subscribe(
            "subscribe_events", event_type="homeassistant_stop"
        )
        await ha.call_service("homeassistant", "restart", {})
        async with asyncio.timeout(120):
            await stopping.get()  # the event, or the connection closing as it stops
    await _until_answering(ha, answering=False, within=120)
    await _until_answering(ha, answering=True, within=300)
    # The login survives the restart (refresh tokens are stored), so the checks run with it again.
    ok("Home Assistant restarted through homeassistant.restart and answers again")


async def _until_answering(
    ha: HomeAssistantApi, *, answering: bool, within: float
) -> None:
    """Wait until Home Assistant answers HTTP (or, with answering=False, no longer does)."""
    async with asyncio.timeout(within):
        while True:
            if (await ha.onboarding() is not None) is answering:
                return
            # A separate process stopping and starting again: ask it every half second.
            await asyncio.sleep(0.5)


async def main() -> int:
    """Run the checks (and the restart) and return the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ha", default="http://127.0.0.1:8123")
    parser.add_argument("--server", default="http://127.0.0.1:8765")
    parser.add_argument(
        "--restart",
        action="store_true",
        help="also restart Home Assistant through homeassistant.restart and check again",
    )
    args = parser.parse_args()
    async with aiohttp.ClientSession() as http:
        ha = HomeAssistantApi(http, args.ha)
        try:
            await ha.login("dev", "dev")
            await check_all(ha)
            if args.restart:
                await restart(ha)
                await check_all(ha)
        except (SmokeError, HomeAssistantApiError) as err:
            print(f"FAILED: {err}", file=sys.stderr)
            return 1
        finally:
            await ha.revoke()
    print("smoke: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
