"""The repair issue about a server that speaks another protocol version."""

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryError
from homeassistant.helpers import issue_registry as ir

from .api import ServerInfo
from .const import DOMAIN, SUPPORTED_PROTOCOL


def unsupported_protocol_issue_id(entry: ConfigEntry) -> str:
    """Return the id of the repair issue about an entry's server speaking another protocol."""
    return f"unsupported_protocol_{entry.entry_id}"


@callback
def async_check_protocol(
    hass: HomeAssistant, entry: ConfigEntry, server_info: ServerInfo
) -> None:
    """Refuse a server speaking another protocol version, with a repair issue saying so."""
    issue_id = unsupported_protocol_issue_id(entry)
    if server_info.protocol == SUPPORTED_PROTOCOL:
        ir.async_delete_issue(hass, DOMAIN, issue_id)
        return
    placeholders = {
        "name": server_info.name,
        "protocol": str(server_info.protocol),
        "supported": str(SUPPORTED_PROTOCOL),
    }
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
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
