"""Smart Kitchen reference appliance server: protocol v1 (docs/protocol.md) over aiohttp, with a simulation.

The in-process API below is what the test suites use; it is stable.

    from smart_kitchen_server import ServerConfig, SmartKitchenServer

    config = ServerConfig.demo(tick=None)       # tick: seconds per tick, or None = only server.tick() moves it
    config = ServerConfig.from_file("kitchen.yaml")   # YAML or JSON (see smart_kitchen_server.config)
    server = SmartKitchenServer(config, heartbeat=20.0, clock=None, header_timeout=10.0, body_timeout=10.0)
        # heartbeat: WebSocket ping interval in seconds (a client silent for 3 heartbeats is dropped)
        # clock: () -> aware datetime, read for token expiry, the login throttle, the bad-message window
        #        and message timestamps (default: real UTC time)
        # header_timeout / body_timeout: seconds a connection may take to send a request head (also
        #        how long an idle keep-alive connection stays) and a request body
    port = await server.start(host="127.0.0.1", port=0)   # returns the bound port
    server.url                     # "http://127.0.0.1:<port>"
    await server.tick(n=1)         # advance n ticks now; updates and alerts are queued to sockets on return
    await server.drop_connections()   # cut every WebSocket without a close frame (abnormal closure, 1006)
    await server.wait_until(lambda: server.connection_count == 1)  # re-checked on (dis)connect/(un)subscribe
    await server.stop()            # close sockets (1001), stop listening, cancel every task it started

    async with SmartKitchenServer(config, clock=clock) as server:   # start() on 127.0.0.1:0 ... stop()
        ...

Read-only introspection: `server.boot_id`, `server.port`, `server.config`, `server.connection_count`,
`server.subscriber_count(device_id)`, `server.simulation.devices` (id -> Device), `server.sessions` (len()),
`server.hub`. A new SmartKitchenServer on the same port after `stop()` simulates a restart: new boot id,
no sessions, empty alert buffers, appliances back in their initial states.
"""

from .config import DeviceConfig, ServerConfig, UserConfig
from .const import VERSION
from .errors import ConfigError
from .server import SmartKitchenServer

__version__ = VERSION

__all__ = [
    "ConfigError",
    "DeviceConfig",
    "ServerConfig",
    "SmartKitchenServer",
    "UserConfig",
    "__version__",
]
