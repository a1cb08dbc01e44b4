"""The bare integration's entry: created from the data the bench passes."""

from typing import Any

from homeassistant.config_entries import ConfigFlow, ConfigFlowResult

from . import DOMAIN


class BareConfigFlow(ConfigFlow, domain=DOMAIN):
    """Create an entry at once (only the bench starts this flow)."""

    VERSION = 1

    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Take the number of appliances and the entities per platform."""
        assert user_input is not None
        return self.async_create_entry(title="Bare entities", data=user_input)
