"""Bare binary_sensor entities."""

from homeassistant.components.binary_sensor import BinarySensorEntity

from .entity import setup


class BareBinarySensorEntity(BinarySensorEntity):
    """A binary_sensor with a fixed state."""

    _attr_is_on = False


async_setup_entry = setup("binary_sensor", BareBinarySensorEntity)
