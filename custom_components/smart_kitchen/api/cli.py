"""Command line tool for debugging a server: `python -m custom_components.smart_kitchen.api watch`."""

import argparse
import asyncio
from collections.abc import Mapping, Sequence
import dataclasses
from datetime import datetime
from enum import Enum
import getpass
import logging
import os
import sys
from typing import TextIO

import aiohttp

from .client import SmartKitchenClient
from .connection import SmartKitchenConnection
from .exceptions import SmartKitchenAuthenticationError, SmartKitchenError
from .models import Event

PASSWORD_ENV = "SMART_KITCHEN_PASSWORD"  # noqa: S105 - the variable that holds it, not a password


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the tool."""
    parser = argparse.ArgumentParser(
        prog="python -m custom_components.smart_kitchen.api",
        description="Talk to a Smart Kitchen server from the command line.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    watch_parser = commands.add_parser(
        "watch",
        help="print the event stream as it arrives",
        description=f"Print events as they arrive; the password comes from ${PASSWORD_ENV} or a prompt.",
    )
    watch_parser.add_argument(
        "--url", required=True, help="base URL, e.g. http://127.0.0.1:8765"
    )
    watch_parser.add_argument("--username", required=True)
    watch_parser.add_argument(
        "--device",
        action="append",
        default=[],
        dest="devices",
        metavar="ID",
        help="subscribe to this device (repeatable; default: all of the user's devices)",
    )
    watch_parser.add_argument(
        "--insecure",
        action="store_true",
        help="do not verify the server's TLS certificate",
    )
    watch_parser.add_argument(
        "--debug", action="store_true", help="log the library's debug output"
    )
    return parser


def _format_value(value: object) -> str:
    """Render one field value compactly (enums by value, models as {field=value})."""
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return "{" + _format_fields(value) + "}"
    if isinstance(value, Mapping):
        return (
            "{"
            + ", ".join(f"{key}: {_format_value(item)}" for key, item in value.items())
            + "}"
        )
    if isinstance(value, tuple):
        return "[" + ", ".join(_format_value(item) for item in value) + "]"
    return str(value)


def _format_fields(value: object) -> str:
    """Render the fields of a model as `name=value` pairs."""
    return ", ".join(
        f"{field.name}={_format_value(getattr(value, field.name))}"
        for field in dataclasses.fields(value)  # type: ignore[arg-type]
    )


def format_event(event: Event) -> str:
    """Render an event as one line."""
    return f"{type(event).__name__} {_format_fields(event)}"


async def watch(
    url: str,
    username: str,
    password: str,
    *,
    device_ids: Sequence[str] = (),
    verify_ssl: bool = True,
    out: TextIO = sys.stdout,
    stop: asyncio.Event | None = None,
) -> int:
    """Log in, subscribe and print events until `stop` is set (or the task is cancelled)."""

    def write(line: str) -> None:
        out.write(line + "\n")
        out.flush()

    async with aiohttp.ClientSession() as session:
        try:
            client = SmartKitchenClient(
                url,
                session,
                username=username,
                password=password,
                verify_ssl=verify_ssl,
            )
        except ValueError as err:
            # Credentials in the URL: the message says so without repeating them.
            write(f"error: {err}")
            return 1
        try:
            await client.login()
        except SmartKitchenError as err:
            write(f"error: {err}")
            return 1
        connection = SmartKitchenConnection(
            client,
            on_event=lambda event: write(format_event(event)),
            # Without --device it follows the user's appliances, as they come and go.
            device_ids=device_ids or None,
        )
        stop_event = stop or asyncio.Event()

        async def close_on_stop() -> None:
            await stop_event.wait()
            await connection.close()

        stopper = asyncio.create_task(close_on_stop())
        failure: str | None = None
        try:
            await connection.run()
        except SmartKitchenAuthenticationError as err:
            failure = str(err)
        finally:
            stopper.cancel()
            await asyncio.wait((stopper,))
            await connection.close()
    if failure is not None:
        # Printed after the connection's last state line, so it is what the user sees last.
        write(f"error: {failure}")
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the tool; return the process exit code."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING)
    password = os.environ.get(PASSWORD_ENV) or getpass.getpass(
        f"Password for {args.username}: "
    )
    try:
        return asyncio.run(
            watch(
                args.url,
                args.username,
                password,
                device_ids=args.devices,
                verify_ssl=not args.insecure,
            )
        )
    except KeyboardInterrupt:
        # asyncio.run cancelled watch(), which closed the connection; Ctrl-C is the normal way out.
        return 0
