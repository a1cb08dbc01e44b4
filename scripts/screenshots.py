"""Take the README's screenshots from the real frontend of a running `scripts/develop`, in headless Chromium.

Run through `scripts/screenshots` (which prepares the venv). It logs in as the development owner, sets the
kitchen in motion the way a user would (bakes in the upper oven, runs the dishwasher, leaves the fridge
door open until its alert fires), takes the pictures, and puts the kitchen back as it was, so it can be run
again at any time. Chromium is driven over its DevTools protocol; the login reaches the frontend as the
`hassTokens` it keeps in localStorage, never on the command line.
"""

import argparse
import asyncio
import base64
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
import json
import os
from pathlib import Path
import re
import shutil
import sys
import tempfile
import time
from typing import Any

import aiohttp
from ha_api import HomeAssistantApi, HomeAssistantSocket

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--no-first-run",
    "--mute-audio",
    "--hide-scrollbars",
    "--lang=en-US",
    "--force-device-scale-factor=1",
    "--remote-debugging-port=0",
)

# Finds elements through every shadow root: Home Assistant's frontend is made of nested web components.
DEEP_QUERY = """
const deepAll = (selector, root = document) => {
  const found = [];
  const walk = (node) => {
    found.push(...node.querySelectorAll(selector));
    for (const element of node.querySelectorAll("*")) {
      if (element.shadowRoot) walk(element.shadowRoot);
    }
  };
  walk(root);
  return found;
};
const clickOnce = (hostTag, text) => {
  // Click a dialog's button once, e.g. the "Do you want to set up …?" confirmation before a flow.
  if (window.__clicked) return;
  for (const host of deepAll(hostTag)) {
    for (const button of deepAll("ha-button, mwc-button, button", host.shadowRoot || host)) {
      if (button.textContent.trim() === text) {
        window.__clicked = true;
        button.click();
        return;
      }
    }
  }
};
// Icons arrive after their elements (icon sets load lazily): a picture waits for every path.
const iconsDrawn = () =>
  deepAll("ha-icon, ha-state-icon").every((icon) =>
    deepAll("ha-svg-icon", icon.shadowRoot || icon).some((svg) => svg.path));
const visible = (element) => {
  const box = element.getBoundingClientRect();
  return box.width > 0 && box.height > 0;
};
"""

# What each page shows once it has rendered its data (checked in the page on every animation frame).
READY = {
    "dashboard": """
      deepAll("hui-tile-card").length >= 20
      && deepAll("hui-history-graph-card").every(
           (card) => card.shadowRoot && deepAll("ha-chart-base", card.shadowRoot).length > 0)
      && deepAll("hui-logbook-card").every(
           (card) => card.shadowRoot && deepAll("ha-logbook-renderer", card.shadowRoot).length > 0)
      && deepAll("ha-spinner").filter(visible).length === 0
    """,
    "device": """
      deepAll("ha-device-entities-card").length > 0
      && deepAll("ha-device-info-card").length > 0
      && deepAll("ha-spinner").filter(visible).length === 0
    """,
    "config_flow": """
      (clickOnce("dialog-box", "OK"), true)
      && deepAll("step-flow-form").length > 0
      && deepAll("ha-selector-text").length >= 3
      // The step's description arrives with its translations, and the field descriptions with it.
      && deepAll("ha-markdown-element").some((element) => element.textContent.trim())
    """,
    "logbook": """
      deepAll("ha-logbook-renderer").length > 0
      && deepAll(".entry-container, .entry").length > 0
      && deepAll("ha-spinner").filter(visible).length === 0
    """,
}

# How long a page may take to show its data, in milliseconds (a cold frontend loads in seconds).
RENDER_TIMEOUT_MS = 45000
ALERT_ENTITY = "event.fridge_freezer_alert"
COOK_TIMER = "number.double_oven_upper_cook_timer"
LOGBOOK_ENTITIES = (
    ALERT_ENTITY,
    "binary_sensor.fridge_freezer_fridge_door_alarm",
    "binary_sensor.fridge_freezer_fridge_door",
)


class ScreenshotError(Exception):
    """A screenshot could not be taken; the message says which and why."""


