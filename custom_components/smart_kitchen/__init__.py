"""The Smart Kitchen integration: ovens, fridges and dishwashers pushed live over a WebSocket."""

from homeassistant.const import (
    CONF_PASSWORD,
    CONF_URL,
    CONF_USERNAME,
    CONF_VERIFY_SSL,
    Platform,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    ConfigEntryError,
    ConfigEntryNotReady,
)
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.typing import ConfigType

from .alert_cursor import AlertCursorStore
from .api import (
    SmartKitchenAuthenticationError,
    SmartKitchenClient,
    SmartKitchenConnectionError,
    SmartKitchenError,
    SmartKitchenRateLimitedError,
    SmartKitchenUnsupportedProtocolError,
)
from .const import DOMAIN, LOGGER
from .coordinator import SmartKitchenConfigEntry, SmartKitchenCoordinator
from .device_sync import async_appliance_id
from .identity import is_entry_of_server
from .issues import (
    async_clear_entity_limit_issue,
    async_clear_protocol_issue,
    async_raise_protocol_issue,
)
from .migration import async_migrate_entry as async_migrate_entry
from .names import async_load_names
from .services import async_setup_services

PLATFORMS = (
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.EVENT,
    Platform.NUMBER,
    Platform.SELECT,
    Platform.SENSOR,
    Platform.SWITCH,
)

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the actions, which exist whether or not an entry is loaded."""
    async_setup_services(hass)
    return True


async def async_setup_entry(
    hass: HomeAssistant, entry: SmartKitchenConfigEntry
) -> bool:
    """Log in, load the appliances, add their entities, then start the live connection."""
    verify_ssl: bool = entry.data[CONF_VERIFY_SSL]
    client = SmartKitchenClient(
        entry.data[CONF_URL],
        session=async_get_clientsession(hass, verify_ssl=verify_ssl),
        username=entry.data[CONF_USERNAME],
        password=entry.data[CONF_PASSWORD],
        verify_ssl=verify_ssl,
    )
    try:
        server_info = await client.check_server()
        # The client logs in by itself for its first request.
        devices = await client.get_devices()
    except SmartKitchenUnsupportedProtocolError as err:
        async_raise_protocol_issue(hass, entry, err.info)
    except SmartKitchenAuthenticationError as err:
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN, translation_key="invalid_auth"
        ) from err
    except SmartKitchenRateLimitedError as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN, translation_key="too_many_attempts"
        ) from err
    except SmartKitchenError as err:
        # The library's text is English and holds the server's address: log only.
        LOGGER.debug("Setting up %s failed: %s", entry.title, err)
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN,
            translation_key="cannot_connect"
            if isinstance(err, SmartKitchenConnectionError)
            else "unexpected_answer",
        ) from err
    async_clear_protocol_issue(hass, entry)
    if not is_entry_of_server(entry, server_info.server_id):
        # The URL now leads to another server; reconfigure points it back.
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="wrong_server",
            translation_placeholders={"name": server_info.name},
        )

    alert_store = AlertCursorStore(hass, entry)
    cursor = await alert_store.async_load()
    await async_load_names(hass)
    coordinator = SmartKitchenCoordinator(
        hass,
        entry,
        client,
        server_info,
        devices,
        alert_cursor=cursor,
        alert_store=alert_store,
    )
    entry.runtime_data = coordinator
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    coordinator.entity_tally.async_report(hass, entry.entry_id, coordinator.account)
    # Started after the entities exist, so the snapshot that follows the subscription lands on them.
    coordinator.async_start()
    return True


async def async_unload_entry(
    hass: HomeAssistant, entry: SmartKitchenConfigEntry
) -> bool:
    """Close the connection, then remove the entities.

    In this order no message (a new appliance, say) can add or update entities of a platform that
    is being unloaded.
    """
    await entry.runtime_data.async_shutdown()
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(
    hass: HomeAssistant, entry: SmartKitchenConfigEntry
) -> None:
    """Delete what would outlive the entry: its repair issues and its stored alert cursor."""
    async_clear_protocol_issue(hass, entry)
    async_clear_entity_limit_issue(hass, entry.entry_id)
    await AlertCursorStore(hass, entry).async_remove()


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: SmartKitchenConfigEntry, device_entry: dr.DeviceEntry
) -> bool:
    """Allow removing an appliance the server no longer lists, but not the server or a present one."""
    # The hub has no appliance id: it goes with the entry.
    appliance_id = async_appliance_id(entry, device_entry)
    return appliance_id is not None and appliance_id not in entry.runtime_data.devices
