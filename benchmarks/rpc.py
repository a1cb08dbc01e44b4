"""How the orchestrator drives its helper processes: one JSON command per line on stdin, one answer on stdout.

Every helper (`python -m benchmarks.<name>`) is its own process, so its CPU time and its event loop are its
own, as they would be on a real installation.
"""

import asyncio
from collections.abc import Awaitable, Callable
import json
import os
from pathlib import Path
import sys
from typing import Any

type Handler = Callable[..., Awaitable[dict[str, Any]]]

# The benchmark's processes find both packages (`benchmarks`, `smart_kitchen_server`) in the checkout.
REPO = Path(__file__).resolve().parent.parent


async def serve(handlers: dict[str, Handler]) -> None:
    """Answer commands from stdin until `stop` or the end of input."""
    handlers = {"stop": _nothing, **handlers}
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=2**24)
    await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), sys.stdin
    )
    while line := await reader.readline():
        request = json.loads(line)
        name = request.pop("cmd")
        answer: dict[str, Any]
        try:
            answer = {"ok": await handlers[name](**request)}
        except Exception as err:  # noqa: BLE001 - reported to the orchestrator, which fails the step
            answer = {"error": f"{type(err).__name__}: {err}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()
        if name == "stop":
            return


async def _nothing() -> dict[str, Any]:
    """Stop without anything to clean up (the default `stop`)."""
    return {}


class Helper:
    """A helper process and the commands it answers."""

    def __init__(self, process: asyncio.subprocess.Process, name: str) -> None:
        """Wrap a started process."""
        self.process = process
        self.name = name
        self._lock = asyncio.Lock()

    @classmethod
    async def start(cls, name: str, *args: str, log: Path) -> Helper:
        """Start `python -m benchmarks.<name> args…`, its stderr going to `log`."""
        with log.open("ab") as stderr:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                f"benchmarks.{name}",
                *args,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=stderr,
                cwd=REPO,
                env={**os.environ, "PYTHONPATH": str(REPO)},
                limit=2**26,
            )
        return cls(process, name)

    @property
    def pid(self) -> int:
        """The process id."""
        return self.process.pid

    async def call(self, cmd: str, **args: Any) -> Any:
        """Send a command and return its answer; raise if the helper failed it."""
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        async with self._lock:
            self.process.stdin.write((json.dumps({"cmd": cmd, **args}) + "\n").encode())
            await self.process.stdin.drain()
            line = await self.process.stdout.readline()
        if not line:
            raise RuntimeError(
                f"{self.name} exited (status {await self.process.wait()})"
            )
        answer = json.loads(line)
        if "error" in answer:
            raise RuntimeError(f"{self.name} {cmd}: {answer['error']}")
        return answer["ok"]

    async def stop(self) -> None:
        """Ask the helper to stop; kill it if it does not."""
        if self.process.returncode is None:
            try:
                async with asyncio.timeout(10):
                    await self.call("stop")
                    await self.process.wait()
            except TimeoutError, RuntimeError, ConnectionError:
                self.process.kill()
                await self.process.wait()


def run(
    handlers: dict[str, Handler], setup: Callable[[], Awaitable[None]] | None = None
) -> None:
    """Run a helper process: optional setup, then answer commands."""

    async def main() -> None:
        if setup is not None:
            await setup()
        await serve(handlers)

    asyncio.run(main())
