"""Bare button entities."""

from homeassistant.components.button import ButtonEntity

from .entity import setup


class BareButtonEntity(ButtonEntity):
    """A button with a fixed state."""

    def press(self) -> None:
        """Do nothing."""


async_setup_entry = setup("button", BareButtonEntity)
