"""The benchmark run: every step, in separate processes on 127.0.0.1, against the floor of the same run.

Processes: the server (`smart_kitchen_server --probe`), Home Assistant (`python -m homeassistant` with the
integration and the `bench_probe` component), the floor client, the REST trigger, the load generator, the
poller, and for the scale steps a crowd of WebSocket clients. All stamps are CLOCK_MONOTONIC.
"""

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from itertools import pairwise
import os
from pathlib import Path
import platform
from typing import Any

from . import analysis
from .common import (
    PASSWORD,
    USERNAME,
    free_port,
    now,
    percentile,
    summarize,
    wait_until,
)
from .kitchen import Kitchen
from .processes import HassProcess, ProbeLog, ServerProcess, cpu_seconds, rss_bytes
from .reconnect_spread import measure_spread
from .rpc import Helper


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Sizes and durations of one run."""

    quick: bool = False
    # Experiment: gc.freeze() in Home Assistant after each first state (see ha_probe._freeze_gc).
    gc_freeze: bool = False
    sizes: tuple[int, ...] = (3, 100, 1000)
    # Simulation tick of the latency steps: with every appliance busy, 1,000 appliances then make
    # about 4,300 updates per second.
    tick: float = 0.4
    probe_rate: float = 40.0
    window: float = 10.0
    load_size: int = 1000
    load_window: float = 20.0
    warmup: float = 4.0
    baseline_share: float = 0.13
    floor_repeats: int = 5
    warm_reloads: int = 2
    # How long a window waits for the last probe frames to show before counting them unseen.
    drain_timeout: float = 60.0
    # While Home Assistant sets an entry up, the last probe's door toggles this often (its first live
    # frame after the snapshot marks the snapshot as processed; see analysis.first_full_state).
    marker_rate: float = 100.0
    reconnect_size: int = 100
    reconnect_cycles: int = 10
    outages: tuple[float, ...] = (1.0, 6.0)
    poll_interval: float = 2.0
    scale_size: int = 1000
    scale_clients: int = 200
    scale_tick: float = 2.0
    scale_window: float = 20.0
    spread_clients: int = 50
    spread_cycles: int = 3
    spread_outage: float = 1.0


FULL = Settings()
QUICK = Settings(
    quick=True,
    sizes=(3,),
    probe_rate=20.0,
    window=0.5,
    load_size=3,
    load_window=0.5,
    warmup=0.2,
    baseline_share=0.5,
    floor_repeats=2,
    warm_reloads=1,
    reconnect_size=3,
    reconnect_cycles=1,
    outages=(0.0,),
    poll_interval=0.5,
    scale_size=3,
    scale_clients=3,
    scale_tick=0.4,
    scale_window=0.5,
    spread_clients=3,
    spread_cycles=1,
    spread_outage=0.0,
)


def machine() -> dict[str, Any]:
    """Describe the machine and software the numbers come from."""
    from homeassistant.const import __version__ as ha_version

    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "home_assistant": ha_version,
        "kernel": platform.release(),
    }


def uptime() -> str:
    """Return the load averages, which other processes on the machine make (as `uptime` shows them)."""
    up = float(Path("/proc/uptime").read_text().split()[0])
    loads = ", ".join(f"{load:.2f}" for load in os.getloadavg())
    return f"up {up / 3600:.1f} h, load average: {loads}"


@dataclass(slots=True)
class Size:
    """What one size step runs: its server, its helpers and Home Assistant's entry."""

    kitchen: Kitchen
    server: ServerProcess
    floor: Helper
    trigger: Helper
    poller: Helper
    entry_id: str = ""
    entities: list[dict[str, Any]] | None = None
    doors: dict[str, str] | None = None  # probe door entity -> appliance id
    connectivity: str | None = None
    floor_port: int = 0
    ha_port: int = 0


