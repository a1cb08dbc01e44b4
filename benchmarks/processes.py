"""The server and Home Assistant as separate processes, and the server's probe file."""

import asyncio
from bisect import bisect_right
from dataclasses import dataclass, field
import json
import os
from pathlib import Path
import signal
import sys
from typing import Any

import aiohttp

from .common import free_port, now
from .rpc import REPO


@dataclass(slots=True)
class ProbeLog:
    """What the server's `--probe` file says, read incrementally (see smart_kitchen_server/probe.py)."""

    path: Path
    ready: list[float] = field(default_factory=list)
    published: list[tuple[float, str, bool]] = field(default_factory=list)
    writes: list[tuple[float, int, str, bool]] = field(default_factory=list)
    subscriptions: list[tuple[float, int, int]] = field(default_factory=list)
    counters: list[tuple[float, dict[int, tuple[int, int, int]]]] = field(
        default_factory=list
    )
    _offset: int = 0

    def read(self) -> None:
        """Parse the complete lines appended since the last read."""
        if not self.path.exists():
            return
        with self.path.open("rb") as file:
            file.seek(self._offset)
            data = file.read()
        end = data.rfind(b"\n") + 1
        self._offset += end
        for line in data[:end].decode().splitlines():
            kind, stamp, *rest = line.split(" ")
            t = float(stamp)
            if kind == "R":
                self.ready.append(t)
            elif kind == "P":
                self.published.append((t, rest[0], rest[1] == "1"))
            elif kind == "W":
                self.writes.append((t, int(rest[0]), rest[1], rest[2] == "1"))
            elif kind == "S":
                self.subscriptions.append((t, int(rest[0]), int(rest[1])))
            elif kind == "C":
                self.counters.append((t, _counters(rest)))

    def counters_at(self, t: float) -> dict[int, tuple[int, int, int]]:
        """Return the per-port counters of the last C line at or before t."""
        index = bisect_right([c[0] for c in self.counters], t) - 1
        return self.counters[index][1] if index >= 0 else {}

    def max_queue(self, port: int, start: float, end: float) -> int:
        """Return the most frames a connection had waiting in the server between two moments."""
        return max(
            (c[port][2] for t, c in self.counters if start < t <= end and port in c),
            default=0,
        )

    def last_subscriber(
        self, since: float, devices: int, exclude: set[int]
    ) -> int | None:
        """Return the port of the newest connection subscribed to `devices` ids since a moment."""
        ports = [
            port
            for t, port, count in self.subscriptions
            if t >= since and count == devices and port not in exclude
        ]
        return ports[-1] if ports else None


async def _terminate(
    process: asyncio.subprocess.Process | None, *, grace: float
) -> None:
    """Stop a process with SIGTERM (as a service stop does), and kill it after `grace` seconds."""
    if process is None or process.returncode is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        async with asyncio.timeout(grace):
            await process.wait()
    except TimeoutError:
        process.kill()
        await process.wait()


def _counters(entries: list[str]) -> dict[int, tuple[int, int, int]]:
    """Parse `port:frames:bytes:queue` entries."""
    parsed = {}
    for entry in entries:
        port, frames, size, queue = (int(x) for x in entry.split(":"))
        parsed[port] = (frames, size, queue)
    return parsed


def cpu_seconds(pid: int) -> float:
    """Return the user + system CPU time of a process, all its threads (Linux: /proc)."""
    # The command name (field 2) may hold spaces, so count the fields after its closing parenthesis.
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_bytes(pid: int) -> int:
    """Return the resident memory of a process (Linux: /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


class ServerProcess:
    """`python -m smart_kitchen_server --probe FILE`, started, killed and restarted on one port."""

    def __init__(self, config: Path, port: int, probe: ProbeLog, log: Path) -> None:
        """Prepare; nothing runs before `start()`."""
        self.config = config
        self.port = port
        self.probe = probe
        self.log = log
        self.process: asyncio.subprocess.Process | None = None
        self.url = f"http://127.0.0.1:{port}"
        # Seconds from exec to listening, at the last start.
        self.startup = 0.0

    @property
    def pid(self) -> int:
        """The process id of the running server."""
        assert self.process is not None
        return self.process.pid

    async def start(self, within: float = 60.0) -> float:
        """Start the server and return the moment it listened (its own stamp)."""
        known = len(self.probe.ready)
        spawned = now()
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "smart_kitchen_server",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--config",
                str(self.config),
                "--probe",
                str(self.probe.path),
                stdout=log,
                stderr=log,
                cwd=REPO,
            )
        async with asyncio.timeout(within):
            while True:
                self.probe.read()
                if len(self.probe.ready) > known:
                    self.startup = self.probe.ready[-1] - spawned
                    return self.probe.ready[-1]
                if self.process.returncode is not None:
                    raise RuntimeError(f"the server exited; see {self.log}")
                await asyncio.sleep(0.01)

    async def kill(self) -> float:
        """Kill the server with SIGKILL (no goodbye to its clients); return the moment."""
        assert self.process is not None
        moment = now()
        self.process.kill()
        await self.process.wait()
        return moment

    async def stop(self) -> None:
        """Stop the server gracefully (SIGTERM), so its probe file is complete."""
        await _terminate(self.process, grace=30)
        self.probe.read()


CONFIGURATION = """\
homeassistant:
  name: Smart Kitchen bench
  latitude: 52.37
  longitude: 4.89
  elevation: 0
  unit_system: metric
  time_zone: UTC
  currency: EUR
  country: NL
