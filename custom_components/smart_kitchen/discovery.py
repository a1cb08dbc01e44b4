"""Where the entries of a discovered server should point: follow a move, never downgrade a URL.

Zeroconf reports an IP address and a port, always over http. An entry set up with a host name or
https keeps both: such a URL still leads to the server after it got another address, and replacing
`https://kitchen.local:8765` with `http://192.168.1.20:8765` would drop the encryption. Only a plain
http address follows the announcement as it is.
"""

from ipaddress import ip_address

from homeassistant.const import CONF_URL, CONF_VERIFY_SSL
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo
from yarl import URL

from .api import SmartKitchenClient, SmartKitchenError
from .coordinator import SmartKitchenConfigEntry


def discovered_url(discovery_info: ZeroconfServiceInfo) -> URL:
    """Return the URL a zeroconf announcement leads to."""
    return URL.build(scheme="http", host=discovery_info.host, port=discovery_info.port)


def _is_plain_address(url: URL) -> bool:
    """Return whether a URL is http to an IP address: nothing in it is worth keeping."""
    try:
        ip_address(url.host or "")
    except ValueError:
        return False
    return url.scheme == "http"


@callback
def async_is_current(entry: SmartKitchenConfigEntry, discovered: URL) -> bool:
    """Return whether an entry already points where the announcement says, without a request."""
    stored = URL(entry.data[CONF_URL])
    if _is_plain_address(stored):
        return (stored.host, stored.port) == (discovered.host, discovered.port)
    # A host name still resolves to the server's new address; only a new port matters.
    return stored.port == discovered.port


async def async_follow(
    hass: HomeAssistant,
    entries: list[SmartKitchenConfigEntry],
    discovered: URL,
    server_id: str,
) -> None:
    """Point every entry of a discovered server at it, keeping scheme and host name where set."""
    for entry in entries:
        if async_is_current(entry, discovered):
            continue
        stored = URL(entry.data[CONF_URL])
        if _is_plain_address(stored):
            url = stored.with_host(discovered.host or "").with_port(discovered.port)
        else:
            # The same scheme and name on the announced port, if that is still this server.
            url = stored.with_port(discovered.port)
            if not await _async_leads_to(hass, entry, url, server_id):
                continue
        hass.config_entries.async_update_entry(
            entry, data={**entry.data, CONF_URL: str(url)}
        )
        hass.config_entries.async_schedule_reload(entry.entry_id)


async def _async_leads_to(
    hass: HomeAssistant, entry: SmartKitchenConfigEntry, url: URL, server_id: str
) -> bool:
    """Return whether a URL answers as the given server, checked as the entry would connect."""
    verify_ssl: bool = entry.data[CONF_VERIFY_SSL]
    client = SmartKitchenClient(
        str(url),
        session=async_get_clientsession(hass, verify_ssl=verify_ssl),
        verify_ssl=verify_ssl,
    )
    try:
        return (await client.check_server()).server_id == server_id
    except SmartKitchenError:
        return False
