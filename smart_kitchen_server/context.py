"""The shared state request handlers work on."""

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field

from .auth import Clock, LoginThrottle, PasswordChecker, SessionStore
from .config import ServerConfig, UserConfig
from .hub import Hub
from .simulation import Simulation


@dataclass(slots=True, kw_only=True)
class ServerContext:
    """Everything one running server's REST and WebSocket handlers share."""

    config: ServerConfig
    boot_id: str
    clock: Clock
    sessions: SessionStore
    throttle: LoginThrottle
    passwords: PasswordChecker
    simulation: Simulation
    hub: Hub
    users: Mapping[str, UserConfig]
    # WebSocket handler tasks still running, so stop() and drop_connections() can wait for them.
    websocket_tasks: set[asyncio.Task[object]] = field(default_factory=set)
