"""Commands from numbers, selects and buttons, and how their failures are reported."""

from collections.abc import Awaitable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
import logging
from typing import Any
from unittest.mock import patch

from homeassistant.components.button import DOMAIN as BUTTON_DOMAIN, SERVICE_PRESS
from homeassistant.components.number import (
    ATTR_VALUE,
    DOMAIN as NUMBER_DOMAIN,
    SERVICE_SET_VALUE,
)
from homeassistant.components.select import (
    ATTR_OPTION,
    DOMAIN as SELECT_DOMAIN,
    SERVICE_SELECT_OPTION,
)
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.const import ATTR_ENTITY_ID, EVENT_STATE_CHANGED
from homeassistant.core import HomeAssistant, State
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    mock_restore_cache,
)

from custom_components.smart_kitchen.api import (
    DeviceUpdate,
    OvenState,
    SmartKitchenAuthenticationError,
    SmartKitchenClient,
    SmartKitchenCommandError,
    SmartKitchenResponseError,
)
from smart_kitchen_server import ServerConfig, SmartKitchenServer
from tests.helpers import FakeClock
from tests.kitchen import Kitchen

from .conftest import StreamSpy, attributes_of, reconnect, setup_entry, state_of

UPPER_MODE = "select.double_oven_upper_mode"
UPPER_TARGET = "number.double_oven_upper_target_temperature"
LOWER_TARGET = "number.double_oven_lower_target_temperature"
PROGRAM = "select.dishwasher_program"
START = "button.dishwasher_start_program"
PAUSE = "button.dishwasher_pause_program"
RESUME = "button.dishwasher_resume_program"
CANCEL = "button.dishwasher_cancel_program"


async def set_value(hass: HomeAssistant, entity_id: str, value: float) -> None:
    """Set a number."""
    await hass.services.async_call(
        NUMBER_DOMAIN,
        SERVICE_SET_VALUE,
        {ATTR_ENTITY_ID: entity_id, ATTR_VALUE: value},
        blocking=True,
    )


async def select_option(hass: HomeAssistant, entity_id: str, option: str) -> None:
    """Select an option."""
    await hass.services.async_call(
        SELECT_DOMAIN,
        SERVICE_SELECT_OPTION,
        {ATTR_ENTITY_ID: entity_id, ATTR_OPTION: option},
        blocking=True,
    )


async def press(hass: HomeAssistant, entity_id: str) -> None:
    """Press a button."""
    await hass.services.async_call(
        BUTTON_DOMAIN, SERVICE_PRESS, {ATTR_ENTITY_ID: entity_id}, blocking=True
    )


async def select_mode_failing(
    hass: HomeAssistant, method: str, error: Exception
) -> HomeAssistantError:
    """Choose an oven mode while a client call fails so; return what Home Assistant raised."""
    with (
        patch.object(SmartKitchenClient, method, side_effect=error),
        pytest.raises(HomeAssistantError) as err,
    ):
        await select_option(hass, UPPER_MODE, "grill")
    return err.value


async def test_oven_commands(
    hass: HomeAssistant, stream: StreamSpy, init_integration: MockConfigEntry
) -> None:
    """A mode and a target temperature go to the oven; the new state arrives by push."""
    await stream.update_after(
        select_option(hass, UPPER_MODE, "convection"), "oven-1", "upper"
    )
    assert state_of(hass, UPPER_MODE) == "convection"
    assert state_of(hass, UPPER_TARGET) == "160"

    await stream.update_after(set_value(hass, UPPER_TARGET, 200), "oven-1", "upper")
    assert state_of(hass, UPPER_TARGET) == "200"

    await stream.update_after(
        set_value(hass, "number.fridge_freezer_freezer_target_temperature", -20),
        "fridge-1",
        "freezer",
    )
    assert state_of(hass, "number.fridge_freezer_freezer_target_temperature") == "-20.0"


