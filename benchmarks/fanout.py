"""Many WebSocket clients in one process, for the server's scale figures: they read and count, nothing else."""

import asyncio
import sys
import time
from typing import Any

import aiohttp
import orjson

from . import rpc
from .common import login, now


class Fanout:
    """A crowd of subscribed sockets."""

    def __init__(self, url: str) -> None:
        """Prepare; nothing is connected yet."""
        self.url = url
        self.session: aiohttp.ClientSession
        self.sockets: list[aiohttp.ClientWebSocketResponse] = []
        self.readers: list[asyncio.Task[None]] = []
        self.frames = 0

    async def setup(self) -> None:
        """Open the HTTP session (its connection pool must hold every socket)."""
        self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))

    async def connect(self, clients: int, devices: list[str]) -> dict[str, Any]:
        """Log in and subscribe `clients` sockets to `devices`, one after the other."""
        subscribe = orjson.dumps({"type": "subscribe", "deviceIds": devices}).decode()
        for _ in range(clients):
            token = await login(self.session, self.url)
            ws = await self.session.ws_connect(
                f"{self.url}/ws", headers={"Authorization": f"Bearer {token}"}
            )
            await ws.send_str(subscribe)
            self.sockets.append(ws)
            self.readers.append(asyncio.create_task(self._read(ws)))
        return {"connected": len(self.sockets)}

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        """Count frames."""
        async for _ in ws:
            self.frames += 1

    async def mark(self) -> dict[str, Any]:
        """Return the frames read so far and the process time."""
        return {"t": now(), "frames": self.frames, "cpu": time.process_time()}

    async def stop(self) -> dict[str, Any]:
        """Close every socket."""
        await asyncio.gather(*(ws.close() for ws in self.sockets))
        await asyncio.gather(*self.readers, return_exceptions=True)
        await self.session.close()
        return {}


def main() -> None:
    """Run the crowd for the server at argv[1]."""
    fanout = Fanout(sys.argv[1])
    rpc.run(
        {"connect": fanout.connect, "mark": fanout.mark, "stop": fanout.stop},
        fanout.setup,
    )


if __name__ == "__main__":
    main()