class Bench:
    """One run of every step."""

    def __init__(
        self, settings: Settings, workdir: Path, say: Callable[[str], None]
    ) -> None:
        """Prepare a run in `workdir` (a throwaway directory)."""
        self.settings = settings
        self.workdir = workdir
        self.say = say
        self.hass: HassProcess | None = None
        self.hass_ready: asyncio.Task[float]

    async def helper(self, name: str, *args: str) -> Helper:
        """Start a helper process, logging to the work directory."""
        return await Helper.start(name, *args, log=self.workdir / f"{name}.log")

    async def server(self, kitchen: Kitchen, name: str, tick: float) -> ServerProcess:
        """Start a server for a kitchen."""
        config = kitchen.write(self.workdir / f"{name}.json", tick)
        probe = ProbeLog(self.workdir / f"{name}.probe")
        server = ServerProcess(config, free_port(), probe, self.workdir / f"{name}.log")
        await server.start()
        return server

    async def run(self) -> dict[str, Any]:
        """Run every step and return the results."""
        s = self.settings
        results: dict[str, Any] = {
            "machine": machine(),
            "settings": asdict(s),
            "load_before": uptime(),
        }
        started = now()
        self.hass = HassProcess(self.workdir / "ha", minimal=s.quick)
        self.hass_ready = asyncio.create_task(self.hass.start())
        # Quick mode proves the code, it measures nothing: what needs no Home Assistant runs while it
        # starts. A full run keeps every step alone on the machine.
        side = asyncio.create_task(self.side_steps()) if s.quick else None
        try:
            if not s.quick:
                await self.hass_ready
            results["sizes"] = {}
            for index, size in enumerate(s.sizes):
                results["sizes"][str(size)] = await self.size_step(
                    size, last=index == len(s.sizes) - 1
                )
            results["ha_start_seconds"] = round(self.hass_ready.result(), 2)
        except BaseException:
            for task in (side, self.hass_ready):
                if task is not None:
                    task.cancel()
            raise
        finally:
            await self.hass.stop()
        results["ha_log_errors"] = _log_errors(
            self.workdir / "ha" / "home-assistant.log"
        )
        results.update(await side if side is not None else await self.side_steps())
        results["load_after"] = uptime()
        results["duration_seconds"] = round(now() - started, 1)
        return results

    async def side_steps(self) -> dict[str, Any]:
        """Run the steps without Home Assistant: the server's scale figures, the reconnect spread."""
        s = self.settings
        scale = await self.scale_step()
        self.say(f"reconnect spread: {s.spread_clients} clients")
        spread = await measure_spread(
            self.workdir,
            clients=s.spread_clients,
            cycles=s.spread_cycles,
            outage=s.spread_outage,
        )
        self.say("reconnect spread: done")
        return {"server_scale": scale, "reconnect_spread": spread}

    # --- one size -----------------------------------------------------------------------------------

    async def size_step(self, size: int, *, last: bool) -> dict[str, Any]:
        """First state, latency (and at the load size: load, stress; at the reconnect size: restarts)."""
        s = self.settings
        kitchen = Kitchen.of_size(size, tag=f"k{size}")
        self.say(f"{size} appliances: server and clients")
        server = await self.server(kitchen, f"server-{size}", s.tick)
        helpers = await asyncio.gather(
            self.helper("floor", server.url),
            self.helper("trigger", server.url),
            self.helper("poller", server.url),
            *(
                [self.helper("load", server.url, str(s.tick))]
                if size == s.load_size
                else []
            ),
        )
        step = Size(kitchen, server, helpers[0], helpers[1], helpers[2])
        result: dict[str, Any] = {
            "appliances": size,
            "snapshot_frames": kitchen.streams,
        }
        try:
            self.say(f"{size} appliances: floor first state")
            floor = await step.floor.call("first_state", repeat=s.floor_repeats)
            result["floor_first_state_ms"] = summarize(floor["durations"])
            hass_start = await self.hass_ready
            self.say(
                f"{size} appliances: Home Assistant (up after {hass_start:.1f} s) first state"
            )
            result["ha_first_state_cold"] = await self.ha_first_state(step, "add")
            result["ha_first_state_warm"] = [
                await self.ha_first_state(step, "reload") for _ in range(s.warm_reloads)
            ]
            result["ha_bare_first_state"] = await self.bare_first_state(step)

            if s.gc_freeze:
                assert self.hass is not None
                result["gc_freeze"] = await self.hass.call("freeze_gc")
            step.floor_port = (await step.floor.call("connect"))["port"]
            self.say(f"{size} appliances: latency, probes only")
            result["idle"] = await self.window(step, s.window, s.warmup / 2)
            if len(helpers) > 3:
                result.update(await self.load_steps(step, helpers[3]))
            await step.floor.call("disconnect")
            if size == s.reconnect_size:
                result["reconnect"] = await self.reconnect_step(step)
            self.say(f"{size} appliances: done")
            if not last:
                assert self.hass is not None
                await self.hass.call("remove", entry_id=step.entry_id)
        finally:
            await asyncio.gather(*(helper.stop() for helper in helpers))
            await server.stop()
        return result

    async def ha_first_state(self, step: Size, action: str) -> dict[str, Any]:
        """Add (cold) or reload (warm) the entry; time setup start → every entity has its state."""
        s = self.settings
        hass = self.hass
        assert hass is not None
        marker_device = step.kitchen.probes[-1].id
        await hass.call("record")
        issued = now()
        await step.trigger.call("start", devices=[marker_device], rate=s.marker_rate)
        if action == "add":
            added = await hass.call(
                "add",
                url=step.server.url,
                username=USERNAME,
                password=PASSWORD,
                verify_ssl=False,
            )
            if not added["entry_id"]:
                raise RuntimeError(f"the config flow did not create an entry: {added}")
            step.entry_id = added["entry_id"]
            await self._describe(step)
        else:
            await hass.call("reload", entry_id=step.entry_id)
        assert step.entities is not None
        assert step.doors is not None
        marker = next(e for e, d in step.doors.items() if d == marker_device)
        events: list[Any] = []

        async def dumped() -> dict[str, Any]:
            dump: dict[str, Any] = await hass.call("dump")
            events.extend(dump["events"])
            return dump

        async def all_there() -> bool:
            summary = await hass.call("summary", entry_id=step.entry_id)
            return bool(summary["total"] and not summary["absent"])

        await wait_until(all_there, 600, "every entity to have a state")
        setups = (await dumped())["setups"]
        start = next(
            t
            for t, entry_id, state in setups
            if entry_id == step.entry_id
            and state == "setup_in_progress"
            and t >= issued
        )
        probe = step.server.probe

        def live_frames() -> list[tuple[float, bool]]:
            probe.read()
            return [
                (t, door)
                for t, port, device, door in probe.writes
                if port == step.ha_port and device == marker_device and t >= start
            ]

        async def subscribed_and_live() -> bool:
            probe.read()
            port = probe.last_subscriber(start, len(step.kitchen.appliances), set())
            step.ha_port = port or 0
            return bool(port and live_frames())

        await wait_until(
            subscribed_and_live, 60, "the first live frame after the snapshot"
        )
        await step.trigger.call("halt")
        halted = now()
        frames: list[tuple[float, bool]] = []

        async def applied() -> bool:
            # The probe file lags up to 0.1 s behind the server, so the last frames are read here.
            frames[:] = live_frames()
            await dumped()
            shown = [state for t, e, state in events if e == marker and t >= start]
            flips = sum(
                a in analysis.DOOR_STATES and b in analysis.DOOR_STATES and a != b
                for a, b in pairwise(shown)
            )
            final = "on" if frames[-1][1] else "off"
            # Every live frame is a flip; if the entity appeared only after some of them (a design
            # that creates entities from the snapshot), the last state settles it.
            return (
                bool(shown)
                and shown[-1] == final
                and (flips >= len(frames) or now() - halted > 2)
            )

        await wait_until(applied, 60, "the marker's last live frame")
        await hass.call("dump", stop=True)
        measured = analysis.first_full_state(
            events,
            start,
            [e["entity_id"] for e in step.entities],
            marker,
            [t for t, _ in frames],
        )
        return {
            "ms": None
            if measured["seconds"] is None
            else round(measured["seconds"] * 1000, 1),
            "entities_available_ms": None
            if measured["written"] is None
            else round(measured["written"] * 1000, 1),
            "entities": len(step.entities),
        }

    async def bare_first_state(self, step: Size) -> dict[str, Any]:
        """Home Assistant's own floor: as many do-nothing entities per platform as the entry added."""
        assert self.hass is not None
        assert step.entities is not None
        per_platform = Counter(entity["domain"] for entity in step.entities)
        self.say(f"{len(step.kitchen.appliances)} appliances: bare entities")
        result: dict[str, Any] = await self.hass.call(
            "bare",
            appliances=len(step.kitchen.appliances),
            entities=dict(per_platform),
            reloads=self.settings.warm_reloads,
        )
        return result

    async def _describe(self, step: Size) -> None:
        """Learn the entry's entities: the probe doors and the connection sensor."""
        assert self.hass is not None
        step.entities = (await self.hass.call("entities", entry_id=step.entry_id))[
            "entities"
        ]
        probes = {a.id for a in step.kitchen.probes}
        step.doors = {
            e["entity_id"]: e["device"]
            for e in step.entities
            if e["device"] in probes and e["device_class"] == "door"
        }
        step.connectivity = next(
            (
                e["entity_id"]
                for e in step.entities
                if e["device_class"] == "connectivity"
            ),
            None,
        )
        if len(step.doors) != len(probes):
            raise RuntimeError(
                f"found {len(step.doors)} probe doors for {len(probes)} probes"
            )

    # --- latency windows ----------------------------------------------------------------------------

    async def marks(self, step: Size) -> dict[str, Any]:
        """Read every process's counters at one moment (an edge of a measured window)."""
        assert self.hass is not None
        floor = await step.floor.call("mark")
        return {
            "t": now(),
            "ha_cpu": cpu_seconds(self.hass.pid),
            "server_cpu": cpu_seconds(step.server.pid),
            "floor": floor,
        }

    async def window(
        self, step: Size, duration: float, warmup: float
    ) -> dict[str, Any]:
        """Toggle probes for a while; return latencies, rates and costs of Home Assistant and the floor."""
        s = self.settings
        hass = self.hass
        assert hass is not None
        assert step.doors is not None
        probes = [a.id for a in step.kitchen.probes]
        probe = step.server.probe
        probe.read()
        await hass.call("record", entities=list(step.doors))
        # Probe appliances in the floor's snapshot are no probe frames: start from a clean slate.
        await step.floor.call("take_probes")
        start = now()
        await step.poller.call("start", interval=s.poll_interval)
        await step.trigger.call("start", devices=probes, rate=s.probe_rate)
        await asyncio.sleep(warmup)
        a = await self.marks(step)
        await asyncio.sleep(duration)
        b = await self.marks(step)
        await step.trigger.call("halt")
        halted = now()
        polls = (await step.poller.call("halt"))["polls"]

        ha_events: list[Any] = []
        floor_seen: list[Any] = []
        ha_port = step.ha_port

        def written(port: int) -> list[tuple[float, str, bool]]:
            return [
                (t, d, door)
                for t, p, d, door in probe.writes
                if p == port and t >= start
            ]

        async def drained() -> bool:
            probe.read()
            ha_events.extend((await hass.call("dump"))["events"])
            floor_seen.extend((await step.floor.call("take_probes"))["probes"])
            ha_seen = analysis.door_sightings(ha_events, step.doors or {})
            return len(ha_seen) >= len(written(ha_port)) and len(floor_seen) >= len(
                written(step.floor_port)
            )

        try:
            drained_at: float | None = await wait_until(
                drained, s.drain_timeout, "every probe frame to be seen", 0.1
            )
        except TimeoutError:
            # Home Assistant fell too far behind (or was dropped): what it never showed counts as unseen.
            drained_at = None
        dump = await hass.call("dump", stop=True)
        ha_events.extend(dump["events"])
        # The server's next counter line (every 0.1 s) covers the window's end.
        await asyncio.sleep(0.25)
        probe.read()
        published = [c for c in probe.published if c[0] >= start]

        def server_wait(port: int) -> dict[str, Any] | None:
            """Publish → write of the probe frames to one client: how long they waited in the server."""
            waits = analysis.match(published, written(port))
            return summarize(waits.latencies(a["t"], b["t"]))

        ha = analysis.match(
            written(ha_port), analysis.door_sightings(ha_events, step.doors)
        )
        floor = analysis.match(written(step.floor_port), floor_seen)
        span = b["t"] - a["t"]
        ha_frames = _frames(probe, ha_port, b["t"]) - _frames(probe, ha_port, a["t"])
        floor_frames = b["floor"]["frames"] - a["floor"]["frames"]
        floor_sent = _frames(probe, step.floor_port, b["t"]) - _frames(
            probe, step.floor_port, a["t"]
        )
        all_frames = sum(
            _frames(probe, port, b["t"]) - _frames(probe, port, a["t"])
            for port in probe.counters_at(b["t"])
        )
        ha_latency = ha.latencies(a["t"], b["t"])
        pauses = (await hass.call("gc_pauses", start=a["t"], end=b["t"]))["pauses"]
        third = max(1, len(ha_latency) // 3)
        changes = [c for c in published if c[0] <= halted]
        poll_bytes = [p["bytes"] for p in polls]
        return {
            "seconds": round(span, 2),
            "updates_per_s": round(ha_frames / span, 1),
            "ha": {
                "latency_ms": summarize(ha_latency),
                "cpu_ms_per_update": _per(b["ha_cpu"] - a["ha_cpu"], ha_frames),
                "cpu_share": round((b["ha_cpu"] - a["ha_cpu"]) / span, 3),
                "probes_written": len(ha.pairs) + ha.unseen,
                "probes_seen": len(ha.pairs),
                "wrong": ha.wrong,
                "server_wait_ms": server_wait(ha_port),
                # Mostly the size of a tick's burst: every update of a tick is queued at once.
                "max_server_queue": probe.max_queue(ha_port, a["t"], b["t"]),
                "p50_first_third_ms": (summarize(ha_latency[:third]) or {}).get("p50"),
                "p50_last_third_ms": (summarize(ha_latency[-third:]) or {}).get("p50"),
                # Garbage collections that held Home Assistant's loop for 20 ms or more.
                "gc_pauses": {
                    "count": len(pauses),
                    "total_ms": round(sum(ms for _, ms, _ in pauses), 1),
                    "max_ms": max((ms for _, ms, _ in pauses), default=0.0),
                    "full": sum(gen == 2 for _, _, gen in pauses),
                },
            },
            "floor": {
                "latency_ms": summarize(floor.latencies(a["t"], b["t"])),
                "cpu_ms_per_update": _per(
                    b["floor"]["cpu"] - a["floor"]["cpu"], floor_frames
                ),
                "frames_sent": round(floor_sent),
                "frames_received": floor_frames,
                "bytes_per_hour": round(
                    (b["floor"]["bytes"] - a["floor"]["bytes"]) / span * 3600
                ),
                "probes_written": len(floor.pairs) + floor.unseen,
                "probes_seen": len(floor.pairs),
                "wrong": floor.wrong,
                "server_wait_ms": server_wait(step.floor_port),
                "max_server_queue": probe.max_queue(step.floor_port, a["t"], b["t"]),
            },
            "server": {
                "cpu_share": round((b["server_cpu"] - a["server_cpu"]) / span, 3),
                "cpu_us_per_frame": _per(
                    b["server_cpu"] - a["server_cpu"], all_frames, 1e6
                ),
            },
            "drain_seconds": None
            if drained_at is None
            else round(drained_at - halted, 3),
            "ha_reconnected": any(
                t >= start
                and port != step.floor_port
                and (port != ha_port or count == 0)
                for t, port, count in probe.subscriptions
            ),
            "poll": {
                **analysis.poll_staleness(changes, polls),
                "interval_s": s.poll_interval,
                "polls": len(polls),
                "requests_per_hour": round(3600 / s.poll_interval),
                "bytes_per_poll": round(sum(poll_bytes) / len(poll_bytes))
                if poll_bytes
                else None,
                "bytes_per_hour": round(
                    sum(poll_bytes) / len(poll_bytes) * 3600 / s.poll_interval
                )
                if poll_bytes
                else None,
            },
        }

    async def load_steps(self, step: Size, load: Helper) -> dict[str, Any]:
        """Measure with a share of the appliances busy (baseline), then every one of them (stress)."""
        s = self.settings
        ordinary = step.kitchen.describe()[: len(step.kitchen.ordinary)]
        results = {}
        for name, share in (("baseline", s.baseline_share), ("stress", 1.0)):
            busy = ordinary[: max(1, round(len(ordinary) * share))]
            self.say(
                f"{len(step.kitchen.appliances)} appliances: {name}, {len(busy)} busy"
            )
            await load.call("busy", appliances=busy, spread=min(2.0, s.warmup / 2))
            before = await load.call("counters")
            results[name] = await self.window(step, s.load_window, s.warmup)
            after = await load.call("counters")
            results[name]["busy_appliances"] = len(busy)
            results[name]["load_requests"] = after["requests"] - before["requests"]
            results[name]["load_refused"] = after["errors"] - before["errors"]
        return results

    # --- restarts -----------------------------------------------------------------------------------

    async def reconnect_step(self, step: Size) -> dict[str, Any]:
        """Kill -9 and restart the server, over and over: how long until Home Assistant is whole again."""
        s = self.settings
        # The floor here: a bare client that retries every 10 ms, as fast as anything could come back.
        await step.floor.call("follow")
        results: dict[str, Any] = {"server_startup_s": round(step.server.startup, 3)}
        for outage in s.outages:
            self.say(
                f"{len(step.kitchen.appliances)} appliances: {s.reconnect_cycles} restarts, "
                f"outage {outage:g} s"
            )
            cycles = [
                await self.restart_cycle(step, outage)
                for _ in range(s.reconnect_cycles)
            ]
            recoveries = [r for c in cycles if (r := c["recovery"]) is not None]
            results[f"{outage:g}s"] = {
                "outage_s": summarize(
                    [o for c in cycles if (o := c["outage"]) is not None], 1
                ),
                "recovery_s": summarize(recoveries, 1),
                "recovery_p95_s": _p95(recoveries),
                "floor_recovery_ms": summarize(
                    [f for c in cycles if (f := c["floor"]) is not None]
                ),
                "cycles": [
                    {k: None if v is None else round(v, 3) for k, v in c.items()}
                    for c in cycles
                ],
            }
        return results

    async def restart_cycle(self, step: Size, outage: float) -> dict[str, float | None]:
        """Open the probe doors, kill the server, restart it after `outage` s.

        Cycles follow each other like a restart storm: the integration is not reloaded in between
        (its backoff starts over once its stream is subscribed again).
        """
        hass = self.hass
        assert hass is not None
        assert step.doors is not None
        markers = list(step.doors)
        watch = [*markers, step.connectivity]
        await step.trigger.call(
            "set_doors", devices=[a.id for a in step.kitchen.probes], door_open=True
        )

        async def doors_open() -> bool:
            summary = await hass.call("summary", entry_id=step.entry_id, watch=watch)
            shown = summary["watch"]
            return (
                all(shown[m] == "on" for m in markers)
                and shown[step.connectivity] == "on"
            )

        await wait_until(doors_open, 60, "the open doors to reach Home Assistant")
        initial = (await hass.call("record", entry_id=step.entry_id))["states"]
        unavailable_before = {
            e for e, state in initial.items() if state in analysis.UNAVAILABLE
        }
        killed = await step.server.kill()
        # Started this much early, so that it listens when the outage should end.
        await asyncio.sleep(max(0.0, outage - step.server.startup))
        back = await step.server.start()
        await step.trigger.call("reset")

        async def whole() -> bool:
            summary = await hass.call("summary", entry_id=step.entry_id, watch=watch)
            shown = summary["watch"]
            return (
                not summary["absent"]
                and set(summary["unavailable"]) <= unavailable_before
                and all(shown[m] == "off" for m in markers)
                and shown[step.connectivity] == "on"
            )

        await wait_until(whole, 120, "Home Assistant to be whole again", 0.1)
        events = (await hass.call("dump", stop=True))["events"]
        wholes = (await step.floor.call("take_wholes"))["wholes"]
        return {
            "outage": back - killed,
            "recovery": analysis.recovery(
                initial, events, back, markers, step.connectivity
            ),
            "floor": next((t - back for t in wholes if t >= back), None),
        }

    # --- server scale -------------------------------------------------------------------------------

    async def scale_step(self) -> dict[str, Any]:
        """CPU and memory of the server with many appliances and many subscribed WebSocket clients."""
        s = self.settings
        self.say(
            f"server scale: {s.scale_size} appliances, {s.scale_clients} clients, tick {s.scale_tick} s"
        )
        kitchen = Kitchen.of_size(s.scale_size, tag="scale")
        server = await self.server(kitchen, "server-scale", s.scale_tick)
        fanout = await self.helper("fanout", server.url)
        load = await self.helper("load", server.url, str(s.scale_tick))
        try:
            rss_idle = rss_bytes(server.pid)
            devices = [a.id for a in kitchen.appliances]
            connect_start = now()
            await fanout.call("connect", clients=s.scale_clients, devices=devices)
            probe = server.probe
            snapshot_frames = s.scale_clients * kitchen.streams

            async def snapshots_sent() -> bool:
                probe.read()
                return (
                    sum(c[0] for c in probe.counters_at(now()).values())
                    >= snapshot_frames
                )

            await wait_until(snapshots_sent, 300, "every snapshot to be written", 0.1)
            connect_seconds = now() - connect_start
            idle = await self._server_window(server, fanout, min(5.0, s.scale_window))
            ordinary = kitchen.describe()[: len(kitchen.ordinary)]
            busy = ordinary[: max(1, round(len(ordinary) * s.baseline_share))]
            await load.call("busy", appliances=busy, spread=s.scale_tick)
            await asyncio.sleep(s.warmup)
            loaded = await self._server_window(server, fanout, s.scale_window)
            return {
                "appliances": s.scale_size,
                "clients": s.scale_clients,
                "tick_s": s.scale_tick,
                "busy_appliances": len(busy),
                "connect_and_snapshots_s": round(connect_seconds, 2),
                "rss_mb_before_clients": round(rss_idle / 2**20, 1),
                "idle": idle,
                "loaded": loaded,
            }
        finally:
            await load.stop()
            await fanout.stop()
            await server.stop()

    async def _server_window(
        self, server: ServerProcess, fanout: Helper, duration: float
    ) -> dict[str, Any]:
        """Measure the server's CPU, memory and frames written over a window."""
        a = await fanout.call("mark")
        cpu_a = cpu_seconds(server.pid)
        await asyncio.sleep(duration)
        b = await fanout.call("mark")
        cpu_b = cpu_seconds(server.pid)
        await asyncio.sleep(0.25)
        server.probe.read()
        probe = server.probe
        ports = probe.counters_at(b["t"])
        written = sum(
            _frames(probe, p, b["t"]) - _frames(probe, p, a["t"]) for p in ports
        )
        span = b["t"] - a["t"]
        return {
            "seconds": round(span, 2),
            "cpu_share": round((cpu_b - cpu_a) / span, 3),
            "rss_mb": round(rss_bytes(server.pid) / 2**20, 1),
            "frames_per_s": round(written / span),
            "cpu_us_per_frame": _per(cpu_b - cpu_a, written, 1e6),
            "client_frames_per_s": round((b["frames"] - a["frames"]) / span),
            "client_cpu_share": round((b["cpu"] - a["cpu"]) / span, 3),
        }


def _frames(probe: ProbeLog, port: int, t: float) -> float:
    """Return the frames written to a port up to t, interpolated between the server's counter lines."""
    times = [c[0] for c in probe.counters]
    before = max((i for i, x in enumerate(times) if x <= t), default=None)
    if before is None:
        return 0.0
    t0, c0 = probe.counters[before]
    f0 = c0.get(port, (0, 0, 0))[0]
    if before + 1 >= len(times):
        return float(f0)
    t1, c1 = probe.counters[before + 1]
    f1 = c1.get(port, (0, 0, 0))[0]
    return f0 + (f1 - f0) * (t - t0) / (t1 - t0)


def _per(seconds: float, count: float, scale: float = 1000.0) -> float | None:
    """Return seconds per item, scaled (default: milliseconds)."""
    return round(seconds / count * scale, 4) if count else None


def _p95(values: list[float]) -> float | None:
    """Return the 95th percentile in seconds."""
    return round(percentile(sorted(values), 95), 3) if values else None


def _log_errors(path: Path) -> list[str]:
    """Return Home Assistant's ERROR log lines (a sanity check of the run), at most 20."""
    if not path.exists():
        return []
    lines = [
        line
        for line in path.read_text(errors="replace").splitlines()
        if " ERROR " in line
    ]
    return lines[:20]