async def test_target_of_an_off_oven_starts_baking(
    hass: HomeAssistant, stream: StreamSpy, init_integration: MockConfigEntry
) -> None:
    """An oven that is off shows the target its knob would start at; setting one starts baking."""
    assert state_of(hass, "select.double_oven_lower_mode") == "off"
    assert state_of(hass, LOWER_TARGET) == "180"

    mark = stream.mark()
    await set_value(hass, LOWER_TARGET, 200)
    await stream.wait_for(
        lambda event: (
            isinstance(event, DeviceUpdate)
            and event.compartment == "lower"
            and isinstance(event.state, OvenState)
            and event.state.target_temperature == 200
        ),
        mark,
    )
    assert state_of(hass, "select.double_oven_lower_mode") == "bake"
    assert state_of(hass, LOWER_TARGET) == "200"
    assert state_of(hass, "sensor.double_oven_lower_status") == "preheating"


@pytest.mark.parametrize(
    ("code", "translation_key", "message"),
    [
        (
            "conflict",
            "command_conflict",
            "Double Oven (Lower) cannot do this in its current state",
        ),
        (
            "invalid_command",
            "command_invalid",
            "Double Oven (Lower) does not support this command",
        ),
        (
            "value_out_of_range",
            "value_refused",
            "Double Oven (Lower) does not accept this value",
        ),
        (
            "unknown_device",
            "appliance_gone",
            "Double Oven (Lower) is no longer on this Smart Kitchen account",
        ),
        ("teapot", "command_refused", "Double Oven (Lower) refused the command"),
    ],
)
async def test_refused_command(
    hass: HomeAssistant,
    *,
    caplog: pytest.LogCaptureFixture,
    init_integration: MockConfigEntry,
    code: str,
    translation_key: str,
    message: str,
) -> None:
    """A refused command names the appliance and compartment, never the protocol's words.

    The server's own message ("choose a mode with set_mode first") is for the debug log. A state
    the integration has not seen yet (another client turned the oven off) is such a refusal,
    so the server's answer is substituted.
    """
    caplog.set_level(logging.DEBUG, logger="custom_components.smart_kitchen")
    refusal = SmartKitchenCommandError(
        "lower is off; choose a mode with set_mode first", code=code, status=409
    )
    with (
        patch.object(SmartKitchenClient, "send_command", side_effect=refusal),
        pytest.raises(ServiceValidationError) as err,
    ):
        await set_value(hass, LOWER_TARGET, 200)

    assert err.value.translation_key == translation_key
    assert err.value.translation_placeholders == {"name": "Double Oven (Lower)"}
    # Home Assistant drops a message's final full stop.
    assert str(err.value) == message
    assert "choose a mode with set_mode first" in caplog.text


async def test_dishwasher_program(
    hass: HomeAssistant,
    stream: StreamSpy,
    kitchen: Kitchen,
    init_integration: MockConfigEntry,
) -> None:
    """The program select is the dishwasher's own selection, which the start button runs."""
    assert state_of(hass, PROGRAM) == "eco"

    # The dishwasher keeps the selection: it comes back by push.
    await stream.update_after(
        select_option(hass, PROGRAM, "normal"), "dishwasher-1", None
    )
    assert state_of(hass, PROGRAM) == "normal"
    # A selection made elsewhere (the appliance's panel, another Home Assistant) shows here too.
    await stream.update_after(
        kitchen.send_command("dishwasher-1", "select_program", program="quick"),
        "dishwasher-1",
        None,
    )
    assert state_of(hass, PROGRAM) == "quick"

    await stream.update_after(press(hass, START), "dishwasher-1", None)
    assert state_of(hass, "sensor.dishwasher_status") == "running"
    assert state_of(hass, "sensor.dishwasher_remaining_time") == "30"
    assert state_of(hass, "sensor.dishwasher_finish_time") != "unknown"

    # The running program cannot be swapped.
    with pytest.raises(ServiceValidationError) as err:
        await select_option(hass, PROGRAM, "eco")
    assert err.value.translation_key == "program_running"
    assert err.value.translation_placeholders == {"name": "Dishwasher"}
    assert state_of(hass, PROGRAM) == "quick"

    await stream.update_after(press(hass, PAUSE), "dishwasher-1", None)
    assert state_of(hass, "sensor.dishwasher_status") == "paused"
    assert state_of(hass, "sensor.dishwasher_finish_time") == "unknown"

    await stream.update_after(press(hass, RESUME), "dishwasher-1", None)
    assert state_of(hass, "sensor.dishwasher_status") == "running"

    await stream.update_after(press(hass, CANCEL), "dishwasher-1", None)
    assert state_of(hass, "sensor.dishwasher_status") == "idle"
    assert state_of(hass, "sensor.dishwasher_remaining_time") == "0"
    assert state_of(hass, PROGRAM) == "quick"