class DevTools:
    """One Chromium page, driven over the DevTools protocol."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        """Use a connection to the browser's DevTools endpoint."""
        self._ws = ws
        self._next_id = 0
        self._results: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._reader = asyncio.create_task(self._read())
        self.session: str | None = None

    async def _read(self) -> None:
        """Hand each answer to the command waiting for it (events are not needed here)."""
        async for message in self._ws:
            data = json.loads(message.data)
            if (future := self._results.pop(data.get("id", -1), None)) is not None:
                future.set_result(data)

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        """Send a command (to the page once attached) and return its result."""
        self._next_id += 1
        future: asyncio.Future[dict[str, Any]] = (
            asyncio.get_running_loop().create_future()
        )
        self._results[self._next_id] = future
        message: dict[str, Any] = {
            "id": self._next_id,
            "method": method,
            "params": params,
        }
        if self.session is not None:
            message["sessionId"] = self.session
        await self._ws.send_json(message)
        async with asyncio.timeout(60):
            answer = await future
        if "error" in answer:
            raise ScreenshotError(f"{method}: {answer['error'].get('message')}")
        result: dict[str, Any] = answer.get("result", {})
        return result

    async def open_page(self) -> None:
        """Open a blank page and direct every later command to it."""
        target = await self.send("Target.createTarget", url="about:blank")
        attached = await self.send(
            "Target.attachToTarget", targetId=target["targetId"], flatten=True
        )
        self.session = attached["sessionId"]
        await self.send("Page.enable")
        # No chart animations or transitions half-way through in a picture.
        await self.send(
            "Emulation.setEmulatedMedia",
            features=[{"name": "prefers-reduced-motion", "value": "reduce"}],
        )

    async def evaluate(self, expression: str) -> Any:
        """Evaluate JavaScript in the page (awaiting a promise) and return its value."""
        result = await self.send(
            "Runtime.evaluate",
            expression=expression,
            awaitPromise=True,
            returnByValue=True,
        )
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise ScreenshotError(
                details.get("exception", {}).get("description") or details["text"]
            )
        return result["result"].get("value")

    def close(self) -> None:
        """Stop reading the connection."""
        self._reader.cancel()


def find_chromium(explicit: str | None) -> str:
    """Return the Chromium (or Chrome) executable to use."""
    for candidate in (
        explicit,
        os.environ.get("CHROMIUM"),
        "chromium",
        "chromium-browser",
        "google-chrome",
    ):
        if candidate and (path := shutil.which(candidate)):
            return path
    raise ScreenshotError(
        "no Chromium found: install it (Debian/Ubuntu: `apt-get install chromium`) "
        "or pass --chromium PATH"
    )


