"""The repair issues: a server that speaks another protocol version, entities left out."""

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
    _async_create_issue(
        hass,
        unsupported_protocol_issue_id(entry),
        ir.IssueSeverity.ERROR,
        translation_key="unsupported_protocol",
        placeholders=placeholders,
    )
    raise ConfigEntryError(
        translation_domain=DOMAIN,
        translation_key="unsupported_protocol",
        translation_placeholders=placeholders,
    )


@callback
def async_raise_entity_limit_issue(
    hass: HomeAssistant, entry_id: str, name: str, offered: int, refused: int
) -> None:
    """Tell that Home Assistant left entities of an entry out (its per-entry limit)."""
    _async_create_issue(
        hass,
        _entity_limit_issue_id(entry_id),
        ir.IssueSeverity.WARNING,
        translation_key="too_many_entities",
        placeholders={"name": name, "offered": str(offered), "refused": str(refused)},
    )


@callback
def async_clear_entity_limit_issue(hass: HomeAssistant, entry_id: str) -> None:
    """Remove the repair issue of an entry whose entities all fit (or that is removed)."""
    ir.async_delete_issue(hass, DOMAIN, _entity_limit_issue_id(entry_id))


def _entity_limit_issue_id(entry_id: str) -> str:
    """Return the id of an entry's repair issue about entities left out."""
    return f"too_many_entities_{entry_id}"


@callback
def _async_create_issue(
    hass: HomeAssistant,
    issue_id: str,
    severity: ir.IssueSeverity,
    *,
    translation_key: str,
    placeholders: dict[str, str],
) -> None:
    """Create (or update) a repair issue the user cannot fix from the issue itself."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=False,
        severity=severity,
        translation_key=translation_key,
        translation_placeholders=placeholders,
    )
