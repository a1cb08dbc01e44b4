"""The load generator: keeps a share of the appliances busy, so every tick changes their state.

Busy means a state change on every simulation tick, with few requests and without alerts:

- an oven compartment bakes and swings between about 70 and 270 °C (100 ticks cooling toward a 30 °C
  target, 20 ticks heating toward 300 °C), so its temperature moves every tick;
- a dishwasher runs the eco program (one minute per tick) and is restarted before it finishes;
- a fridge compartment's target swings by 5 °C (fridge 6 and 1 every 10 ticks, freezer -19 and -24 every 5),
  never more than 5 °C above the target, so no `temperature_high`.
"""

import asyncio
from collections.abc import Awaitable, Callable
import random
import sys
from typing import Any

import aiohttp

from . import rpc
from .common import login


class Load:
    """One task per busy compartment or dishwasher, over a small pool of HTTP connections."""

    def __init__(self, url: str, tick: float) -> None:
        """Prepare; log in at setup."""
        self.url = url
        self.tick = tick
        self.session: aiohttp.ClientSession
        self.headers: dict[str, str] = {}
        self.tasks: dict[tuple[str, str | None], asyncio.Task[None]] = {}
        self.requests = 0
        self.errors = 0
        # Phases are spread at random, but the same way on every run.
        self.random = random.Random(11)

    async def setup(self) -> None:
        """Open the session and log in."""
        self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=16))
        self.headers = {
            "Authorization": f"Bearer {await login(self.session, self.url)}"
        }

    async def _command(
        self, device_id: str, command: str, compartment: str | None, **args: Any
    ) -> None:
        """Send one command; a refusal (409: nothing to cancel) is counted, not fatal."""
        self.requests += 1
        async with self.session.post(
            f"{self.url}/api/devices/{device_id}/commands",
            json={"command": command, "compartment": compartment, "args": args},
            headers=self.headers,
        ) as response:
            if response.status != 200:
                self.errors += 1

    async def _ticks(self, n: float) -> None:
        """Sleep n simulation ticks."""
        await asyncio.sleep(n * self.tick)

    async def _oven(self, device_id: str, compartment: str | None) -> None:
        """Swing an oven compartment between heating and cooling."""
        await self._command(device_id, "set_mode", compartment, mode="bake")
        await self._command(device_id, "set_target_temperature", compartment, value=300)
        await self._ticks(25)
        while True:
            await self._command(
                device_id, "set_target_temperature", compartment, value=30
            )
            await self._ticks(100)
            await self._command(
                device_id, "set_target_temperature", compartment, value=300
            )
            await self._ticks(20)

    async def _dishwasher(self, device_id: str, _compartment: str | None) -> None:
        """Run the eco program, restarting it before it would finish (no `program_finished`)."""
        await self._command(device_id, "start", None, program="eco")
        while True:
            await self._ticks(150)
            await self._command(device_id, "cancel", None)
            await self._command(device_id, "start", None, program="eco")

    async def _fridge(self, device_id: str, compartment: str | None) -> None:
        """Swing a fridge compartment's target by 5 °C."""
        high, low, ticks = (6, 1, 10) if compartment == "fridge" else (-19, -24, 5)
        while True:
            for value in (high, low):
                await self._command(
                    device_id, "set_target_temperature", compartment, value=value
                )
                await self._ticks(ticks)

    async def busy(
        self, appliances: list[dict[str, Any]], spread: float
    ) -> dict[str, Any]:
        """Keep these appliances busy (those already busy go on); start them within `spread` s."""
        kinds: dict[str, Callable[[str, str | None], Awaitable[None]]] = {
            "oven": self._oven,
            "dishwasher": self._dishwasher,
            "fridge": self._fridge,
        }
        started = 0
        for appliance in appliances:
            for compartment in appliance["compartments"]:
                key = (appliance["id"], compartment)
                if key in self.tasks:
                    continue
                self.tasks[key] = asyncio.create_task(
                    self._start(
                        self.random.uniform(0, spread),
                        kinds[appliance["type"]](appliance["id"], compartment),
                    )
                )
                started += 1
        return {"started": started, "busy": len(self.tasks)}

    async def _start(self, delay: float, work: Awaitable[None]) -> None:
        """Start a busy loop after a delay, so requests do not all come at once."""
        await asyncio.sleep(delay)
        await work

    async def counters(self) -> dict[str, Any]:
        """Return how many requests were sent and refused."""
        return {"requests": self.requests, "errors": self.errors}

    async def stop(self) -> dict[str, Any]:
        """Stop every busy loop and close the session."""
        for task in self.tasks.values():
            task.cancel()
        await asyncio.gather(*self.tasks.values(), return_exceptions=True)
        await self.session.close()
        return await self.counters()


def main() -> None:
    """Run the load generator for the server at argv[1] with the tick argv[2]."""
    load = Load(sys.argv[1], float(sys.argv[2]))
    rpc.run(
        {"busy": load.busy, "counters": load.counters, "stop": load.stop}, load.setup
    )


if __name__ == "__main__":
    main()
