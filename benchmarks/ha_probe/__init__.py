"""Benchmark probe for Home Assistant: stamps every `state_changed` and drives Smart Kitchen entries.

Loaded only into the throwaway configuration of `scripts/bench`, never into a real one. It records
`time.monotonic()` (CLOCK_MONOTONIC, shared by every process on the machine) at the moment a state is
written to the state machine, and the moment a Smart Kitchen entry starts its setup, and answers the
benchmark's commands on `POST http://127.0.0.1:<port>/<command>` (its own small server, so it needs no
`http` integration; no authentication: the configuration is thrown away after the run).

    bench_probe:
      port: 18124
"""

from collections.abc import Awaitable, Callable
import gc
import logging
import os
import time
from typing import Any

from aiohttp import web
from homeassistant.config_entries import (
    SIGNAL_CONFIG_ENTRY_CHANGED,
    SOURCE_USER,
    ConfigEntry,
    ConfigEntryChange,
)
from homeassistant.const import (
    ATTR_RESTORED,
    EVENT_HOMEASSISTANT_STOP,
    EVENT_STATE_CHANGED,
    STATE_UNAVAILABLE,
)
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.json import json_bytes
from homeassistant.helpers.typing import ConfigType

DOMAIN = "bench_probe"
TARGET = "smart_kitchen"
# Home Assistant's floor for adding entities (benchmarks/ha_bare).
BARE = "bench_bare"

type Command = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


class Recorder:
    """The stamps: state writes while recording, and every setup of a Smart Kitchen entry."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Start idle: nothing is recorded before `record`."""
        self.hass = hass
        self.recording = False
        self.only: set[str] | None = None
        self.events: list[tuple[float, str, str | None]] = []
        self.setups: list[tuple[float, str, str]] = []

    @callback
    def on_state_changed(self, event: Event[EventStateChangedData]) -> None:
        """Stamp a state write; runs inline in the write, so the stamp is the write's moment."""
        if not self.recording:
            return
        now = time.monotonic()
        entity_id = event.data["entity_id"]
        if self.only is None or entity_id in self.only:
            new_state = event.data["new_state"]
            self.events.append(
                (now, entity_id, None if new_state is None else new_state.state)
            )

    @callback
    def on_entry_changed(self, change: ConfigEntryChange, entry: ConfigEntry) -> None:
        """Stamp the states a Smart Kitchen entry goes through (setup start in particular)."""
        if entry.domain == TARGET and change is ConfigEntryChange.UPDATED:
            self.setups.append((time.monotonic(), entry.entry_id, entry.state.value))


def _entities(hass: HomeAssistant, entry_id: str) -> list[dict[str, Any]]:
    """Describe the enabled entities of an entry: appliance id, platform, device class, state."""
    entities = er.async_get(hass)
    devices = dr.async_get(hass)
    described = []
    for entity in er.async_entries_for_config_entry(entities, entry_id):
        if entity.disabled_by is not None:
            continue
        device = devices.async_get(entity.device_id) if entity.device_id else None
        # Appliance devices are `<server id>:<appliance id>` (appliance ids have no colon); the
        # hub's is the server id alone.
        appliance = next(
            (
                identifier.rpartition(":")[2]
                for domain, identifier in (device.identifiers if device else ())
                if domain == TARGET
            ),
            None,
        )
        state = hass.states.get(entity.entity_id)
        described.append(
            {
                "entity_id": entity.entity_id,
                "device": appliance,
                "domain": entity.domain,
                "device_class": entity.device_class or entity.original_device_class,
                "state": None if state is None else state.state,
            }
        )
    return described


