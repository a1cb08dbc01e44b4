"""A Home Assistant process with only what the benchmark needs, for `--quick` (the test suite).

`python -m homeassistant` (what the full run starts) imports and sets up the frontend, `http` and some sixty
default integrations: 7 s of CPU here before anything else happens, and the frontend is a
`requirements_dev.txt` package the test suite does not install. This runner builds the same core the way
bootstrap does (registries, config entries, the `homeassistant` integration, core config), without
importing bootstrap, and sets up only `bench_probe`; Smart Kitchen then comes in through its config flow
exactly as in the full run. Usage: `python -m benchmarks.hass_runner CONFIG_DIR PROBE_PORT`.
"""

import asyncio
import logging
import signal
import sys

from homeassistant import config_entries, core, loader
from homeassistant.core_config import async_process_ha_core_config
from homeassistant.helpers import (
    area_registry,
    category_registry,
    device_registry,
    entity,
    entity_registry,
    floor_registry,
    frame,
    issue_registry,
    label_registry,
    restore_state,
    template,
    translation,
)
from homeassistant.setup import async_setup_component


async def run(config_dir: str, probe_port: int) -> None:
    """Start, serve until SIGTERM/SIGINT, stop."""
    hass = core.HomeAssistant(config_dir)
    loader.async_setup(hass)
    hass.config.skip_pip = True
    hass.config_entries = config_entries.ConfigEntries(hass, {})
    await loader.async_get_custom_components(hass)
    # What bootstrap.async_load_base_functionality does, for the parts an integration uses.
    entity.async_setup(hass)
    frame.async_setup(hass)
    template.async_setup(hass)
    translation.async_setup(hass)
    device_registry.async_setup(hass)
    await asyncio.gather(
        area_registry.async_load(hass),
        category_registry.async_load(hass),
        device_registry.async_load(hass),
        entity_registry.async_load(hass),
        floor_registry.async_load(hass),
        issue_registry.async_load(hass),
        label_registry.async_load(hass),
        restore_state.async_load(hass),
        hass.config_entries.async_initialize(),
    )
    # `network`: Home Assistant's HTTP client session (the integration's) resolves names through it.
    for domain in ("persistent_notification", "network"):
        await async_setup_component(hass, domain, {})
    await async_process_ha_core_config(
        hass,
        {"name": "Smart Kitchen bench", "unit_system": "metric", "time_zone": "UTC"},
    )
    if not await async_setup_component(
        hass, "bench_probe", {"bench_probe": {"port": probe_port}}
    ):
        raise RuntimeError("could not set up bench_probe")
    await hass.async_start()
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        hass.loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await hass.async_stop()


def main() -> None:
    """Run with the config directory argv[1] and the probe's port argv[2]."""
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(run(sys.argv[1], int(sys.argv[2])))


if __name__ == "__main__":
    main()
