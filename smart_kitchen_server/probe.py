"""Benchmark probe: stamp the moment the server writes each probe frame (off unless `--probe FILE`).

The benchmarks (`benchmarks/`) toggle the doors of appliances whose id starts with `probe-` and compare the
moment the server wrote the resulting `device_update` to a connection with the moment a client (a bare
client, Home Assistant) saw it. Every process on the machine reads the same CLOCK_MONOTONIC, so the stamps
are `time.monotonic()` seconds. While no recorder is enabled, the server's hot paths pay one `is None`.

The file gets one line per fact, space separated, flushed every 0.1 s:

    R <t>                                    the server listens
    P <t> <device> <door>                    a probe appliance's state changed (door 0 or 1)
    W <t> <port> <device> <door>             that change is being written to the client at <port>
    S <t> <port> <devices>                   the client at <port> is now subscribed to <devices> ids
    C <t> <port>:<frames>:<bytes>:<queue> …  per client: data frames and bytes written since it
                                             connected, and the most frames it had waiting in the
                                             server since the previous C line
"""

import asyncio
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
import time
from typing import Protocol, TextIO

DEFAULT_PREFIX = "probe-"
FLUSH_INTERVAL = 0.1
# Probe payloads remembered until every subscriber wrote them; a client this far behind is
# dropped by the server long before.
_REMEMBERED = 4096


class _Peer(Protocol):
    """What the probe reads of a connection: its transport, for the client's port."""

    @property
    def transport(self) -> asyncio.Transport | None:
        """The connection's transport (None in some tests)."""


@dataclass(slots=True)
class _Counters:
    """What was written to one connection."""

    port: int
    frames: int = 0
    bytes: int = 0
    max_queue: int = 0


def _port(peer: _Peer) -> int:
    """Return the client's TCP port, the name the benchmark knows a connection by (0 if unknown)."""
    if peer.transport is None:
        return 0
    peername = peer.transport.get_extra_info("peername")
    return int(peername[1]) if peername else 0


class ProbeRecorder:
    """Collect stamps in memory and append them to a file in batches."""

    def __init__(
        self,
        path: str | Path,
        prefix: str = DEFAULT_PREFIX,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Record probe appliances (ids starting with `prefix`) into `path` (appended)."""
        self.prefix = prefix
        self._clock = clock
        self._file: TextIO = Path(path).open("a", encoding="utf-8")  # noqa: SIM115
        self._lines: list[str] = []
        self._probes: OrderedDict[int, tuple[bytes, str]] = OrderedDict()
        self._counters: dict[_Peer, _Counters] = {}

    def listening(self) -> None:
        """Stamp the moment the server accepts connections."""
        self._lines.append(f"R {self._clock():.6f}")

    def published(self, device_id: str, door_open: bool, payload: bytes) -> None:
        """Remember a state change about to be queued to subscribers, if it is a probe appliance's."""
        if not device_id.startswith(self.prefix):
            return
        door = "1" if door_open else "0"
        self._lines.append(f"P {self._clock():.6f} {device_id} {door}")
        # The same bytes object goes to every subscriber, so its identity names the probe. It is
        # kept alive here, so no other object can have that id meanwhile.
        self._probes[id(payload)] = (payload, f"{device_id} {door}")
        if len(self._probes) > _REMEMBERED:
            self._probes.popitem(last=False)

    def writing(self, peer: _Peer, payload: bytes, waiting: int) -> None:
        """Count a data frame written to a connection, and stamp it if it is a probe frame."""
        counters = self._counters.get(peer)
        if counters is None:
            counters = self._counters[peer] = _Counters(_port(peer))
        counters.frames += 1
        counters.bytes += len(payload)
        counters.max_queue = max(counters.max_queue, waiting)
        if (probe := self._probes.get(id(payload))) is not None:
            self._lines.append(f"W {self._clock():.6f} {counters.port} {probe[1]}")

    def subscribed(self, peer: _Peer, devices: int) -> None:
        """Stamp a connection's new subscription."""
        self._lines.append(f"S {self._clock():.6f} {_port(peer)} {devices}")

    def flush(self) -> None:
        """Append what was recorded since the last flush, and the counters, to the file."""
        counters = " ".join(
            f"{c.port}:{c.frames}:{c.bytes}:{c.max_queue}"
            for c in self._counters.values()
        )
        self._lines.append(f"C {self._clock():.6f} {counters}".rstrip())
        for c in self._counters.values():
            c.max_queue = 0
        lines, self._lines = self._lines, []
        self._file.write("\n".join(lines) + "\n")
        self._file.flush()

    async def run(self) -> None:
        """Flush every FLUSH_INTERVAL seconds until cancelled."""
        while True:
            await asyncio.sleep(FLUSH_INTERVAL)
            self.flush()

    def close(self) -> None:
        """Flush the rest and close the file."""
        self.flush()
        self._file.close()


# The recorder the server's hot paths report to; None (the default) records nothing.
recorder: ProbeRecorder | None = None


def enable(path: str | Path, prefix: str = DEFAULT_PREFIX) -> ProbeRecorder:
    """Start recording probe stamps into `path`."""
    global recorder  # noqa: PLW0603
    recorder = ProbeRecorder(path, prefix)
    return recorder


def disable() -> None:
    """Stop recording and close the file."""
    global recorder  # noqa: PLW0603
    if recorder is not None:
        recorder.close()
        recorder = None
