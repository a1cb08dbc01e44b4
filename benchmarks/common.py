"""Helpers shared by the benchmark's processes: the clock, statistics, logins and free ports."""

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Sequence
import socket
import time
from typing import Any

import aiohttp

# CLOCK_MONOTONIC: one clock for every process on the machine, so stamps of different processes compare.
now = time.monotonic

USERNAME = "bench"
PASSWORD = "bench"  # noqa: S105 - the throwaway user of the generated server config
PROBE_PREFIX = "probe-"


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def percentile(ordered: Sequence[float], q: float) -> float:
    """Return the q-th percentile (0-100) of sorted values, interpolated between neighbours."""
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summarize(values: Iterable[float], scale: float = 1000.0) -> dict[str, Any] | None:
    """Return n, p50, p90, p99 and max of values (seconds), scaled (default: to milliseconds)."""
    ordered = sorted(v * scale for v in values)
    if not ordered:
        return None
    return {
        "n": len(ordered),
        "p50": round(percentile(ordered, 50), 3),
        "p90": round(percentile(ordered, 90), 3),
        "p99": round(percentile(ordered, 99), 3),
        "max": round(ordered[-1], 3),
    }


async def login(
    session: aiohttp.ClientSession,
    url: str,
    username: str = USERNAME,
    password: str = PASSWORD,
) -> str:
    """Log in over REST and return the token."""
    async with session.post(
        f"{url}/api/login", json={"username": username, "password": password}
    ) as response:
        response.raise_for_status()
        token: str = (await response.json())["token"]
        return token


async def wait_until(
    check: Callable[[], Awaitable[bool]],
    within: float,
    what: str,
    interval: float = 0.05,
) -> float:
    """Poll `check` (it asks another process) until it holds; return the moment it did."""
    try:
        async with asyncio.timeout(within):
            # The condition lives in another process: nothing here could set an Event.
            while not await check():  # noqa: ASYNC110
                await asyncio.sleep(interval)
    except TimeoutError:
        raise TimeoutError(f"timed out after {within} s waiting for {what}") from None
    return now()
