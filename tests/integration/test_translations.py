"""Every name, state, icon, error and exception the code refers to has its text in en.json."""

from datetime import UTC, datetime
from itertools import chain
import json
from pathlib import Path
import re
from typing import Any

from homeassistant.components.sensor import SensorDeviceClass
import pytest
import yaml

from custom_components.smart_kitchen.api import (
    ALERT_TYPES,
    DeviceType,
    DishwasherState,
    DishwasherStatus,
)
from custom_components.smart_kitchen.binary_sensor import (
    APPLIANCE_BINARY_SENSORS,
    BINARY_SENSORS,
)
from custom_components.smart_kitchen.button import BUTTONS
from custom_components.smart_kitchen.event import EVENTS
from custom_components.smart_kitchen.helpers import REFUSALS
from custom_components.smart_kitchen.number import NUMBERS
from custom_components.smart_kitchen.select import SELECTS
from custom_components.smart_kitchen.sensor import APPLIANCE_SENSORS, SENSORS
from custom_components.smart_kitchen.switch import SWITCHES

INTEGRATION = Path(__file__).parents[2] / "custom_components" / "smart_kitchen"
EN: dict[str, Any] = json.loads((INTEGRATION / "translations" / "en.json").read_text())
ICONS: dict[str, Any] = json.loads((INTEGRATION / "icons.json").read_text())
CODE = "\n".join(
    path.read_text() for path in INTEGRATION.glob("*.py")
)  # the api/ package speaks no Home Assistant, so only the top level matters

PLATFORMS = {
    "binary_sensor": BINARY_SENSORS,
    "button": BUTTONS,
    "number": NUMBERS,
    "select": SELECTS,
    "sensor": SENSORS,
    "switch": SWITCHES,
}
# The tables of entities about a whole appliance rather than a compartment.
APPLIANCE_PLATFORMS: dict[str, Any] = {
    "binary_sensor": APPLIANCE_BINARY_SENSORS,
    "sensor": APPLIANCE_SENSORS,
}


def descriptions(platform: str) -> list[Any]:
    """Return every entity description of a platform."""
    if platform == "event":
        return list(EVENTS.values())
    return list(
        chain.from_iterable(
            [
                *PLATFORMS[platform].values(),
                *APPLIANCE_PLATFORMS.get(platform, {}).values(),
            ]
        )
    )


@pytest.mark.parametrize("platform", [*PLATFORMS, "event"])
def test_entity_names_and_states(platform: str) -> None:
    """Each translation key has a name, and each state of an enum or select a text."""
    for description in descriptions(platform):
        if description.translation_key is None:
            # Named after its device class (the dishwasher's "Door").
            assert description.device_class is not None
            continue
        entity = EN["entity"][platform][description.translation_key]
        assert entity["name"]
        options = getattr(description, "options", None)
        if (
            platform == "sensor"
            and description.device_class is not SensorDeviceClass.ENUM
        ):
            options = None
        if options:
            assert set(entity["state"]) == set(options)
        if platform == "event":
            event_types = entity["state_attributes"]["event_type"]["state"]
            assert set(description.event_types) <= set(event_types)


def test_main_compartment_names() -> None:
    """Each name with a compartment prefix has a `_main` twin without it, with the same states and icons."""
    for platform, entities in EN["entity"].items():
        for key, entity in entities.items():
            if "{compartment}" not in entity["name"]:
                continue
            twin = entities[f"{key}_main"]
            assert "{" not in twin["name"], key
            assert twin.get("state") == entity.get("state"), key
            assert ICONS["entity"].get(platform, {}).get(f"{key}_main") == ICONS[
                "entity"
            ].get(platform, {}).get(key), key


def test_compartment_names() -> None:
    """Compartments with a known name are translated; `main` is never shown."""
    assert set(EN["selector"]["compartment"]["options"]) == {
        "upper",
        "lower",
        "fridge",
        "freezer",
    }


def test_connection_sensor_name() -> None:
    """The hub's connectivity sensor has its name."""
    assert EN["entity"]["binary_sensor"]["server_connection"]["name"]


def test_icons_belong_to_translation_keys() -> None:
    """icons.json only styles entities that exist."""
    for platform, entities in ICONS["entity"].items():
        for translation_key in entities:
            assert translation_key in EN["entity"][platform], (
                platform,
                translation_key,
            )


def test_icons_say_off_and_nothing_left() -> None:
    """Off shows heat that is off; 0 minutes left shows a run-out timer.

    The power symbol used before reads as an empty radio button at entity-icon size.
    """
    entities = ICONS["entity"]
    for platform, key in (
        ("select", "oven_mode"),
        ("select", "oven_mode_main"),
        ("sensor", "oven_status"),
        ("sensor", "oven_status_main"),
    ):
        assert entities[platform][key]["state"]["off"] == "mdi:fire-off", key
    assert entities["sensor"]["remaining_time"]["range"] == {
        "0": "mdi:timer-sand-complete",
        "1": "mdi:timer-sand",
    }


