"""Today's client library against every protocol addition: nothing it receives may be malformed to it."""

import asyncio
from collections.abc import Callable

import pytest

from custom_components.smart_kitchen.api import (
    Alert,
    DeviceUpdate,
    DishwasherStatus,
    Event,
    SmartKitchenCommandError,
    SmartKitchenConnection,
)
from smart_kitchen_server import SmartKitchenServer
from tests.kitchen import Kitchen

from .conftest import TIMEOUT, FakeClock


class Recorder:
    """Collects the connection's events and lets the test wait for a condition on them."""

    def __init__(self) -> None:
        """Start with no events."""
        self.events: list[Event] = []
        self._changed = asyncio.Event()

    def __call__(self, event: Event) -> None:
        """Record one event."""
        self.events.append(event)
        self._changed.set()

    async def wait_until(self, predicate: Callable[[list[Event]], bool]) -> None:
        """Return once the predicate holds for the events so far."""
        async with asyncio.timeout(TIMEOUT):
            while not predicate(self.events):
                self._changed.clear()
                await self._changed.wait()


def updates(events: list[Event]) -> list[DeviceUpdate]:
    """Return the device updates among the events."""
    return [event for event in events if isinstance(event, DeviceUpdate)]


async def test_todays_client_parses_every_addition(
    server: SmartKitchenServer, clock: FakeClock
) -> None:
    """Scheduled starts, timers, super modes, the status object, offline appliances and new alerts."""
    async with Kitchen(server.url) as client:
        await client.login("demo", "demo")
        await client.send_command(
            "oven-1", "set_mode", compartment="upper", mode="bake"
        )
        await client.send_command("oven-1", "set_timer", compartment="upper", minutes=1)
        await client.send_command(
            "fridge-1", "set_super_cool", compartment="fridge", on=True
        )
        scheduled = await client.send_command("dishwasher-1", "start", delayMinutes=5)
        # A scheduled dishwasher is idle to a client that does not know startsAt.
        assert scheduled.states[None].status is DishwasherStatus.IDLE
        assert [device.id for device in await client.get_devices()] == [
            "oven-1",
            "fridge-1",
            "dishwasher-1",
        ]
        await client.set_door("fridge-1", open=False, compartment="fridge")
        server.simulation.set_online(server.simulation.devices["oven-1"], False)
        with pytest.raises(SmartKitchenCommandError) as err:
            await client.send_command("oven-1", "turn_off", compartment="upper")
        assert (err.value.code, err.value.status) == ("device_offline", 409)

        recorder = Recorder()
        # Following the account: the connection loads the appliance list itself.
        connection = SmartKitchenConnection(client, on_event=recorder)
        task = asyncio.create_task(connection.run())
        try:
            await recorder.wait_until(lambda events: len(updates(events)) == 5)
            server.simulation.set_online(server.simulation.devices["oven-1"], True)
            clock.advance(300)
            await server.tick()
            await recorder.wait_until(
                lambda events: (
                    any(
                        isinstance(event, Alert)
                        and event.alert_type == "timer_finished"
                        for event in events
                    )
                    and any(
                        update.device_id == "dishwasher-1"
                        and update.state.status is DishwasherStatus.RUNNING  # type: ignore[union-attr]
                        for update in updates(events)
                    )
                )
            )
        finally:
            await connection.close()
            await task

        assert connection.stats.malformed_messages == 0