async def test_buttons_stay_available(
    hass: HomeAssistant,
    server: SmartKitchenServer,
    stream: StreamSpy,
    kitchen: Kitchen,
    init_integration: MockConfigEntry,
) -> None:
    """A whole program run changes no button: they stay available, so the logbook stays quiet.

    Cancel works on a finished program too, as the server allows.
    """
    buttons = (START, PAUSE, RESUME, CANCEL)
    changed = async_capture_events(hass, EVENT_STATE_CHANGED)
    for action in (
        kitchen.send_command("dishwasher-1", "start", program="quick"),
        kitchen.send_command("dishwasher-1", "pause"),
        kitchen.set_door("dishwasher-1", True),
        kitchen.set_door("dishwasher-1", False),
        kitchen.send_command("dishwasher-1", "resume"),
        server.tick(30),
    ):
        await dishwasher_after(action, stream, kitchen)
        assert all(state_of(hass, button) != "unavailable" for button in buttons)
    assert state_of(hass, "sensor.dishwasher_status") == "finished"
    await hass.async_block_till_done()
    assert not [event for event in changed if event.data["entity_id"] in buttons]

    await stream.update_after(press(hass, CANCEL), "dishwasher-1", None)
    assert state_of(hass, "sensor.dishwasher_status") == "idle"


async def dishwasher_after(
    action: Awaitable[object], stream: StreamSpy, kitchen: Kitchen
) -> None:
    """Run an action, then wait until Home Assistant has the dishwasher as the server has it now."""
    mark = stream.mark()
    await action
    dishwasher = next(
        device for device in await kitchen.get_devices() if device.id == "dishwasher-1"
    )
    await stream.wait_for(
        lambda event: (
            isinstance(event, DeviceUpdate)
            and event.device_id == "dishwasher-1"
            and event.state == dishwasher.states[None]
        ),
        mark,
    )


async def test_finish_time_moves_only_with_the_end(
    hass: HomeAssistant,
    *,
    server: SmartKitchenServer,
    server_clock: FakeClock,
    stream: StreamSpy,
    kitchen: Kitchen,
    init_integration: MockConfigEntry,
) -> None:
    """Whole remaining minutes at uneven times do not move the finish time; a pause does.

    A real dishwasher reports a minute less about every minute, never exactly: computed anew
    from each update, the end jumped a minute back and forth across a minute boundary.
    """
    finish = "sensor.dishwasher_finish_time"
    server_clock.stopped_at = datetime(2026, 11, 27, 7, 51, 59, 500000, tzinfo=UTC)
    changed = async_capture_events(hass, EVENT_STATE_CHANGED)
    await dishwasher_after(
        kitchen.send_command("dishwasher-1", "start", program="quick"), stream, kitchen
    )
    assert state_of(hass, finish) == "2026-11-27T08:21:00+00:00"

    for seconds in (60.6, 59.4, 60.6, 59.4):
        server_clock.stopped_at += timedelta(seconds=seconds)
        await dishwasher_after(server.tick(), stream, kitchen)
    assert state_of(hass, "sensor.dishwasher_remaining_time") == "26"
    assert state_of(hass, finish) == "2026-11-27T08:21:00+00:00"

    # Paused for five minutes: the end really moves.
    await dishwasher_after(
        kitchen.send_command("dishwasher-1", "pause"), stream, kitchen
    )
    assert state_of(hass, finish) == "unknown"
    server_clock.stopped_at += timedelta(minutes=5)
    await dishwasher_after(
        kitchen.send_command("dishwasher-1", "resume"), stream, kitchen
    )
    assert state_of(hass, finish) == "2026-11-27T08:26:00+00:00"

    await hass.async_block_till_done()
    assert [
        event.data["new_state"].state
        for event in changed
        if event.data["entity_id"] == finish
    ] == [
        "2026-11-27T08:21:00+00:00",
        "unknown",
        "2026-11-27T08:26:00+00:00",
    ]


