"""Tests for the suite's own leak check, which the connection tests rely on to prove a clean close."""

import asyncio

import pytest

from .conftest import no_leaked_tasks


async def test_a_pending_task_fails_the_test() -> None:
    """A task created and left pending is reported, and cancelled so it leaks no further."""
    leaked: asyncio.Task[bool] | None = None
    with pytest.raises(pytest.fail.Exception, match=r"left 1 pending task\(s\)"):
        async with no_leaked_tasks():
            leaked = asyncio.create_task(asyncio.Event().wait(), name="leaky")
    assert leaked is not None
    assert leaked.cancelled()


async def _nothing() -> None:
    """Return at once: a task that finishes."""


async def test_finished_and_earlier_tasks_pass() -> None:
    """Tasks awaited inside the body, and tasks that were already running, are not leaks."""
    earlier = asyncio.create_task(asyncio.Event().wait())
    try:
        async with no_leaked_tasks():
            await asyncio.create_task(_nothing())
    finally:
        earlier.cancel()
        await asyncio.wait((earlier,))
