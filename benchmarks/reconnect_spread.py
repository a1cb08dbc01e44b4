"""How 50 clients of the library (`SmartKitchenConnection`) come back after the server restarts at once.

Standalone: `.venv/bin/python -m benchmarks.reconnect_spread [--clients 50] [--cycles 3] [--outage 1]`
starts its own server (kill -9, restart on the same port) and prints the spread as JSON. `scripts/bench`
runs the same measurement as one of its steps. Each client runs in one helper process with the library's
own defaults (waits by how long the server is away, full jitter, starting over once a stream is
subscribed again), as a real client would.
"""

import argparse
import asyncio
from functools import partial
import importlib.util
import json
from pathlib import Path
import sys
import tempfile
from types import ModuleType
from typing import Any

import aiohttp

from . import rpc
from .common import PASSWORD, USERNAME, free_port, now, summarize, wait_until
from .kitchen import password_hash
from .processes import ProbeLog, ServerProcess
from .rpc import REPO

KINDS = ("oven", "fridge", "dishwasher")


def _library() -> ModuleType:
    """Load the client library as the package it is meant to be published as.

    `custom_components.smart_kitchen.api` would first import the integration, and with it Home
    Assistant (seconds of CPU); the library itself imports nothing of either.
    """
    path = REPO / "custom_components" / "smart_kitchen" / "api"
    spec = importlib.util.spec_from_file_location(
        "smart_kitchen_api",
        path / "__init__.py",
        submodule_search_locations=[str(path)],
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


class Crowd:
    """Library connections in one process, each stamping when it is connected and has its snapshot."""

    def __init__(self, url: str) -> None:
        """Prepare; `start` opens the connections."""
        self.url = url
        self.session: aiohttp.ClientSession
        self.connections: list[Any] = []
        self.tasks: list[asyncio.Task[None]] = []
        # Per client: (connected at, whole snapshot at) of every connection it made.
        self.sessions: list[list[list[float | None]]] = []

    async def start(self, accounts: list[list[Any]], snapshot: int) -> dict[str, Any]:
        """Open one connection per account ([username, device ids]), subscribed to its devices."""
        api = _library()
        ConnectionState = api.ConnectionState
        ConnectionStateChanged = api.ConnectionStateChanged
        DeviceUpdate = api.DeviceUpdate

        await self.close()
        self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        for index, (username, devices) in enumerate(accounts):
            history: list[list[float | None]] = []
            self.sessions.append(history)
            counted = [0]

            def on_event(
                event: Any,
                history: list[list[float | None]] = history,
                counted: list[int] = counted,
            ) -> None:
                if isinstance(event, ConnectionStateChanged):
                    if event.state is ConnectionState.CONNECTED:
                        history.append([now(), None])
                        counted[0] = 0
                elif (
                    isinstance(event, DeviceUpdate)
                    and history
                    and history[-1][1] is None
                ):
                    counted[0] += 1
                    if counted[0] == snapshot:
                        history[-1][1] = now()

            connection = api.SmartKitchenConnection(
                api.SmartKitchenClient(
                    self.url, session=self.session, username=username, password=PASSWORD
                ),
                on_event=on_event,
                device_ids=devices,
            )
            self.connections.append(connection)
            self.tasks.append(
                asyncio.create_task(connection.run(), name=f"client-{index}")
            )
        return {}

    async def whole(self, since: float) -> dict[str, Any]:
        """Count the clients that connected and got their whole snapshot after `since`."""
        times = [
            next(
                (
                    (c, w)
                    for c, w in history
                    if c is not None and c >= since and w is not None
                ),
                None,
            )
            for history in self.sessions
        ]
        done = [t for t in times if t is not None]
        return {
            "whole": len(done),
            "connected": [c for c, _ in done],
            "snapshot": [w for _, w in done],
        }

    async def close(self) -> dict[str, Any]:
        """Close every connection (before opening fresh ones, or at the end)."""
        await asyncio.gather(*(c.close() for c in self.connections))
        await asyncio.gather(*self.tasks, return_exceptions=True)
        if self.connections:
            await self.session.close()
        self.connections, self.tasks, self.sessions = [], [], []
        return {}


async def measure_spread(
    workdir: Path, *, clients: int, cycles: int, outage: float
) -> dict[str, Any]:
    """Restart a server under `clients` library connections `cycles` times; return the spread.

    Each client is its own user with an oven, a fridge and a dishwasher (a building's kitchens).
    """
    config = workdir / "server-spread.json"
    accounts = [
        [f"{USERNAME}{n}", [f"u{n}-{kind}" for kind in KINDS]] for n in range(clients)
    ]
    config.write_text(
        json.dumps(
            {
                "server_id": "bench-spread",
                "tick": 2.0,
                "users": [
                    {"username": username, "password_hash": password_hash()}
                    for username, _ in accounts
                ],
                "devices": [
                    {
                        "id": device,
                        "type": device.split("-")[1],
                        "name": device,
                        "owner": username,
                    }
                    for username, devices in accounts
                    for device in devices
                ],
            }
        ),
        encoding="utf-8",
    )
    server = ServerProcess(
        config,
        free_port(),
        ProbeLog(workdir / "server-spread.probe"),
        workdir / "server-spread.log",
    )
    await server.start()
    startup = server.startup
    crowd = await rpc.Helper.start(
        "reconnect_spread", "--helper", server.url, log=workdir / "reconnect_spread.log"
    )
    connected: list[float] = []
    snapshot: list[float] = []
    spreads: list[float] = []
    outages: list[float] = []
    try:
        for _ in range(cycles):
            # Fresh connections each cycle, all starting at once after the restart.
            # An oven's compartment (main), the fridge's two, the dishwasher: four updates per snapshot.
            await crowd.call("start", accounts=accounts, snapshot=4)
            await wait_until(
                partial(_all_whole, crowd, 0.0, clients), 300, "every client to connect"
            )
            killed = await server.kill()
            await asyncio.sleep(max(0.0, outage - startup))
            since = await server.start()
            outages.append(since - killed)
            await wait_until(
                partial(_all_whole, crowd, since, clients),
                300,
                "every client to be back",
            )
            times = await crowd.call("whole", since=since)
            connected += [t - since for t in times["connected"]]
            snapshot += [t - since for t in times["snapshot"]]
            spreads.append(max(times["snapshot"]) - min(times["snapshot"]))
    finally:
        await crowd.stop()
        await server.stop()
    return {
        "clients": clients,
        "cycles": cycles,
        "outage_s": summarize(outages, 1),
        "connected_s": summarize(connected, 1),
        "snapshot_s": summarize(snapshot, 1),
        "spread_s": summarize(spreads, 1),
        "histogram_s": _histogram(snapshot),
    }


async def _all_whole(crowd: rpc.Helper, since: float, clients: int) -> bool:
    """Tell whether every client connected and got its snapshot after `since`."""
    return bool((await crowd.call("whole", since=since))["whole"] == clients)


def _histogram(values: list[float]) -> dict[str, int]:
    """Count values (seconds) per half-second bucket."""
    buckets: dict[str, int] = {}
    for value in sorted(values):
        low = int(value * 2) / 2
        key = f"{low:g}-{low + 0.5:g}"
        buckets[key] = buckets.get(key, 0) + 1
    return buckets


def main() -> None:
    """Run the helper (`--helper URL`) or the standalone measurement."""
    if sys.argv[1:2] == ["--helper"]:
        crowd = Crowd(sys.argv[2])
        rpc.run({"start": crowd.start, "whole": crowd.whole, "stop": crowd.close})
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--cycles", type=int, default=3)
    parser.add_argument("--outage", type=float, default=1.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="smart-kitchen-spread-") as workdir:
        result = asyncio.run(
            measure_spread(
                Path(workdir),
                clients=args.clients,
                cycles=args.cycles,
                outage=args.outage,
            )
        )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
