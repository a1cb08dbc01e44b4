"""Bare event entities."""

from homeassistant.components.event import EventEntity

from .entity import setup


class BareEventEntity(EventEntity):
    """A event with a fixed state."""

    _attr_event_types = ["alert"]  # noqa: RUF012


async_setup_entry = setup("event", BareEventEntity)