@asynccontextmanager
async def chromium(
    http: aiohttp.ClientSession, executable: str
) -> AsyncIterator[DevTools]:
    """Start a headless Chromium with a throwaway profile and connect to its DevTools endpoint."""
    with tempfile.TemporaryDirectory(prefix="smart-kitchen-chromium-") as profile:
        process = await asyncio.create_subprocess_exec(
            executable,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            "about:blank",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            assert process.stderr is not None
            endpoint = None
            async with asyncio.timeout(60):
                # Chromium prints its DevTools address on stderr once it listens.
                while endpoint is None:
                    line = (await process.stderr.readline()).decode(errors="replace")
                    if not line:
                        raise ScreenshotError(
                            f"Chromium exited (code {await process.wait()}) before it listened"
                        )
                    if match := re.search(r"DevTools listening on (ws://\S+)", line):
                        endpoint = match.group(1)
            async with http.ws_connect(endpoint, max_msg_size=0) as ws:
                devtools = DevTools(ws)
                try:
                    await devtools.open_page()
                    yield devtools
                finally:
                    devtools.close()
        finally:
            with suppress(ProcessLookupError):
                process.terminate()
            await process.wait()


async def shoot(
    devtools: DevTools,
    url: str,
    ready: str,
    path: Path,
    *,
    width: int = 1280,
    height: int = 900,
) -> None:
    """Open `url`, wait until the page shows its data, and save a PNG of the viewport."""
    await devtools.send(
        "Emulation.setDeviceMetricsOverride",
        width=width,
        height=height,
        deviceScaleFactor=1,
        mobile=False,
    )
    await devtools.send("Page.navigate", url=url)
    condition = READY[ready]
    try:
        await devtools.evaluate(
            f"""(async () => {{
              {DEEP_QUERY}
              const deadline = Date.now() + {RENDER_TIMEOUT_MS};
              while (!(({condition}) && iconsDrawn())) {{
                if (Date.now() > deadline) throw new Error("the page did not finish rendering");
                await new Promise((resolve) => requestAnimationFrame(resolve));
              }}
              await document.fonts.ready;
              // Two more frames: the last data is laid out and painted, not just in the DOM.
              await new Promise((resolve) => requestAnimationFrame(resolve));
              await new Promise((resolve) => requestAnimationFrame(resolve));
            }})()"""
        )
    except ScreenshotError as err:
        # What the page showed instead tells why; it goes next to the system's temporary files.
        failed = Path(tempfile.gettempdir()) / f"failed-{path.name}"
        shot = await devtools.send("Page.captureScreenshot", format="png")
        await asyncio.to_thread(failed.write_bytes, base64.b64decode(shot["data"]))
        raise ScreenshotError(
            f"{path.name} ({url}): {err}; the page as it was: {failed}"
        ) from err
    shot = await devtools.send("Page.captureScreenshot", format="png")
    await asyncio.to_thread(path.write_bytes, base64.b64decode(shot["data"]))
    print(f"screenshots: wrote {path}", flush=True)


async def seed_login(devtools: DevTools, ha: HomeAssistantApi) -> None:
    """Let the frontend start logged in: it reads its tokens from localStorage (`hassTokens`)."""
    assert ha.tokens is not None
    tokens = {
        "hassUrl": ha.url,
        "clientId": ha.client_id,
        "access_token": ha.tokens.access_token,
        "refresh_token": ha.tokens.refresh_token,
        "expires_in": ha.tokens.expires_in,
        "expires": int(time.time() * 1000) + ha.tokens.expires_in * 1000,
        "token_type": "Bearer",
    }
    await devtools.send(
        "Page.addScriptToEvaluateOnNewDocument",
        source=(
            f"if (location.origin === {json.dumps(ha.url)}) "
            f"localStorage.setItem('hassTokens', {json.dumps(json.dumps(tokens))});"
        ),
    )


async def server_request(
    http: aiohttp.ClientSession,
    server: str,
    path: str,
    body: dict[str, Any],
    token: str | None = None,
) -> dict[str, Any]:
    """POST to the demo server's REST API (login, or its simulation API)."""
    async with http.post(
        f"{server}{path}",
        json=body,
        headers={"Authorization": f"Bearer {token}"} if token else None,
    ) as response:
        if response.status != 200:
            raise ScreenshotError(
                f"the demo server answered {response.status} to {path}"
            )
        answer: dict[str, Any] = await response.json()
        return answer


async def set_kitchen_in_motion(
    ha: HomeAssistantApi, ws: HomeAssistantSocket
) -> dict[str, str]:
    """Bake in the upper oven with its cook timer set, and run the dishwasher, like a user would.

    Returns the states before, for `put_kitchen_back`. What already runs (scripts/develop starts
    the oven and the dishwasher) is left as it is.
    """
    before = {
        state["entity_id"]: state["state"] for state in await ws.call("get_states")
    }
    if before["select.double_oven_upper_mode"] == "off":
        await ha.call_service(
            "select",
            "select_option",
            {"entity_id": "select.double_oven_upper_mode", "option": "bake"},
        )
        await ha.call_service(
            "number",
            "set_value",
            {"entity_id": "number.double_oven_upper_target_temperature", "value": 200},
        )
    if before[COOK_TIMER] == "unknown":
        # The timer runs on the server's clock, so it still shows its minutes in every picture.
        await ha.call_service(
            "number", "set_value", {"entity_id": COOK_TIMER, "value": 45}
        )
    status = before["sensor.dishwasher_status"]
    if status == "paused":
        await ha.call_service(
            "button", "press", {"entity_id": "button.dishwasher_resume_program"}
        )
    elif status in ("idle", "finished"):
        await ha.call_service(
            "select",
            "select_option",
            {"entity_id": "select.dishwasher_program", "option": "eco"},
        )
        await ha.call_service(
            "button", "press", {"entity_id": "button.dishwasher_start_program"}
        )
    return before


async def wait_for_state(
    ws: HomeAssistantSocket,
    entity_id: str,
    condition: Callable[[dict[str, Any]], bool],
    within: float = 60,
) -> None:
    """Wait until an entity's state object satisfies `condition` (checked now and on every change)."""
    changes = await ws.subscribe(
        "subscribe_trigger",
        trigger={"trigger": "state", "entity_id": entity_id},
    )
    for state in await ws.call("get_states"):
        if state["entity_id"] == entity_id and condition(state):
            return
    async with asyncio.timeout(within):
        while True:
            event = await changes.get()
            if event.get("closed"):
                raise ScreenshotError("Home Assistant went away")
            to_state = event["variables"]["trigger"]["to_state"]
            if to_state is not None and condition(to_state):
                return


async def raise_door_alert(
    http: aiohttp.ClientSession, server: str, ws: HomeAssistantSocket
) -> None:
    """Leave the fridge door open until its alert reaches Home Assistant, then close it."""
    token = (
        await server_request(
            http, server, "/api/login", {"username": "demo", "password": "demo"}
        )
    )["token"]
    door = "/api/simulation/devices/fridge-1/door"
    alert_before = next(
        (
            state["state"]
            for state in await ws.call("get_states")
            if state["entity_id"] == ALERT_ENTITY
        ),
        None,
    )
    await server_request(
        http, server, door, {"compartment": "fridge", "open": True}, token
    )
    print("screenshots: fridge door open; waiting for its door alert (about 30 s)")
    try:
        # The demo raises `door_open` after 15 ticks of 2 s with the door open (and, on the way,
        # `temperature_high`): wait for a new event of the right type.
        await wait_for_state(
            ws,
            ALERT_ENTITY,
            lambda state: (
                state["state"] != alert_before
                and state["attributes"].get("event_type") == "door_open"
            ),
            within=120,
        )
    finally:
        await server_request(
            http, server, door, {"compartment": "fridge", "open": False}, token
        )
    await wait_for_state(
        ws,
        "binary_sensor.fridge_freezer_fridge_door_alarm",
        lambda state: state["state"] == "off",
    )


async def put_kitchen_back(ha: HomeAssistantApi, before: dict[str, str]) -> None:
    """Turn off what `set_kitchen_in_motion` turned on."""
    if before[COOK_TIMER] == "unknown":
        await ha.call_service(
            "number", "set_value", {"entity_id": COOK_TIMER, "value": 0}
        )
    if before["select.double_oven_upper_mode"] == "off":
        await ha.call_service(
            "select",
            "select_option",
            {"entity_id": "select.double_oven_upper_mode", "option": "off"},
        )
    if before["sensor.dishwasher_status"] in ("idle", "finished"):
        await ha.call_service(
            "button", "press", {"entity_id": "button.dishwasher_cancel_program"}
        )


async def device_id(ws: HomeAssistantSocket, name: str) -> str:
    """Return the id of the device with this name."""
    for device in await ws.call("config/device_registry/list"):
        if (device["name_by_user"] or device["name"]) == name:
            return str(device["id"])
    raise ScreenshotError(f"no device named {name!r}: is Smart Kitchen set up?")


async def abort_user_flows(ha: HomeAssistantApi, ws: HomeAssistantSocket) -> None:
    """Abort the Smart Kitchen config flow the screenshot opened, so no flow is left in progress."""
    for flow in await ws.call("config_entries/flow/progress"):
        if (
            flow["handler"] == "smart_kitchen"
            and flow["context"].get("source") == "user"
        ):
            await ha.delete(f"/api/config/config_entries/flow/{flow['flow_id']}")


async def main() -> None:
    """Take every screenshot, or stop with a message saying which failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ha", default="http://127.0.0.1:8123")
    parser.add_argument("--server", default="http://127.0.0.1:8765")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    parser.add_argument("--chromium", help="the Chromium executable")
    args = parser.parse_args()
    executable = find_chromium(args.chromium)
    args.out.mkdir(parents=True, exist_ok=True)
    async with aiohttp.ClientSession() as http:
        ha = HomeAssistantApi(http, args.ha)
        if await ha.onboarding() is None:
            raise ScreenshotError(
                f"no Home Assistant answers on {args.ha}: start scripts/develop first"
            )
        await ha.login("dev", "dev")
        try:
            async with ha.websocket() as ws, chromium(http, executable) as devtools:
                await seed_login(devtools, ha)
                before = await set_kitchen_in_motion(ha, ws)
                try:
                    await raise_door_alert(http, args.server, ws)
                    await shoot(
                        devtools,
                        f"{args.ha}/dashboard-kitchen/kitchen",
                        "dashboard",
                        args.out / "dashboard.png",
                        width=1920,
                        height=1200,
                    )
                    fridge = await device_id(ws, "Fridge Freezer")
                    await shoot(
                        devtools,
                        f"{args.ha}/config/devices/device/{fridge}",
                        "device",
                        args.out / "device.png",
                        height=1100,
                    )
                    await shoot(
                        devtools,
                        f"{args.ha}/logbook?entity_id={','.join(LOGBOOK_ENTITIES)}",
                        "logbook",
                        args.out / "logbook.png",
                        height=700,
                    )
                    try:
                        await shoot(
                            devtools,
                            f"{args.ha}/config/integrations/dashboard/add?domain=smart_kitchen",
                            "config_flow",
                            args.out / "config_flow.png",
                            height=1000,
                        )
                    finally:
                        await abort_user_flows(ha, ws)
                finally:
                    await put_kitchen_back(ha, before)
        finally:
            await ha.revoke()


def run() -> int:
    """Take the screenshots; say what failed and return 1 if one could not be taken."""
    try:
        asyncio.run(main())
    except ScreenshotError as err:
        print(f"screenshots: error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(run())
