"""Keep the device registry in step with the server: its hub, and the appliances it lists."""

import asyncio
from collections.abc import Callable, Iterable, Mapping

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr

from .api import Device, ServerInfo, SmartKitchenClient, SmartKitchenError
from .const import DOMAIN, LOGGER, MANUFACTURER


@callback
def async_register_hub(
    hass: HomeAssistant, entry: ConfigEntry, server_info: ServerInfo
) -> str:
    """Register the server as the hub the appliances are connected through; return its device id."""
    return (
        dr.async_get(hass)
        .async_get_or_create(
            config_entry_id=entry.entry_id,
            identifiers={(DOMAIN, server_info.server_id)},
            manufacturer=MANUFACTURER,
            model="Appliance server",
            name=server_info.name,
            sw_version=server_info.version,
        )
        .id
    )


@callback
def async_remove_stale_devices(
    hass: HomeAssistant, entry: ConfigEntry, known: set[str]
) -> None:
    """Remove the devices of an entry whose identifier is not among the known ones."""
    registry = dr.async_get(hass)
    for device_entry in dr.async_entries_for_config_entry(registry, entry.entry_id):
        if not any(
            domain == DOMAIN and identifier in known
            for domain, identifier in device_entry.identifiers
        ):
            registry.async_remove_device(device_entry.id)


@callback
def async_device_entry(
    hass: HomeAssistant, entry: ConfigEntry, device_id: str
) -> dr.DeviceEntry | None:
    """Return the device registry entry of an appliance of an entry."""
    return dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, device_id), entry.entry_id
    )


@callback
def async_remove_device_entry(
    hass: HomeAssistant, entry: ConfigEntry, device_id: str
) -> None:
    """Remove an appliance, with its entities, from the device registry."""
    if device_entry := async_device_entry(hass, entry, device_id):
        dr.async_get(hass).async_remove_device(device_entry.id)


class DeviceListCatchUp:
    """Fetch the appliance list again after a reconnect, to catch up with what was missed.

    Appliances added or removed while the connection was down were announced to nobody; the
    subscription snapshot covers states, but not the appliance list.
    """

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        client: SmartKitchenClient,
        devices: Mapping[str, Device],
        *,
        on_added: Callable[[Iterable[Device]], None],
        on_removed: Callable[[str], None],
    ) -> None:
        """Compare the server's list with the known devices, and report what differs."""
        self._hass = hass
        self._entry = entry
        self._client = client
        self._devices = devices
        self._on_added = on_added
        self._on_removed = on_removed
        self._task: asyncio.Task[None] | None = None
        # While the appliance list is being fetched: the appliances that device_added and
        # device_removed messages reported meanwhile, which are newer than the list.
        self._changed: set[str] | None = None

    @callback
    def async_start(self) -> None:
        """Start a catch-up in the background."""
        # The list of an older catch-up that is still on its way is older still.
        self.async_cancel()
        self._task = self._entry.async_create_background_task(
            self._hass,
            self._async_run(),
            f"{DOMAIN} refresh devices {self._entry.title}",
        )

    @callback
    def async_cancel(self) -> None:
        """Cancel the catch-up, if one runs."""
        if self._task is not None:
            self._task.cancel()

    @callback
    def async_note_change(self, device_id: str) -> None:
        """Remember an appliance the stream reported while the appliance list is being fetched."""
        if self._changed is not None:
            self._changed.add(device_id)

    async def _async_run(self) -> None:
        """Catch up with appliances added or removed while the connection was down."""
        self._changed = changed = set[str]()
        try:
            devices = await self._client.get_devices()
        except SmartKitchenError as err:
            # The connection is up again, so this is a passing hiccup; the next reconnect retries.
            LOGGER.debug("Could not refresh the appliance list: %s", err)
            return
        finally:
            if self._changed is changed:
                self._changed = None
        # The stream is up while the list is fetched: what it reported meanwhile is newer than
        # the list, which must neither remove an appliance just added nor revive a removed one.
        listed = {device.id: device for device in devices if device.id not in changed}
        for device_id in set(self._devices) - set(listed) - changed:
            self._on_removed(device_id)
        self._on_added(
            [
                device
                for device_id, device in listed.items()
                if device_id not in self._devices
            ]
        )
