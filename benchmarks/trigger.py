"""The REST trigger: toggles the doors of the probe dishwashers at a steady rate.

Each toggle makes the server publish one `device_update` of a probe appliance, whose write the server
stamps (`--probe`); the clients stamp its arrival. Its own timing does not enter any result.
"""

import asyncio
import sys
from typing import Any

import aiohttp

from . import rpc
from .common import login, now


class Trigger:
    """Toggles probe doors over one keep-alive HTTP connection."""

    def __init__(self, url: str) -> None:
        """Prepare; log in at setup."""
        self.url = url
        self.session: aiohttp.ClientSession
        self.headers: dict[str, str] = {}
        self.doors: dict[str, bool] = {}
        self.task: asyncio.Task[None] | None = None
        self.halting = False
        self.sent = 0

    async def setup(self) -> None:
        """Open the session and log in."""
        self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1))
        await self.reset()

    async def reset(self) -> dict[str, Any]:
        """Log in again and forget the doors: after a server restart every door is closed."""
        self.headers = {
            "Authorization": f"Bearer {await login(self.session, self.url)}"
        }
        self.doors = {}
        return {}

    async def _door(self, device_id: str, door_open: bool) -> None:
        """Open or close one probe dishwasher's door."""
        async with self.session.post(
            f"{self.url}/api/simulation/devices/{device_id}/door",
            json={"open": door_open},
            headers=self.headers,
        ) as response:
            response.raise_for_status()
        self.doors[device_id] = door_open
        self.sent += 1

    async def set_doors(self, devices: list[str], door_open: bool) -> dict[str, Any]:
        """Put the doors of these appliances in one position (one request each)."""
        for device_id in devices:
            if self.doors.get(device_id, False) != door_open:
                await self._door(device_id, door_open)
        return {}

    async def start(self, devices: list[str], rate: float) -> dict[str, Any]:
        """Start toggling the doors round robin, `rate` toggles per second."""
        await self.halt()
        self.sent = 0
        self.halting = False
        self.task = asyncio.create_task(self._toggle(devices, rate))
        return {}

    async def _toggle(self, devices: list[str], rate: float) -> None:
        """Toggle on a fixed schedule; a late request delays the next one instead of bunching up."""
        interval = 1 / rate
        deadline = now()
        index = 0
        while not self.halting:
            device_id = devices[index % len(devices)]
            index += 1
            await self._door(device_id, not self.doors.get(device_id, False))
            deadline = max(deadline + interval, now())
            await asyncio.sleep(deadline - now())

    async def halt(self) -> dict[str, Any]:
        """Stop toggling after the request in flight; return how many toggles were sent."""
        if self.task is not None:
            # Not cancelled: a request cut off halfway would leave the door unknown.
            self.halting = True
            await self.task
            self.task = None
        return {"sent": self.sent}

    async def stop(self) -> dict[str, Any]:
        """Stop and close the session."""
        await self.halt()
        await self.session.close()
        return {}


def main() -> None:
    """Run the trigger for the server at argv[1]."""
    trigger = Trigger(sys.argv[1])
    rpc.run(
        {
            "reset": trigger.reset,
            "set_doors": trigger.set_doors,
            "start": trigger.start,
            "halt": trigger.halt,
            "stop": trigger.stop,
        },
        trigger.setup,
    )


if __name__ == "__main__":
    main()
