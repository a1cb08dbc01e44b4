"""Command line: serve the demo or a config file, or hash a password for a config file."""

import argparse
import asyncio
from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import replace
import getpass
import logging
from pathlib import Path
import signal
import sys

from . import probe
from .advertise import advertise
from .auth import hash_password
from .config import ServerConfig
from .const import DEFAULT_HOST, DEFAULT_PORT, VERSION
from .errors import ConfigError
from .server import SmartKitchenServer

_LOGGER = logging.getLogger(__name__)


def _positive(value: str) -> float:
    """Parse a positive number of seconds."""
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if not number > 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return number


def build_parser() -> argparse.ArgumentParser:
    """Describe the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m smart_kitchen_server",
        description="Smart Kitchen reference appliance server (protocol v1).",
    )
    parser.add_argument("--version", action="version", version=VERSION)
    parser.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help="address to listen on (default %(default)s)",
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help="TCP port (default %(default)s)"
    )
    parser.add_argument(
        "--tick",
        type=_positive,
        help="seconds per simulation tick (default 2.0, or the config file's)",
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="YAML or JSON config file (default: the embedded demo)",
    )
    parser.add_argument(
        "--state-file",
        metavar="FILE",
        help="JSON file keeping the energy and water counters across restarts "
        "(default: the config file's state_file, or none)",
    )
    parser.add_argument(
        "--advertise",
        action="store_true",
        help="announce _smartkitchen._tcp.local. with zeroconf (multicast)",
    )
    parser.add_argument(
        "--probe",
        metavar="FILE",
        help="benchmarks only: append write stamps of probe frames to FILE (off by default)",
    )
    commands = parser.add_subparsers(dest="command", metavar="{hash-password}")
    commands.add_parser(
        "hash-password",
        help="read a password (prompt or stdin) and print the hash a config file stores",
    )
    return parser


def load_config(
    config_file: str | None, tick: float | None, state_file: str | None = None
) -> ServerConfig:
    """Return the config to serve: the file's or the demo, with --tick and --state-file applied."""
    config = (
        ServerConfig.demo()
        if config_file is None
        else ServerConfig.from_file(config_file)
    )
    if tick is not None:
        config = replace(config, tick=tick)
    if state_file is not None:
        config = replace(config, state_file=Path(state_file))
    return config


async def serve(
    config: ServerConfig,
    *,
    host: str,
    port: int,
    advertise_service: bool = False,
    stop: asyncio.Event | None = None,
    probe_file: str | None = None,
) -> None:
    """Run a server until SIGINT/SIGTERM (or until `stop` is set)."""
    stop = stop or asyncio.Event()
    # Built first: a state file that cannot be read raises ConfigError before any handler is set.
    server = SmartKitchenServer(config)
    recorder = None if probe_file is None else probe.enable(probe_file)
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    for signum in signals:
        loop.add_signal_handler(signum, stop.set)
    try:
        bound = await server.start(host, port)
        async with AsyncExitStack() as stack:
            if recorder is not None:
                recorder.listening()
                flusher = asyncio.create_task(recorder.run())
                stack.callback(flusher.cancel)
            if advertise_service:
                await stack.enter_async_context(
                    advertise(
                        server_id=config.server_id,
                        name=config.name,
                        host=host,
                        port=bound,
                    )
                )
            await stop.wait()
    finally:
        for signum in signals:
            loop.remove_signal_handler(signum)
        await server.stop()
        probe.disable()


def hash_password_command() -> int:
    """Read a password and print its hash."""
    if sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Repeat password: ") != password:
            sys.stderr.write("error: the passwords differ\n")
            return 1
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        sys.stderr.write("error: the password must not be empty\n")
        return 1
    sys.stdout.write(hash_password(password) + "\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = build_parser().parse_args(argv)
    if args.command == "hash-password":
        return hash_password_command()
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        asyncio.run(
            serve(
                load_config(args.config, args.tick, args.state_file),
                host=args.host,
                port=args.port,
                advertise_service=args.advertise,
                probe_file=args.probe,
            )
        )
    except ConfigError as err:
        # The config file, or a state file that cannot be read (found when the server is built).
        sys.stderr.write(f"error: {err}\n")
        return 2
    except OSError as err:
        sys.stderr.write(
            f"error: cannot serve on {args.host}:{args.port}: {err.strerror or err}\n"
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
