"""How compartments are named to people: known names translated, others as the server names them."""

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.translation import (
    async_get_cached_translations,
    async_get_translations,
)

from .api import Appliance
from .const import DOMAIN

# An appliance with a single compartment calls it "main"; its entities take no prefix ("Mode").
MAIN_COMPARTMENT = "main"


async def async_load_names(hass: HomeAssistant) -> None:
    """Load the translated compartment names, so that entities and errors can name compartments."""
    await async_get_translations(hass, hass.config.language, "selector", {DOMAIN})


@callback
def compartment_label(hass: HomeAssistant, compartment: str) -> str:
    """Return how a compartment is named to people ("upper" -> "Upper", "steam" -> "steam")."""
    # Kept as the options of a "compartment" selector: hassfest allows no free-form section.
    names = async_get_cached_translations(
        hass, hass.config.language, "selector", DOMAIN
    )
    return names.get(
        f"component.{DOMAIN}.selector.compartment.options.{compartment}", compartment
    )


@callback
def display_name_of(
    hass: HomeAssistant, appliance: Appliance, compartment: str | None
) -> str:
    """Return how messages name an appliance or one of its compartments: "Double Oven (Upper)"."""
    if compartment is None or compartment == MAIN_COMPARTMENT:
        return appliance.name
    return f"{appliance.name} ({compartment_label(hass, compartment)})"