def test_exceptions_and_issues() -> None:
    """Every translation_key raised or used for a repair issue is translated, and nothing more."""
    keys = set(re.findall(r'translation_key="(\w+)"', CODE))
    # Chosen by the kind of error: `translation_key="a" if ... else "b"`, or by the server's code.
    keys |= set(re.findall(r'\belse "(\w+)"', CODE))
    # The start_program action's validation errors.
    keys |= set(re.findall(r'_invalid\(\s*"(\w+)"', CODE))
    keys |= {*REFUSALS.values(), "command_refused"}
    entity_keys = {
        description.translation_key
        for platform in [*PLATFORMS, "event"]
        for description in descriptions(platform)
    }
    exception_keys = keys - entity_keys - {"server_connection"}
    assert exception_keys
    for key in exception_keys:
        assert key in EN["exceptions"] or key in EN["issues"], key
    # An issue that stops the setup has the setup error's text too; entities left out stop nothing.
    assert set(EN["issues"]) - {"too_many_entities"} <= set(EN["exceptions"])
    # The buttons' refusals are checked in test_button_refusals.
    unused = set(EN["exceptions"]) - exception_keys - _button_refusals()
    assert not unused


def _button_refusals() -> set[str]:
    """Return every reason a dishwasher button can give for not acting."""
    reasons = {
        description.refusal_fn(
            DishwasherState(
                status=status,
                program=None,
                remaining_minutes=0,
                progress=0,
                door_open=door_open,
                starts_at=starts_at,
            )
        )
        for description in BUTTONS[DeviceType.DISHWASHER]
        for status in DishwasherStatus
        for door_open in (False, True)
        # A start planned for later, or none.
        for starts_at in (None, datetime(2026, 11, 27, 21, 30, tzinfo=UTC))
    }
    return {reason for reason in reasons if reason is not None}


def test_button_refusals() -> None:
    """Every reason a button gives for not acting, in any dishwasher state, is translated."""
    reasons = _button_refusals()
    assert reasons
    for reason in reasons:
        assert "{name}" in EN["exceptions"][reason]["message"], reason


# What a placeholder of a message may carry: display names and numbers, never a library's or a
# server's own text ({error}, {message}), which speaks English and the protocol.
MESSAGE_PLACEHOLDERS = {
    "name",
    "protocol",
    "supported",
    # How many entities an entry offered, and how many Home Assistant left out.
    "offered",
    "refused",
    # The start_program action's own fields and limits, as the user gave or sees them.
    "device_id",
    "title",
    "program",
    "earliest",
    "latest",
    "minimum",
    "maximum",
}


def test_messages_speak_no_protocol() -> None:
    """Errors and issues name things by display names, never by commands, codes or raw texts."""
    texts = [
        text
        for section in ("exceptions", "issues")
        for translations in EN[section].values()
        for text in translations.values()
    ] + [
        *EN["config"]["error"].values(),
        *EN["config"]["abort"].values(),
    ]
    for text in texts:
        assert set(re.findall(r"\{(\w+)\}", text)) <= MESSAGE_PLACEHOLDERS, text
        # snake_case is how the protocol spells commands, codes and compartment ids.
        assert not re.search(r"\b[a-z]+_[a-z_]+\b", re.sub(r"\{\w+\}", "", text)), text


def test_config_flow_texts() -> None:
    """Every form error and abort reason of the config flow has its text."""
    flow = (INTEGRATION / "config_flow.py").read_text()
    errors = set(re.findall(r'errors\["base"\] = "(\w+)"', flow))
    aborts = set(re.findall(r'reason="(\w+)"', flow))
    assert errors <= set(EN["config"]["error"])
    assert aborts <= set(EN["config"]["abort"])
    assert {"already_configured", "already_in_progress"} <= set(EN["config"]["abort"])


def test_example_urls_are_not_links() -> None:
    """A help text's example URL is code, not a link the frontend's markdown would make of it."""

    def texts(node: Any) -> list[str]:
        if isinstance(node, dict):
            return [text for child in node.values() for text in texts(child)]
        return [node]

    for step in EN["config"]["step"].values():
        for text in texts({k: v for k, v in step.items() if k != "data"}):
            # Drop `code spans`; what is left must not hold a URL.
            assert "://" not in re.sub(r"`[^`]*`", "", text), text


def test_device_trigger_texts() -> None:
    """Every alert type has a trigger text; the known compartments a subtype text."""
    trigger_types = {alert.value for alerts in ALERT_TYPES.values() for alert in alerts}
    assert trigger_types == set(EN["device_automation"]["trigger_type"])
    assert {"upper", "lower", "main", "fridge", "freezer"} == set(
        EN["device_automation"]["trigger_subtype"]
    )


def test_quality_scale_is_complete() -> None:
    """Every rule of every tier is marked done or exempt, and an exemption says why."""
    rules = yaml.safe_load((INTEGRATION / "quality_scale.yaml").read_text())["rules"]
    # Bronze 20, Silver 10, Gold 21, Platinum 3 (as of Home Assistant 2026.10).
    assert len(rules) == 54
    for rule, status in rules.items():
        if isinstance(status, dict):
            assert status["status"] == "exempt", rule
            assert status["comment"].strip(), rule
        else:
            assert status == "done", rule
