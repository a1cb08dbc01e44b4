"""The repair issue about a server that speaks another protocol version."""

from typing import TYPE_CHECKING, NoReturn

from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryError
from homeassistant.helpers import issue_registry as ir

from .api import PROTOCOL_VERSION, ServerInfo
from .const import DOMAIN

if TYPE_CHECKING:
    from .coordinator import SmartKitchenConfigEntry


def unsupported_protocol_issue_id(entry: SmartKitchenConfigEntry) -> str:
    """Return the id of the repair issue about an entry's server speaking another protocol."""
    return f"unsupported_protocol_{entry.entry_id}"


@callback
def async_clear_protocol_issue(
    hass: HomeAssistant, entry: SmartKitchenConfigEntry
) -> None:
    """Remove the repair issue of an entry whose server speaks our protocol (again)."""
    ir.async_delete_issue(hass, DOMAIN, unsupported_protocol_issue_id(entry))


@callback
def async_raise_protocol_issue(
    hass: HomeAssistant, entry: SmartKitchenConfigEntry, server_info: ServerInfo
) -> NoReturn:
    """Refuse a server speaking another protocol version, with a repair issue saying so."""
    placeholders = {
        "name": server_info.name,
        "protocol": str(server_info.protocol),
        "supported": str(PROTOCOL_VERSION),
    }
    ir.async_create_issue(
        hass,
        DOMAIN,
        unsupported_protocol_issue_id(entry),
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key="unsupported_protocol",
        translation_placeholders=placeholders,
    )
    raise ConfigEntryError(
        translation_domain=DOMAIN,
        translation_key="unsupported_protocol",
        translation_placeholders=placeholders,
    )
