"""The floor: a bare aiohttp WebSocket client, the fastest a client on this machine could follow the server.

It parses every frame (that is all it does with one), stamps the probe frames on arrival, and counts
frames and bytes. `first_state` measures login → device list → WebSocket → subscribe → whole snapshot.
"""

import asyncio
import sys
import time
from typing import Any

import aiohttp
import orjson

from . import rpc
from .common import PROBE_PREFIX, login, now


class Floor:
    """One bare client of the bench user."""

    def __init__(self, url: str) -> None:
        """Prepare; nothing is connected yet."""
        self.url = url
        self.session: aiohttp.ClientSession
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.reader: asyncio.Task[None] | None = None
        self.frames = 0
        self.bytes = 0
        self.probes: list[tuple[float, str, bool]] = []
        self.follower: asyncio.Task[None] | None = None
        self.wholes: list[float] = []

    async def setup(self) -> None:
        """Open the HTTP session."""
        self.session = aiohttp.ClientSession()

    async def _open(self) -> tuple[aiohttp.ClientWebSocketResponse, int]:
        """Log in, list the devices, connect and subscribe; return the socket and the snapshot size."""
        token = await login(self.session, self.url)
        headers = {"Authorization": f"Bearer {token}"}
        async with self.session.get(
            f"{self.url}/api/devices", headers=headers
        ) as response:
            devices = (await response.json())["devices"]
        ws = await self.session.ws_connect(f"{self.url}/ws", headers=headers)
        message = await ws.receive_json()
        assert message["type"] == "connected", message
        await ws.send_str(
            orjson.dumps(
                {"type": "subscribe", "deviceIds": [d["id"] for d in devices]}
            ).decode()
        )
        snapshot = sum(len(d.get("compartments") or {None: 0}) for d in devices)
        return ws, snapshot

    async def first_state(self, repeat: int) -> dict[str, Any]:
        """Time login → whole snapshot received, `repeat` times, each on a fresh socket."""
        durations = []
        for _ in range(repeat):
            start = now()
            ws, snapshot = await self._open()
            await _read_snapshot(ws, snapshot)
            durations.append(now() - start)
            await ws.close()
        return {"durations": durations}

    async def connect(self) -> dict[str, Any]:
        """Open the long-lived socket, read its snapshot, then read on; return the local port."""
        self.ws, snapshot = await self._open()
        # The snapshot holds the probe appliances too, but those are no probe frames.
        await _read_snapshot(self.ws, snapshot)
        self.reader = asyncio.create_task(self._read(self.ws))
        sockname = self.ws.get_extra_info("sockname")
        return {"port": sockname[1]}

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        """Stamp, count and parse every frame."""
        async for msg in ws:
            stamp = now()
            self.frames += 1
            self.bytes += len(msg.data)
            message = orjson.loads(msg.data)
            if message["type"] == "device_update" and message["deviceId"].startswith(
                PROBE_PREFIX
            ):
                self.probes.append(
                    (stamp, message["deviceId"], message["state"]["doorOpen"])
                )

    async def follow(self) -> dict[str, Any]:
        """Stay connected through server restarts, retrying every 10 ms; stamp each whole snapshot."""
        self.follower = asyncio.create_task(self._follow())
        return {}

    async def _follow(self) -> None:
        """Reconnect at once, as tightly as a client could, and note when each snapshot is complete."""
        while True:
            try:
                ws, snapshot = await self._open()
                updates = 0
                async for msg in ws:
                    updates += orjson.loads(msg.data)["type"] == "device_update"
                    if updates == snapshot:
                        self.wholes.append(now())
            except aiohttp.ClientError, OSError, AssertionError, TypeError, ValueError:
                await asyncio.sleep(0.01)

    async def take_wholes(self) -> dict[str, Any]:
        """Return and forget the moments a snapshot was complete."""
        wholes, self.wholes = self.wholes, []
        return {"wholes": wholes}

    async def unfollow(self) -> dict[str, Any]:
        """Stop following."""
        if self.follower is not None:
            self.follower.cancel()
            await asyncio.gather(self.follower, return_exceptions=True)
            self.follower = None
        return {}

    async def mark(self) -> dict[str, Any]:
        """Return the counters and the process time now (the edges of a measured window)."""
        return {
            "t": now(),
            "frames": self.frames,
            "bytes": self.bytes,
            "cpu": time.process_time(),
        }

    async def take_probes(self) -> dict[str, Any]:
        """Return and forget the probe frames received so far."""
        probes, self.probes = self.probes, []
        return {"probes": probes}

    async def disconnect(self) -> dict[str, Any]:
        """Close the long-lived socket."""
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            await self.reader
        self.ws = self.reader = None
        return {}

    async def stop(self) -> dict[str, Any]:
        """Close everything."""
        await self.unfollow()
        await self.disconnect()
        await self.session.close()
        return {}


async def _read_snapshot(ws: aiohttp.ClientWebSocketResponse, snapshot: int) -> None:
    """Read frames until the snapshot's `snapshot` device updates have all arrived."""
    updates = 0
    while updates < snapshot:
        message = orjson.loads((await ws.receive()).data)
        updates += message["type"] == "device_update"


def main() -> None:
    """Run the floor client for the server at argv[1]."""
    floor = Floor(sys.argv[1])
    rpc.run(
        {
            "first_state": floor.first_state,
            "connect": floor.connect,
            "mark": floor.mark,
            "take_probes": floor.take_probes,
            "disconnect": floor.disconnect,
            "follow": floor.follow,
            "take_wholes": floor.take_wholes,
            "unfollow": floor.unfollow,
            "stop": floor.stop,
        },
        floor.setup,
    )


if __name__ == "__main__":
    main()
