"""Bare sensor entities."""

from homeassistant.components.sensor import SensorEntity

from .entity import setup


class BareSensorEntity(SensorEntity):
    """A sensor with a fixed state."""

    _attr_native_value = 1.0


async_setup_entry = setup("sensor", BareSensorEntity)
