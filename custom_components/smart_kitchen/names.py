"""How compartments are named to people: known names translated, others as the server names them."""

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.translation import (
    async_get_cached_translations,
    async_get_translations,
)
from homeassistant.util.hass_dict import HassKey

from .api import Appliance
from .const import DOMAIN

_PREFIX = f"component.{DOMAIN}.selector.compartment.options."
_LABELS: HassKey[dict[str, dict[str, str]]] = HassKey(f"{DOMAIN}_compartment_names")

# An appliance with a single compartment calls it "main"; its entities take no prefix ("Mode").
MAIN_COMPARTMENT = "main"


async def async_load_names(hass: HomeAssistant) -> None:
    """Load the translated compartment names, so that entities and errors can name compartments."""
    language = hass.config.language
    translations = await async_get_translations(hass, language, "selector", {DOMAIN})
    # Kept by language: looking them up in the translation cache costs more than building an
    # entity (the cache merges a fresh dict per call), and a large kitchen names thousands.
    hass.data.setdefault(_LABELS, {})[language] = _labels(translations)


@callback
def compartment_label(hass: HomeAssistant, compartment: str) -> str:
    """Return how a compartment is named to people ("upper" -> "Upper", "steam" -> "steam")."""
    language = hass.config.language
    labels = hass.data.get(_LABELS, {}).get(language)
    if labels is None:
        # The language changed since the names were loaded: whatever the cache has (not kept).
        labels = _labels(
            async_get_cached_translations(hass, language, "selector", DOMAIN)
        )
    return labels.get(compartment, compartment)


def _labels(translations: dict[str, str]) -> dict[str, str]:
    """Return the compartment names among an integration's selector translations."""
    # Kept as the options of a "compartment" selector: hassfest allows no free-form section.
    return {
        key.removeprefix(_PREFIX): label
        for key, label in translations.items()
        if key.startswith(_PREFIX)
    }


@callback
def display_name_of(
    hass: HomeAssistant, appliance: Appliance, compartment: str | None
) -> str:
    """Return how messages name an appliance or one of its compartments: "Double Oven (Upper)"."""
    if compartment is None or compartment == MAIN_COMPARTMENT:
        return appliance.name
    return f"{appliance.name} ({compartment_label(hass, compartment)})"
