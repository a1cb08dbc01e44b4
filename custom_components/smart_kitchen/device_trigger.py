"""Device triggers: an appliance's alerts in the automation editor ("Fridge door left open")."""

from typing import TYPE_CHECKING

from homeassistant.components.device_automation import DEVICE_TRIGGER_BASE_SCHEMA
from homeassistant.components.homeassistant.triggers import event as event_trigger
from homeassistant.const import (
    CONF_DEVICE_ID,
    CONF_DOMAIN,
    CONF_EVENT_DATA,
    CONF_PLATFORM,
    CONF_TYPE,
)
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.trigger import TriggerActionType, TriggerInfo
from homeassistant.helpers.typing import ConfigType
import probatio

from .api import ALERT_TYPES, Alert
from .const import (
    ATTR_COMPARTMENT,
    ATTR_LATE,
    ATTR_MESSAGE,
    DOMAIN,
    EVENT_SMART_KITCHEN,
)
from .device_sync import async_device_entry, async_lookup_appliance

if TYPE_CHECKING:
    from .coordinator import SmartKitchenConfigEntry

# The compartment an alert is about ("fridge", "upper"); absent for appliances without compartments.
CONF_SUBTYPE = "subtype"

TRIGGER_TYPES = {
    alert_type.value for types in ALERT_TYPES.values() for alert_type in types
}

TRIGGER_SCHEMA = DEVICE_TRIGGER_BASE_SCHEMA.extend(
    {
        probatio.Required(CONF_TYPE): probatio.In(TRIGGER_TYPES),
        probatio.Optional(CONF_SUBTYPE): str,
    }
)


@callback
def async_fire_alert_event(
    hass: HomeAssistant, entry: SmartKitchenConfigEntry, alert: Alert, late: bool
) -> None:
    """Fire an alert on the bus as `smart_kitchen_event`, which the device triggers listen for."""
    # Device triggers match on the device registry id of the appliance.
    device_entry = async_device_entry(hass, entry, alert.device_id)
    hass.bus.async_fire(
        EVENT_SMART_KITCHEN,
        {
            CONF_DEVICE_ID: device_entry.id if device_entry else None,
            CONF_TYPE: alert.alert_type,
            ATTR_COMPARTMENT: alert.compartment,
            ATTR_MESSAGE: alert.message,
            ATTR_LATE: late,
        },
    )


async def async_get_triggers(
    hass: HomeAssistant, device_id: str
) -> list[dict[str, str]]:
    """List a trigger per alert type and compartment of an appliance."""
    if (device := async_lookup_appliance(hass, device_id).appliance) is None:
        return []
    triggers = []
    for alert_type in ALERT_TYPES[device.type]:
        for compartment in device.compartments:
            trigger = {
                CONF_PLATFORM: "device",
                CONF_DOMAIN: DOMAIN,
                CONF_DEVICE_ID: device_id,
                CONF_TYPE: alert_type.value,
            }
            if compartment is not None:
                trigger[CONF_SUBTYPE] = compartment
            triggers.append(trigger)
    return triggers


async def async_attach_trigger(
    hass: HomeAssistant,
    config: ConfigType,
    action: TriggerActionType,
    trigger_info: TriggerInfo,
) -> CALLBACK_TYPE:
    """Fire the automation on the matching smart_kitchen_event."""
    event_data = {CONF_DEVICE_ID: config[CONF_DEVICE_ID], CONF_TYPE: config[CONF_TYPE]}
    if CONF_SUBTYPE in config:
        event_data[ATTR_COMPARTMENT] = config[CONF_SUBTYPE]
    event_config = event_trigger.TRIGGER_SCHEMA(
        {
            CONF_PLATFORM: "event",
            event_trigger.CONF_EVENT_TYPE: EVENT_SMART_KITCHEN,
            CONF_EVENT_DATA: event_data,
        }
    )
    return await event_trigger.async_attach_trigger(
        hass, event_config, action, trigger_info, platform_type="device"
    )
