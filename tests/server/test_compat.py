"""Today's client library against every protocol addition: nothing it receives may be malformed to it."""

import asyncio

import pytest

from custom_components.smart_kitchen.api import (
    Alert,
    DeviceUpdate,
    DishwasherStatus,
    SmartKitchenCommandError,
    SmartKitchenConnection,
)
from smart_kitchen_server import SmartKitchenServer
from tests.helpers import EventRecorder, FakeClock
from tests.kitchen import Kitchen


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

        recorder = EventRecorder()
        # Following the account: the connection loads the appliance list itself.
        connection = SmartKitchenConnection(client, on_event=recorder)
        task = asyncio.create_task(connection.run())
        try:
            await recorder.wait_until(lambda: len(recorder.of(DeviceUpdate)) == 5)
            server.simulation.set_online(server.simulation.devices["oven-1"], True)
            clock.advance(300)
            await server.tick()
            await recorder.wait_until(
                lambda: (
                    any(
                        alert.alert_type == "timer_finished"
                        for alert in recorder.of(Alert)
                    )
                    and any(
                        update.device_id == "dishwasher-1"
                        and update.state.status is DishwasherStatus.RUNNING  # type: ignore[union-attr]
                        for update in recorder.of(DeviceUpdate)
                    )
                )
            )
        finally:
            await connection.close()
            await task

        assert connection.stats.malformed_messages == 0
