"""Bare select entities."""

from homeassistant.components.select import SelectEntity

from .entity import setup


class BareSelectEntity(SelectEntity):
    """A select with a fixed state."""

    _attr_options = ["a", "b"]  # noqa: RUF012
    _attr_current_option = "a"


async_setup_entry = setup("select", BareSelectEntity)
