"""Optional zeroconf announcement (`--advertise`) so Home Assistant can discover the server.

Only the command line uses this, and only when asked to: announcing sends multicast traffic, which tests and
CI must never do. Tests check `build_service_info()`, which is pure.
"""

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
import ipaddress
import logging
import socket

import ifaddr
from zeroconf import ServiceInfo
from zeroconf.asyncio import AsyncZeroconf

from .const import PROTOCOL_VERSION, VERSION, ZEROCONF_TYPE

_LOGGER = logging.getLogger(__name__)

# DNS labels are at most 63 bytes.
_MAX_INSTANCE_BYTES = 63


def build_service_info(
    *, server_id: str, name: str, port: int, addresses: Sequence[str], hostname: str
) -> ServiceInfo:
    """Describe the server as a `_smartkitchen._tcp.local.` service."""
    instance = (
        name.encode()[:_MAX_INSTANCE_BYTES]
        .decode(errors="ignore")
        .replace(".", " ")
        .strip()
    )
    return ServiceInfo(
        ZEROCONF_TYPE,
        f"{instance or server_id}.{ZEROCONF_TYPE}",
        port=port,
        properties={
            "serverId": server_id,
            "protocol": str(PROTOCOL_VERSION),
            "version": VERSION,
        },
        server=f"{hostname.split('.', maxsplit=1)[0]}.local.",
        parsed_addresses=list(addresses),
    )


def advertised_addresses(host: str) -> list[str]:
    """Return the addresses to announce: the bound IP, or every non-loopback IPv4 one for 0.0.0.0 or a name."""
    try:
        bound = ipaddress.ip_address(host)
    except ValueError:
        bound = None  # a host name: announce every interface
    if bound is not None and not bound.is_unspecified:
        return [str(bound)]
    found = {
        str(ip.ip)
        for adapter in ifaddr.get_adapters()
        for ip in adapter.ips
        if ip.is_IPv4 and not ipaddress.ip_address(str(ip.ip)).is_loopback
    }
    return sorted(found)


@asynccontextmanager
async def advertise(
    *, server_id: str, name: str, host: str, port: int
) -> AsyncIterator[ServiceInfo]:
    """Announce the service for as long as the context is open."""
    info = build_service_info(
        server_id=server_id,
        name=name,
        port=port,
        addresses=advertised_addresses(host),
        hostname=socket.gethostname(),
    )
    zeroconf = AsyncZeroconf()
    try:
        await zeroconf.async_register_service(info, allow_name_change=True)
        _LOGGER.info("Advertising %s as %s", server_id, info.name)
        yield info
    finally:
        await zeroconf.async_unregister_all_services()
        await zeroconf.async_close()
