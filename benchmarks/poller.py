"""The seed's alternative, for comparison: a client that polls `GET /api/devices` every 2 seconds.

It records when each poll was sent and answered, the bytes of each answer (headers and body), and what the
probe dishwashers' doors looked like, so the orchestrator can tell how stale each change was when a poll
first showed it.
"""

import asyncio
import sys
from typing import Any

import aiohttp

from . import rpc
from .common import PROBE_PREFIX, login, now


class Poller:
    """Polls on a fixed schedule over one keep-alive connection."""

    def __init__(self, url: str) -> None:
        """Prepare; log in at setup."""
        self.url = url
        self.session: aiohttp.ClientSession
        self.headers: dict[str, str] = {}
        self.task: asyncio.Task[None] | None = None
        self.polls: list[dict[str, Any]] = []

    async def setup(self) -> None:
        """Open the session and log in."""
        self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1))
        self.headers = {
            "Authorization": f"Bearer {await login(self.session, self.url)}"
        }

    async def start(self, interval: float) -> dict[str, Any]:
        """Start polling every `interval` seconds."""
        self.polls = []
        self.task = asyncio.create_task(self._poll(interval))
        return {}

    async def _poll(self, interval: float) -> None:
        """Poll on a fixed schedule."""
        deadline = now()
        while True:
            sent = now()
            async with self.session.get(
                f"{self.url}/api/devices", headers=self.headers
            ) as response:
                body = await response.read()
                headers = sum(len(k) + len(v) + 4 for k, v in response.raw_headers)
                devices = (await response.json())["devices"]
            self.polls.append(
                {
                    "sent": sent,
                    "received": now(),
                    "bytes": len(body) + headers,
                    "doors": {
                        d["id"]: d["state"]["doorOpen"]
                        for d in devices
                        if d["id"].startswith(PROBE_PREFIX)
                    },
                }
            )
            deadline = max(deadline + interval, now())
            await asyncio.sleep(deadline - now())

    async def halt(self) -> dict[str, Any]:
        """Stop polling and return the polls."""
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
            self.task = None
        return {"polls": self.polls}

    async def stop(self) -> dict[str, Any]:
        """Stop and close the session."""
        await self.halt()
        await self.session.close()
        return {}


def main() -> None:
    """Run the poller for the server at argv[1]."""
    poller = Poller(sys.argv[1])
    rpc.run(
        {"start": poller.start, "halt": poller.halt, "stop": poller.stop}, poller.setup
    )


if __name__ == "__main__":
    main()
