"""Constants for the Smart Kitchen integration."""

from datetime import timedelta
import logging
from typing import Final

DOMAIN: Final = "smart_kitchen"
LOGGER = logging.getLogger(__package__)

MANUFACTURER: Final = "Smart Kitchen"

# How long appliance entities keep their last values while the server connection is down. A restart of
# the server or a Wi-Fi hiccup is usually over within this, so the dashboard does not flicker; the
# "Server connection" sensor still shows the drop at once.
UNAVAILABLE_GRACE: Final = timedelta(seconds=5)

# A replayed alert older than this is still recorded, but marked `late` in its event data, so that
# automations can tell "the fridge door is open now" from "it was open ten minutes ago".
LATE_ALERT_AGE: Final = timedelta(minutes=5)

# Where each entry keeps its alert cursor (the last alert handled in one server boot), so that alerts
# raised while Home Assistant restarts are replayed when it is back. It is written right after the loop
# turn that handled an alert (alerts handled together make one write): Home Assistant killed right after
# an alert must not bring it back after the restart. Alerts are rare, so the writes are few.
ALERT_CURSOR_STORAGE_VERSION: Final = 1
ALERT_CURSOR_SAVE_DELAY: Final = 0.0

# Fired on the bus for every alert; device triggers listen for it.
EVENT_SMART_KITCHEN: Final = "smart_kitchen_event"

ATTR_COMPARTMENT: Final = "compartment"
ATTR_LATE: Final = "late"
ATTR_MESSAGE: Final = "message"