async def test_remaining_time_while_idle(
    hass: HomeAssistant,
    server: SmartKitchenServer,
    stream: StreamSpy,
    init_integration: MockConfigEntry,
) -> None:
    """An idle dishwasher shows 0 minutes left, and ticks and reconnects do not change that.

    With a unit, the sensor is a measurement the logbook leaves out.
    """
    remaining = "sensor.dishwasher_remaining_time"
    changed = async_capture_events(hass, EVENT_STATE_CHANGED)
    await server.tick(3)
    await reconnect(hass, server, stream)
    await hass.async_block_till_done()

    assert state_of(hass, remaining) == "0"
    assert attributes_of(hass, remaining)["unit_of_measurement"] == "min"
    assert not [event for event in changed if event.data["entity_id"] == remaining]


async def _finish(server: SmartKitchenServer, kitchen: Kitchen) -> None:
    """Run the quick program to its end."""
    await kitchen.send_command("dishwasher-1", "start", program="quick")
    await server.tick(30)


async def _pause_and_open(kitchen: Kitchen) -> None:
    """Pause a running program by opening the door."""
    await kitchen.send_command("dishwasher-1", "start", program="quick")
    await kitchen.set_door("dishwasher-1", True)


@pytest.mark.parametrize(
    ("situation", "refusals"),
    [
        (
            None,
            {
                PAUSE: "not_running",
                RESUME: "not_paused",
                CANCEL: "nothing_to_cancel",
            },
        ),
        (
            lambda server, kitchen: kitchen.set_door("dishwasher-1", True),
            {START: "door_open"},
        ),
        (
            lambda server, kitchen: kitchen.send_command(
                "dishwasher-1", "start", program="quick"
            ),
            {START: "program_in_progress", RESUME: "not_paused"},
        ),
        (
            lambda server, kitchen: _pause_and_open(kitchen),
            {
                START: "program_in_progress",
                PAUSE: "not_running",
                RESUME: "door_open",
            },
        ),
        (_finish, {PAUSE: "not_running", RESUME: "not_paused"}),
    ],
    ids=["idle", "idle_door_open", "running", "paused_door_open", "finished"],
)
async def test_buttons_say_why_they_cannot_act(
    hass: HomeAssistant,
    *,
    server: SmartKitchenServer,
    stream: StreamSpy,
    kitchen: Kitchen,
    init_integration: MockConfigEntry,
    situation: Any,
    refusals: dict[str, str],
) -> None:
    """A button that cannot act now says why, before anything is sent to the server."""
    if situation is not None:
        await dishwasher_after(situation(server, kitchen), stream, kitchen)
    status = state_of(hass, "sensor.dishwasher_status")

    for button, reason in refusals.items():
        with (
            patch.object(SmartKitchenClient, "send_command") as send_command,
            pytest.raises(ServiceValidationError) as err,
        ):
            await press(hass, button)
        assert err.value.translation_key == reason, button
        assert err.value.translation_placeholders == {"name": "Dishwasher"}
        send_command.assert_not_called()
    assert state_of(hass, "sensor.dishwasher_status") == status


