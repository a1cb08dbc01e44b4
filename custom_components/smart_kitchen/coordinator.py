"""The push coordinator: one server connection, routed to the entities of each appliance."""

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_USERNAME, EVENT_HOMEASSISTANT_STOP
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.util import dt as dt_util

from .alert_cursor import AlertCursorStore
from .alert_router import AlertRouter
from .api import (
    Alert,
    AlertCursor,
    Appliance,
    ConnectionStateChanged,
    Device,
    DeviceAdded,
    DeviceRemoved,
    DeviceStatus,
    DeviceUpdate,
    Event as StreamEvent,
    ServerInfo,
    SmartKitchenAuthenticationError,
    SmartKitchenClient,
    SmartKitchenConnection,
    Subscribed,
)
from .appliance_status import ApplianceStatuses
from .availability import ApplianceAvailability
from .compartment import Compartment, CompartmentKey
from .const import DOMAIN, LOGGER
from .device_sync import async_remove_device_entry, async_sync_devices, device_info
from .entity_limit import EntityTally
from .identity import account_name
from .listeners import KeyedListeners

type SmartKitchenConfigEntry = ConfigEntry[SmartKitchenCoordinator]


class SmartKitchenCoordinator:
    """Route what the library's connection delivers to the entities it concerns.

    The library owns the stream, the appliance list and the login. An update of one compartment
    wakes only that compartment's entities; the connection state wakes the entities that show it.
    """

    config_entry: SmartKitchenConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: SmartKitchenConfigEntry,
        client: SmartKitchenClient,
        server_info: ServerInfo,
        devices: list[Device],
        *,
        alert_cursor: AlertCursor | None,
        alert_store: AlertCursorStore,
    ) -> None:
        """Take over a logged-in client and the appliances it listed; nothing runs yet.

        `alert_cursor` is where the alert stream stood (read from `alert_store`, which keeps it).
        """
        self.hass = hass
        self.config_entry = entry
        self.client = client
        self.server_info = server_info
        self.account = account_name(server_info.name, entry.data[CONF_USERNAME])
        self.compartments: dict[CompartmentKey, Compartment[Any]] = {}
        # Keyed by compartment, or by appliance id for what is about a whole appliance; the key None
        # is for listeners of the connection itself.
        self._listeners = KeyedListeners[CompartmentKey | str | None, []]()
        # Which appliances the server can reach (servers that report it), after the same grace.
        self.appliance_statuses = ApplianceStatuses(
            hass,
            lambda device_id: self.devices[device_id].name,
            self._async_wake_appliance,
        )
        now = dt_util.utcnow()
        for device in devices:
            self._async_store_compartments(device, now)
        self.connection = SmartKitchenConnection(
            client,
            on_event=self._async_on_event,
            appliances=[device.appliance for device in devices],
            alert_cursor=alert_cursor,
        )
        self.hub_device_id = async_sync_devices(
            hass, entry, server_info, self.account, devices
        )
        # The device of each appliance, registered once; its entities attach to it.
        self.device_entries: dict[str, dr.DeviceEntry] = {}
        for device in devices:
            self._async_register_device(device.appliance)
        # Whether the connection is up, and whether the appliances' data can still be trusted.
        self.availability = ApplianceAvailability(
            hass, self.compartments, self.account, self._listeners.async_call_all
        )
        # Where alert entities listen for the alerts of their appliance.
        self.alerts = AlertRouter(
            hass, entry, alert_store, lambda: self.connection.alert_cursor
        )
        self._appliance_listeners = KeyedListeners[None, [list[Appliance]]]()
        # Whether Home Assistant added every entity the setup offered (see entity_limit).
        self.entity_tally = EntityTally()

    @property
    def devices(self) -> Mapping[str, Appliance]:
        """Return the user's appliances (the connection keeps the list up to date)."""
        return self.connection.appliances

    @callback
    def async_start(self) -> None:
        """Start the connection in the background; it reconnects on its own until closed."""
        self.config_entry.async_on_unload(
            self.hass.bus.async_listen(EVENT_HOMEASSISTANT_STOP, self.async_shutdown)
        )
        # Until the server says "connected", the grace runs as for any other disconnect.
        self.availability.async_start_grace()
        self.config_entry.async_create_background_task(
            self.hass,
            self._async_run(),
            f"{DOMAIN} connection {self.config_entry.title}",
        )

    async def _async_run(self) -> None:
        """Run the connection; a refused password ends it and asks the user for a new one."""
        try:
            await self.connection.run()
        except SmartKitchenAuthenticationError:
            LOGGER.warning(
                "%s refused the stored credentials; reauthentication is needed",
                self.account,
            )
            self.config_entry.async_start_reauth(self.hass)

    async def async_shutdown(self, _event: Event | None = None) -> None:
        """Close the connection and stop every timer (at unload, or as Home Assistant stops)."""
        await self.connection.close()
        # After close(): its last state change would otherwise start the grace timer again.
        self.availability.async_stop_grace()
        self.appliance_statuses.async_stop()
        await self.alerts.async_save()

    @callback
    def async_add_listener(
        self, update_callback: CALLBACK_TYPE, context: Any = None
    ) -> CALLBACK_TYPE:
        """Listen for updates of a compartment, of an appliance (its id), or of the connection (None)."""
        return self._listeners.async_add(context, update_callback)

    @callback
    def async_add_appliance_listener(
        self, listener: Callable[[list[Appliance]], None]
    ) -> CALLBACK_TYPE:
        """Listen for appliances that appear while the integration runs."""
        return self._appliance_listeners.async_add(None, listener)

    @callback
    def is_fresh(self, key: CompartmentKey) -> bool:
        """Return whether a compartment exists and its data is not stale from a lost connection.

        Stale also while its appliance has been offline for longer than the grace.
        """
        return self.availability.is_fresh(key) and self.appliance_statuses.is_reachable(
            key[0]
        )

    @callback
    def _async_on_event(self, event: StreamEvent) -> None:
        """Route one event from the server stream."""
        match event:
            case DeviceUpdate():
                key = (event.device_id, event.compartment)
                self.compartments[key].apply_update(event)
                self.availability.async_clear_stale(key)
                self._listeners.async_call(key)
            case DeviceStatus():
                self.appliance_statuses.async_set(event.device_id, event.status)
                self._listeners.async_call(event.device_id)
            case Alert():
                key = (event.device_id, event.compartment)
                if (compartment := self.compartments.get(key)) and (
                    compartment.apply_alert(event)
                ):
                    self._listeners.async_call(key)
                self.alerts.async_route(event)
            case Subscribed():
                # The server's newest alert id: the place to resume from if nothing else happens.
                self.alerts.async_note_position()
            case ConnectionStateChanged() if self.availability.async_follow(event):
                self._listeners.async_call(None)
            case DeviceAdded():
                self._async_add_device(event.device)
            case DeviceRemoved():
                self._async_remove_device(event.device_id)

    @callback
    def _async_store_compartments(self, device: Device, updated_at: datetime) -> None:
        """Start the compartments of an appliance from the states it was listed with."""
        for name, state in device.states.items():
            self.compartments[(device.id, name)] = Compartment.first_seen(
                state, updated_at
            )
        self.appliance_statuses.async_set(device.id, device.status)

    @callback
    def _async_wake_appliance(self, device_id: str) -> None:
        """Wake every entity of an appliance (it went unreachable or came back)."""
        for key in self._keys_of(device_id):
            self._listeners.async_call(key)
        self._listeners.async_call(device_id)

    def _keys_of(self, device_id: str) -> list[CompartmentKey]:
        """Return the keys of an appliance's compartments."""
        return [key for key in self.compartments if key[0] == device_id]

    @callback
    def _async_register_device(self, appliance: Appliance) -> None:
        """Register (or update) the device of an appliance, before its entities are added.

        Entities attach to this entry (`Entity.device_entry`) instead of each carrying a
        `device_info`: Home Assistant would otherwise look the device up and compare its fields once
        per entity, a quarter of the time it takes to add a large kitchen's entities (benchmarks/).
        """
        self.device_entries[appliance.id] = dr.async_get(self.hass).async_get_or_create(
            config_entry_id=self.config_entry.entry_id,
            **device_info(self.server_info.server_id, self.hub_device_id, appliance),
        )

    @callback
    def _async_add_device(self, device: Device) -> None:
        """Add the compartments of an appliance that appeared, and let the platforms add entities."""
        self._async_store_compartments(device, dt_util.utcnow())
        self._async_register_device(device.appliance)
        self._appliance_listeners.async_call(None, [device.appliance])

    @callback
    def _async_remove_device(self, device_id: str) -> None:
        """Forget a removed appliance and remove it, with its entities, from the device registry."""
        for key in self._keys_of(device_id):
            del self.compartments[key]
            self.availability.async_clear_stale(key)
        self.appliance_statuses.async_remove(device_id)
        self.device_entries.pop(device_id, None)
        async_remove_device_entry(self.hass, self.config_entry, device_id)
