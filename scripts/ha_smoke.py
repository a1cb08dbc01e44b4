"""Drive a running `scripts/develop` like a first-time user: onboard, add Smart Kitchen, read live states.

usage: .venv/bin/python scripts/ha_smoke.py [--ha http://127.0.0.1:8123] [--server http://127.0.0.1:8765]
Prints the Smart Kitchen entities with their states, bakes in the upper oven, and prints what changed
once the oven's temperature rise has been pushed through to Home Assistant.
"""

import argparse
import asyncio
from collections.abc import Callable
import sys
from typing import Any

import aiohttp

CLIENT_ID = "http://127.0.0.1:8123/"


async def _onboard(http: aiohttp.ClientSession, ha: str) -> str:
    """Create the owner account on a fresh instance (or log in to it) and return an access token."""
    async with http.post(
        f"{ha}/api/onboarding/users",
        json={
            "client_id": CLIENT_ID,
            "name": "Dev",
            "username": "dev",
            "password": "dev-password",
            "language": "en",
        },
    ) as response:
        if response.status != 200:
            sys.exit(
                f"onboarding refused ({response.status}); use a fresh config/ directory"
            )
        code = (await response.json())["auth_code"]
    async with http.post(
        f"{ha}/auth/token",
        data={"grant_type": "authorization_code", "code": code, "client_id": CLIENT_ID},
    ) as response:
        return str((await response.json())["access_token"])


async def _add_integration(
    http: aiohttp.ClientSession, ha: str, headers: dict[str, str], server: str
) -> dict[str, Any]:
    """Run the Smart Kitchen config flow through the REST API, as the frontend does."""
    async with http.post(
        f"{ha}/api/config/config_entries/flow",
        json={"handler": "smart_kitchen"},
        headers=headers,
    ) as response:
        flow = await response.json()
    async with http.post(
        f"{ha}/api/config/config_entries/flow/{flow['flow_id']}",
        json={
            "url": server,
            "username": "demo",
            "password": "demo",
            "verify_ssl": True,
        },
        headers=headers,
    ) as response:
        result: dict[str, Any] = await response.json()
    return result


async def _states(
    http: aiohttp.ClientSession, ha: str, headers: dict[str, str]
) -> dict[str, str]:
    """Return entity_id -> state for every Smart Kitchen entity."""
    async with http.get(f"{ha}/api/states", headers=headers) as response:
        states = await response.json()
    return {
        state["entity_id"]: state["state"]
        for state in states
        if "double_oven" in state["entity_id"]
        or "fridge" in state["entity_id"]
        or "dishwasher" in state["entity_id"]
        or "demo_kitchen" in state["entity_id"]
    }


async def _wait_for(
    ws: aiohttp.ClientWebSocketResponse,
    states: dict[str, str],
    done: Callable[[dict[str, str]], bool],
    what: str,
) -> None:
    """Apply state_changed events from Home Assistant to `states` until `done(states)` holds."""
    async with asyncio.timeout(30):
        while not done(states):
            event = (await ws.receive_json())["event"]["data"]
            if (new := event.get("new_state")) is not None:
                states[event["entity_id"]] = new["state"]
    print(f"{what}: ok")


async def _subscribe(
    http: aiohttp.ClientSession, ha: str, token: str
) -> aiohttp.ClientWebSocketResponse:
    """Open Home Assistant's WebSocket API and subscribe to state changes."""
    ws = await http.ws_connect(f"{ha}/api/websocket")
    await ws.receive_json()  # auth_required
    await ws.send_json({"type": "auth", "access_token": token})
    if (await ws.receive_json())["type"] != "auth_ok":
        sys.exit("Home Assistant refused the token")
    await ws.send_json(
        {"id": 1, "type": "subscribe_events", "event_type": "state_changed"}
    )
    await ws.receive_json()  # result
    return ws


async def main() -> None:
    """Onboard, add the integration, print states, start the oven and show what changed."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ha", default="http://127.0.0.1:8123")
    parser.add_argument("--server", default="http://127.0.0.1:8765")
    args = parser.parse_args()
    async with aiohttp.ClientSession() as http:
        token = await _onboard(http, args.ha)
        headers = {"Authorization": f"Bearer {token}"}
        ws = await _subscribe(http, args.ha, token)
        result = await _add_integration(http, args.ha, headers, args.server)
        print(
            "config flow:",
            result.get("type"),
            result.get("title"),
            result.get("errors"),
        )
        states = await _states(http, args.ha, headers)
        await _wait_for(
            ws,
            states,
            lambda states: any(entity.startswith("event.") for entity in states),
            "entities created",
        )
        before = dict(states)
        for entity_id, state in sorted(before.items()):
            print(f"  {entity_id}: {state}")
        # The server refuses a target while the oven is off (409), so choose the mode first.
        for service, data in (
            (
                "select/select_option",
                {"entity_id": "select.double_oven_upper_mode", "option": "bake"},
            ),
            (
                "number/set_value",
                {
                    "entity_id": "number.double_oven_upper_target_temperature",
                    "value": 200,
                },
            ),
        ):
            async with http.post(
                f"{args.ha}/api/services/{service}", json=data, headers=headers
            ) as response:
                print(f"{service}: HTTP {response.status}")
        await _wait_for(
            ws,
            states,
            lambda states: float(states["sensor.double_oven_upper_temperature"]) >= 41,
            "oven heating pushed to Home Assistant",
        )
        after = states
        for entity_id in sorted(after):
            if after[entity_id] != before.get(entity_id):
                print(
                    f"  changed {entity_id}: {before.get(entity_id)} -> {after[entity_id]}"
                )


if __name__ == "__main__":
    asyncio.run(main())