logger:
  default: warning
bench_probe:
  port: {probe_port}
"""


class HassProcess:
    """Home Assistant in its own process with a throwaway config: the integration and the probe.

    `python -m homeassistant` as users run it, or (`minimal`, for --quick) `benchmarks.hass_runner`.
    """

    def __init__(self, config_dir: Path, *, minimal: bool = False) -> None:
        """Prepare the configuration directory."""
        self.config_dir = config_dir
        self.port = free_port()
        self.minimal = minimal
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: asyncio.subprocess.Process | None = None
        self.session: aiohttp.ClientSession | None = None
        components = config_dir / "custom_components"
        components.mkdir(parents=True, exist_ok=True)
        # The integration runs straight from this checkout, whatever state it is in.
        for name, target in (
            ("smart_kitchen", REPO / "custom_components" / "smart_kitchen"),
            ("bench_probe", REPO / "benchmarks" / "ha_probe"),
            ("bench_bare", REPO / "benchmarks" / "ha_bare"),
        ):
            link = components / name
            if not link.exists():
                link.symlink_to(target, target_is_directory=True)
        (config_dir / "configuration.yaml").write_text(
            CONFIGURATION.format(probe_port=self.port), encoding="utf-8"
        )
        # Home Assistant 2026.10 keeps the HTTP config in storage: YAML would only be a "pending" trial
        # that reverts (and restarts Home Assistant) after five minutes without a confirmation in
        # the frontend. The frontend needs a free port, 8123 may be taken, so store a stable one.
        storage = config_dir / ".storage"
        storage.mkdir(exist_ok=True)
        (storage / "http").write_text(
            json.dumps(
                {
                    "version": 2,
                    "minor_version": 2,
                    "key": "http",
                    "data": {
                        "stable": {
                            "server_host": ["127.0.0.1"],
                            "server_port": free_port(),
                            "cors_allowed_origins": [],
                            "login_attempts_threshold": -1,
                            "ip_ban_enabled": False,
                            "ssl_profile": "modern",
                            "use_x_frame_options": True,
                            "created_at": "2026-01-01T00:00:00+00:00",
                            "error": None,
                            "error_message": None,
                        },
                        "pending": None,
                        "yaml_migration_done": True,
                    },
                }
            ),
            encoding="utf-8",
        )

    @property
    def pid(self) -> int:
        """The process id of Home Assistant."""
        assert self.process is not None
        return self.process.pid

    async def start(self, within: float = 300.0) -> float:
        """Start Home Assistant and return how long until the probe answered."""
        started = now()
        command = (
            ("-m", "benchmarks.hass_runner", str(self.config_dir), str(self.port))
            if self.minimal
            else ("-m", "homeassistant", "--config", str(self.config_dir), "--skip-pip")
        )
        with (self.config_dir / "stdout.log").open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                *command,
                stdout=log,
                stderr=log,
                cwd=self.config_dir,
                # The config directory comes first on the path: it is where custom_components lives.
                env={
                    **os.environ,
                    "PYTHONPATH": f"{self.config_dir}:{REPO}",
                    "PYTHONDONTWRITEBYTECODE": "1",
                },
            )
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=600))
        async with asyncio.timeout(within):
            while True:
                if self.process.returncode is not None:
                    raise RuntimeError(
                        f"Home Assistant exited; see {self.config_dir}/stdout.log"
                    )
                try:
                    await self.call("status")
                except aiohttp.ClientError:
                    await asyncio.sleep(0.1)
                else:
                    return now() - started

    async def call(self, command: str, **args: Any) -> Any:
        """Run a probe command in Home Assistant and return its answer."""
        assert self.session is not None
        async with self.session.post(
            f"{self.url}/{command}", data=json.dumps(args)
        ) as response:
            response.raise_for_status()
            return await response.json()

    async def stop(self) -> None:
        """Stop Home Assistant (SIGTERM, as on a service stop)."""
        await _terminate(self.process, grace=60)
        if self.session is not None:
            await self.session.close()