async def test_button_refusal_message(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """The reason is said in plain words, with the appliance's name."""
    with pytest.raises(ServiceValidationError) as err:
        await press(hass, PAUSE)
    assert str(err.value) == "Dishwasher is not running"


async def test_program_is_the_dishwashers_after_a_restart(
    hass: HomeAssistant, stream: StreamSpy, mock_config_entry: MockConfigEntry
) -> None:
    """After a restart the select shows the dishwasher's selection, not what Home Assistant had.

    Only a server that keeps no selection leaves the choice to Home Assistant (test_old_server).
    """
    mock_restore_cache(hass, [State(PROGRAM, "intensive")])
    await setup_entry(hass, mock_config_entry, stream)
    assert state_of(hass, PROGRAM) == "eco"

    await stream.update_after(press(hass, START), "dishwasher-1", None)
    assert state_of(hass, "sensor.dishwasher_remaining_time") == "180"


@pytest.mark.parametrize(
    ("entity_id", "call"),
    [
        (UPPER_MODE, lambda hass: select_option(hass, UPPER_MODE, "bake")),
        (UPPER_TARGET, lambda hass: set_value(hass, UPPER_TARGET, 180)),
        (START, lambda hass: press(hass, START)),
    ],
)
async def test_server_gone(
    hass: HomeAssistant,
    server: SmartKitchenServer,
    init_integration: MockConfigEntry,
    entity_id: str,
    call: Any,
) -> None:
    """A command while the server is down fails with a translated connection error."""
    await server.stop()
    assert state_of(hass, entity_id) != "unavailable"

    with pytest.raises(HomeAssistantError) as err:
        await call(hass)
    assert err.value.translation_key == "communication_error"
    # The library's own words ("Cannot connect to host 127.0.0.1:...") are for the debug log.
    assert "127.0.0.1" not in str(err.value)
    assert str(err.value).endswith(
        "did not get the command: the Smart Kitchen server cannot be reached"
    )
    await init_integration.runtime_data.async_shutdown()


async def test_unexpected_answer(
    hass: HomeAssistant,
    caplog: pytest.LogCaptureFixture,
    init_integration: MockConfigEntry,
) -> None:
    """An answer the protocol does not allow is reported, not swallowed.

    The real server never answers like that, so the client's error is substituted.
    """
    caplog.set_level(logging.DEBUG, logger="custom_components.smart_kitchen")
    err = await select_mode_failing(
        hass, "send_command", SmartKitchenResponseError("Unexpected answer: HTTP 302")
    )
    assert err.translation_key == "invalid_response"
    assert err.translation_placeholders == {"name": "Double Oven (Upper)"}
    assert "HTTP 302" not in str(err)
    assert "Unexpected answer: HTTP 302" in caplog.text


@pytest.fixture
def server_config() -> ServerConfig:
    """Let sessions live one hour, so that moving the server clock expires them."""
    return replace(ServerConfig.demo(tick=None), token_lifetime=3600)


async def test_expired_session(
    hass: HomeAssistant,
    server_clock: FakeClock,
    stream: StreamSpy,
    init_integration: MockConfigEntry,
) -> None:
    """A session that expired while the stream stayed up is renewed for the command."""
    server_clock.offset = timedelta(hours=2)

    await stream.update_after(
        select_option(hass, UPPER_MODE, "grill"), "oven-1", "upper"
    )
    assert state_of(hass, UPPER_MODE) == "grill"


async def test_password_changed(
    hass: HomeAssistant, server_clock: FakeClock, init_integration: MockConfigEntry
) -> None:
    """A session that cannot be renewed any more asks the user for the password."""
    server_clock.offset = timedelta(hours=2)

    # The demo server cannot change a password, so the refused login is substituted.
    err = await select_mode_failing(
        hass, "login", SmartKitchenAuthenticationError("invalid_credentials")
    )
    assert err.translation_key == "invalid_auth"
    await hass.async_block_till_done()

    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_renewal_throttled(
    hass: HomeAssistant,
    server_clock: FakeClock,
    kitchen: Kitchen,
    init_integration: MockConfigEntry,
) -> None:
    """A renewal the server throttles after wrong passwords says so, and asks for none."""
    server_clock.offset = timedelta(hours=2)
    for _ in range(5):
        with pytest.raises(SmartKitchenAuthenticationError):
            await kitchen.login("demo", "wrong")

    with pytest.raises(HomeAssistantError) as err:
        await select_option(hass, UPPER_MODE, "grill")
    assert err.value.translation_key == "too_many_attempts"
    await hass.async_block_till_done()
    assert not hass.config_entries.flow.async_progress()


async def test_update_entity_is_a_no_op(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Asking a pushed entity to update changes nothing: there is nothing to fetch."""
    assert await async_setup_component(hass, "homeassistant", {})
    await hass.services.async_call(
        "homeassistant",
        "update_entity",
        {
            ATTR_ENTITY_ID: [
                "sensor.double_oven_upper_temperature",
                "event.dishwasher_alert",
            ]
        },
        blocking=True,
    )
    assert state_of(hass, "sensor.double_oven_upper_temperature") == "21.0"


async def test_setup_while_running(
    hass: HomeAssistant,
    stream: StreamSpy,
    kitchen: Kitchen,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Set up while a program runs: it is shown, and stays the next program after it ends."""
    await kitchen.send_command("dishwasher-1", "start", program="normal")
    await setup_entry(hass, mock_config_entry, stream)
    assert state_of(hass, PROGRAM) == "normal"
    assert state_of(hass, "sensor.dishwasher_remaining_time") == "120"

    await stream.update_after(press(hass, CANCEL), "dishwasher-1", None)
    assert state_of(hass, PROGRAM) == "normal"
