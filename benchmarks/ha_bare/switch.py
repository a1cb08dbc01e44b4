"""Bare switch entities."""

from homeassistant.components.switch import SwitchEntity

from .entity import setup


class BareSwitchEntity(SwitchEntity):
    """A switch with a fixed state."""

    _attr_is_on = False


async_setup_entry = setup("switch", BareSwitchEntity)
