"""Commands from numbers, selects and buttons, and how their failures are reported."""

from dataclasses import replace
from datetime import timedelta
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
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant, State
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
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
from tests.kitchen import Kitchen

from .conftest import ServerClock, StreamSpy, setup_entry, state_of

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


def availability(hass: HomeAssistant) -> dict[str, bool]:
    """Return which dishwasher buttons are available."""
    return {
        entity_id: state_of(hass, entity_id) != "unavailable"
        for entity_id in (START, PAUSE, RESUME, CANCEL)
    }


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
    """The program select chooses the next program; the buttons are there when they mean something."""
    assert state_of(hass, PROGRAM) == "eco"
    assert availability(hass) == {
        START: True,
        PAUSE: False,
        RESUME: False,
        CANCEL: False,
    }

    # Choosing the next program needs no server: it is shown at once.
    await select_option(hass, PROGRAM, "quick")
    assert state_of(hass, PROGRAM) == "quick"

    await stream.update_after(press(hass, START), "dishwasher-1", None)
    assert state_of(hass, "sensor.dishwasher_status") == "running"
    assert state_of(hass, "sensor.dishwasher_remaining_time") == "30"
    assert state_of(hass, "sensor.dishwasher_finish_time") != "unknown"
    assert availability(hass) == {
        START: False,
        PAUSE: True,
        RESUME: False,
        CANCEL: True,
    }

    # The running program cannot be swapped.
    with pytest.raises(ServiceValidationError) as err:
        await select_option(hass, PROGRAM, "eco")
    assert err.value.translation_key == "program_running"
    assert state_of(hass, PROGRAM) == "quick"

    await stream.update_after(press(hass, PAUSE), "dishwasher-1", None)
    assert state_of(hass, "sensor.dishwasher_status") == "paused"
    assert state_of(hass, "sensor.dishwasher_finish_time") == "unknown"
    assert availability(hass) == {
        START: False,
        PAUSE: False,
        RESUME: True,
        CANCEL: True,
    }

    await stream.update_after(press(hass, RESUME), "dishwasher-1", None)
    assert state_of(hass, "sensor.dishwasher_status") == "running"

    await stream.update_after(press(hass, CANCEL), "dishwasher-1", None)
    assert state_of(hass, "sensor.dishwasher_status") == "idle"
    assert state_of(hass, "sensor.dishwasher_remaining_time") == "0"
    assert state_of(hass, PROGRAM) == "quick"
    assert availability(hass) == {
        START: True,
        PAUSE: False,
        RESUME: False,
        CANCEL: False,
    }


async def test_start_with_open_door(
    hass: HomeAssistant,
    stream: StreamSpy,
    kitchen: Kitchen,
    init_integration: MockConfigEntry,
) -> None:
    """The dishwasher refuses to start with its door open, and says so."""
    await stream.update_after(
        kitchen.set_door("dishwasher-1", True), "dishwasher-1", None
    )

    with pytest.raises(ServiceValidationError) as err:
        await press(hass, START)
    assert err.value.translation_key == "command_conflict"
    assert err.value.translation_placeholders == {"name": "Dishwasher"}


async def test_program_restored(
    hass: HomeAssistant, stream: StreamSpy, mock_config_entry: MockConfigEntry
) -> None:
    """The next program chosen before a restart is still the next program after it."""
    mock_restore_cache(hass, [State(PROGRAM, "intensive")])
    await setup_entry(hass, mock_config_entry, stream)
    assert state_of(hass, PROGRAM) == "intensive"

    await stream.update_after(press(hass, START), "dishwasher-1", None)
    assert state_of(hass, "sensor.dishwasher_remaining_time") == "150"


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
    await init_integration.runtime_data.async_shutdown()


async def test_unexpected_answer(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """An answer the protocol does not allow is reported, not swallowed.

    The real server never answers like that, so the client's error is substituted.
    """
    err = await select_mode_failing(
        hass, "send_command", SmartKitchenResponseError("Unexpected answer: HTTP 302")
    )
    assert err.translation_key == "invalid_response"
    assert err.translation_placeholders == {"error": "Unexpected answer: HTTP 302"}


@pytest.fixture
def server_config() -> ServerConfig:
    """Let sessions live one hour, so that moving the server clock expires them."""
    return replace(ServerConfig.demo(tick=None), token_lifetime=3600)


async def test_expired_session(
    hass: HomeAssistant,
    server_clock: ServerClock,
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
    hass: HomeAssistant, server_clock: ServerClock, init_integration: MockConfigEntry
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
    server_clock: ServerClock,
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