class RemoteControl:
    """The benchmark's remote control."""

    def __init__(self, hass: HomeAssistant, recorder: Recorder) -> None:
        """Bind the commands."""
        self.hass = hass
        self.recorder = recorder
        self.commands: dict[str, Command] = {
            "status": self._status,
            "add": self._add,
            "reload": self._reload,
            "remove": self._remove,
            "record": self._record,
            "dump": self._dump,
            "entities": self._entities,
            "summary": self._summary,
            "freeze_gc": self._freeze_gc,
            "gc_pauses": self._gc_pauses,
            "bare": self._bare,
        }

    async def handle(self, request: web.Request) -> web.Response:
        """Run one command with the JSON body as its arguments."""
        command = request.match_info["command"]
        if (handler := self.commands.get(command)) is None:
            return web.json_response(
                {"error": f"unknown command {command}"}, status=404
            )
        body = await request.json() if request.can_read_body else {}
        return web.Response(
            body=json_bytes(await handler(body)), content_type="application/json"
        )

    async def _status(self, _args: dict[str, Any]) -> dict[str, Any]:
        """Report the process and the Smart Kitchen entries."""
        return {
            "pid": os.getpid(),
            "entries": [
                {"entry_id": entry.entry_id, "state": entry.state.value}
                for entry in self.hass.config_entries.async_entries(TARGET)
            ],
        }

    async def _add(self, args: dict[str, Any]) -> dict[str, Any]:
        """Add an entry through the config flow's user step, as a user would; return once set up."""
        result = await self.hass.config_entries.flow.async_init(
            TARGET, context={"source": SOURCE_USER}, data=args
        )
        entry = result.get("result")
        return {
            "type": str(result["type"]),
            "errors": result.get("errors"),
            "entry_id": entry.entry_id if isinstance(entry, ConfigEntry) else None,
        }

    async def _reload(self, args: dict[str, Any]) -> dict[str, Any]:
        """Unload an entry, then set it up again (the setup start is stamped)."""
        entry_id = args["entry_id"]
        await self.hass.config_entries.async_unload(entry_id)
        ok = await self.hass.config_entries.async_setup(entry_id)
        return {"ok": ok}

    async def _remove(self, args: dict[str, Any]) -> dict[str, Any]:
        """Remove an entry with its devices and entities."""
        await self.hass.config_entries.async_remove(args["entry_id"])
        return {"ok": True}

    async def _record(self, args: dict[str, Any]) -> dict[str, Any]:
        """Start (or restart) recording state writes, of all entities or only the given ones."""
        recorder = self.recorder
        recorder.events = []
        only = args.get("entities")
        recorder.only = None if only is None else set(only)
        recorder.recording = True
        states = {}
        if entry_id := args.get("entry_id"):
            states = {
                entity["entity_id"]: entity["state"]
                for entity in _entities(self.hass, entry_id)
            }
        return {"t": time.monotonic(), "states": states}

    async def _dump(self, args: dict[str, Any]) -> dict[str, Any]:
        """Return what was recorded; `stop` ends the recording."""
        recorder = self.recorder
        if args.get("stop"):
            recorder.recording = False
        events, recorder.events = recorder.events, []
        return {"events": events, "setups": recorder.setups}

    async def _bare(self, args: dict[str, Any]) -> dict[str, Any]:
        """Home Assistant's own floor: add (cold), then reload (warm), an entry of bare entities.

        `bench_bare` (benchmarks/ha_bare) makes `appliances` devices and `entities` ({platform:
        count}) that do nothing; the entry is removed afterwards.
        """
        started = time.monotonic()
        result = await self.hass.config_entries.flow.async_init(
            BARE, context={"source": SOURCE_USER}, data=args
        )
        entry = result.get("result")
        if not isinstance(entry, ConfigEntry):
            raise TypeError(f"bench_bare made no entry: {result}")
        cold = time.monotonic() - started
        count = self._count_states(entry.entry_id)
        warm = []
        for _ in range(args["reloads"]):
            started = time.monotonic()
            await self.hass.config_entries.async_reload(entry.entry_id)
            warm.append(round((time.monotonic() - started) * 1000, 1))
        await self.hass.config_entries.async_remove(entry.entry_id)
        return {"cold_ms": round(cold * 1000, 1), "warm_ms": warm, "entities": count}

    def _count_states(self, entry_id: str) -> int:
        """Return how many entities of an entry have a state (all of them, once set up)."""
        registry = er.async_get(self.hass)
        return sum(
            self.hass.states.get(entity.entity_id) is not None
            for entity in er.async_entries_for_config_entry(registry, entry_id)
        )

    async def _gc_pauses(self, args: dict[str, Any]) -> dict[str, Any]:
        """Return the GC pauses (20 ms or more) that ended between `start` and `end` (monotonic)."""
        return {
            "pauses": [p for p in GC_PAUSES if args["start"] <= p[0] <= args["end"]]
        }

    async def _freeze_gc(self, _args: dict[str, Any]) -> dict[str, Any]:
        """Experiment (`scripts/bench --gc-freeze`): move every object alive now out of the GC's reach.

        What Home Assistant core could do once started; an integration must not touch the process's
        collector. Later full collections then scan only what was created after this.
        """
        started = time.monotonic()
        gc.collect()
        gc.freeze()
        return {
            "frozen": gc.get_freeze_count(),
            "seconds": round(time.monotonic() - started, 3),
        }

    async def _entities(self, args: dict[str, Any]) -> dict[str, Any]:
        """Describe the entities of an entry."""
        return {"entities": _entities(self.hass, args["entry_id"])}

    async def _summary(self, args: dict[str, Any]) -> dict[str, Any]:
        """Tell which entities of an entry have no state yet or are unavailable; show the watched ones.

        A state restored by Home Assistant (written while the entry was unloaded) counts as no state.
        """
        described = _entities(self.hass, args["entry_id"])
        absent = 0
        unavailable = []
        for entity in described:
            state = self.hass.states.get(entity["entity_id"])
            if state is None or state.attributes.get(ATTR_RESTORED):
                absent += 1
            elif state.state == STATE_UNAVAILABLE:
                unavailable.append(entity["entity_id"])
        return {
            "total": len(described),
            "absent": absent,
            "unavailable": unavailable,
            "watch": {
                entity_id: (
                    state.state if (state := self.hass.states.get(entity_id)) else None
                )
                for entity_id in args.get("watch", [])
            },
        }


