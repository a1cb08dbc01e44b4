"""Bare number entities."""

from homeassistant.components.number import NumberEntity

from .entity import setup


class BareNumberEntity(NumberEntity):
    """A number with a fixed state."""

    _attr_native_value = 1.0


async_setup_entry = setup("number", BareNumberEntity)