# GC pauses of 20 ms or more: (monotonic end, milliseconds, generation), for the windows' reports.
GC_PAUSES: list[tuple[float, float, int]] = []


def _watch_gc() -> None:
    """Keep (and log) every garbage collection that holds Home Assistant's loop for 20 ms or more.

    A run with 1,000 appliances showed gen-2 collections of ~1.3 s (mostly Home Assistant's own
    Event/State/Context cycles left by state writes): they are the push latency's p99.
    """
    log = logging.getLogger(__name__)
    started: list[float] = [0.0]

    def callback_(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[0] = time.monotonic()
            return
        ended = time.monotonic()
        if (took := ended - started[0]) >= 0.02:
            GC_PAUSES.append((ended, round(took * 1000, 1), info["generation"]))
            log.warning(
                "GC pause %.0f ms at %.3f (generation %d, %d collected)",
                took * 1000,
                ended,
                info["generation"],
                info["collected"],
            )

    gc.callbacks.append(callback_)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Start stamping and register the remote control."""
    _watch_gc()
    recorder = Recorder(hass)
    hass.bus.async_listen(EVENT_STATE_CHANGED, recorder.on_state_changed)
    async_dispatcher_connect(
        hass, SIGNAL_CONFIG_ENTRY_CHANGED, recorder.on_entry_changed
    )
    app = web.Application()
    app.router.add_post("/{command}", RemoteControl(hass, recorder).handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", config[DOMAIN]["port"]).start()

    async def stop(_event: Event) -> None:
        await runner.cleanup()

    hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, stop)
    return True
