"""The push coordinator: one server connection, routed to the entities of each appliance."""

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.util import dt as dt_util

from .alert_cursor import AlertCursorStore
from .api import (
    Alert,
    AlertCursor,
    Appliance,
    ApplianceStatus,
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
from .const import DOMAIN, LATE_ALERT_AGE, LOGGER
from .device_sync import async_remove_device_entry, async_sync_devices
from .device_trigger import async_fire_alert_event
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
    ) -> None:
        """Take over a logged-in client and the appliances it listed; nothing runs yet."""
        self.hass = hass
        self.config_entry = entry
        self.client = client
        self.server_info = server_info
        self.account = account_name(server_info.name, entry)
        self.compartments: dict[CompartmentKey, Compartment[Any]] = {}
        # Keyed by compartment, or by appliance id for what is about a whole appliance; the key None
        # is for listeners of the connection itself.
        self._listeners = KeyedListeners[CompartmentKey | str | None, []]()
        self._statuses = ApplianceStatuses(
            hass, self._async_name_of, self._async_reachability_changed
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
        self.hub_device_id = async_sync_devices(hass, entry, server_info, devices)
        self._availability = ApplianceAvailability(
            hass, self.compartments, self.account, self._listeners.async_call_all
        )
        self._alert_listeners = KeyedListeners[str, [Alert, bool]]()
        self._appliance_listeners = KeyedListeners[None, [list[Appliance]]]()
        self._cursor_store = AlertCursorStore(hass, entry)

    @property
    def devices(self) -> Mapping[str, Appliance]:
        """Return the user's appliances (the connection keeps the list up to date)."""
        return self.connection.appliances

    @property
    def statuses(self) -> Mapping[str, ApplianceStatus]:
        """Return the latest status of each appliance (none from a server that predates it)."""
        return self._statuses.statuses

    @property
    def connected(self) -> bool:
        """Return whether the connection to the server is up."""
        return self._availability.connected

    @property
    def offline(self) -> bool:
        """Return whether the connection has been down for longer than the grace."""
        return self._availability.offline

    @callback
    def async_start(self) -> None:
        """Start the connection in the background; it reconnects on its own until closed."""
        self.config_entry.async_on_unload(
            self.hass.bus.async_listen(EVENT_HOMEASSISTANT_STOP, self._async_on_stop)
        )
        # Until the server says "connected", the grace runs as for any other disconnect.
        self._availability.async_start_grace()
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

    async def _async_on_stop(self, _event: Event) -> None:
        """Close the connection when Home Assistant stops."""
        await self.async_shutdown()

    async def async_shutdown(self) -> None:
        """Close the connection and stop every timer; nothing keeps running afterwards."""
        await self.connection.close()
        # After close(): its last state change would otherwise start the grace timer again.
        self._availability.async_stop_grace()
        self._statuses.async_stop()
        await self._cursor_store.async_save(self.connection.alert_cursor)

    @callback
    def async_add_listener(
        self, update_callback: CALLBACK_TYPE, context: Any = None
    ) -> CALLBACK_TYPE:
        """Listen for updates of a compartment, of an appliance (its id), or of the connection (None)."""
        return self._listeners.async_add(context, update_callback)

    @callback
    def async_add_alert_listener(
        self, device_id: str, listener: Callable[[Alert, bool], None]
    ) -> CALLBACK_TYPE:
        """Listen for the alerts of one appliance; the listener gets the alert and whether it is late."""
        return self._alert_listeners.async_add(device_id, listener)

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
        return self._availability.is_fresh(key) and self._statuses.is_reachable(key[0])

    @callback
    def is_reachable(self, device_id: str) -> bool:
        """Return whether an appliance has not been offline for longer than the grace."""
        return self._statuses.is_reachable(device_id)

    @callback
    def _async_on_event(self, event: StreamEvent) -> None:
        """Route one event from the server stream."""
        match event:
            case DeviceUpdate():
                key = (event.device_id, event.compartment)
                self.compartments[key].apply_update(event)
                self._availability.async_clear_stale(key)
                self._listeners.async_call(key)
            case DeviceStatus():
                self._statuses.async_set(event.device_id, event.status)
                self._listeners.async_call(event.device_id)
            case Alert():
                self._async_handle_alert(event)
            case Subscribed():
                # The server's newest alert id: the place to resume from if nothing else happens.
                self._cursor_store.async_delay_save(self.connection.alert_cursor)
            case ConnectionStateChanged() if self._availability.async_follow(event):
                self._listeners.async_call(None)
            case DeviceAdded():
                self._async_add_device(event.device)
            case DeviceRemoved():
                self._async_remove_device(event.device_id)

    @callback
    def _async_handle_alert(self, alert: Alert) -> None:
        """Raise a door alarm, and hand the alert to its appliance's entities and to automations."""
        late = dt_util.utcnow() - alert.ts > LATE_ALERT_AGE
        key = (alert.device_id, alert.compartment)
        if (compartment := self.compartments.get(key)) and compartment.apply_alert(
            alert
        ):
            self._listeners.async_call(key)
        self._alert_listeners.async_call(alert.device_id, alert, late)
        async_fire_alert_event(self.hass, self.config_entry, alert, late)
        self._cursor_store.async_delay_save(self.connection.alert_cursor)

    @callback
    def _async_store_compartments(self, device: Device, updated_at: datetime) -> None:
        """Start the compartments of an appliance from the states it was listed with."""
        for name, state in device.states.items():
            self.compartments[(device.id, name)] = Compartment.first_seen(
                state, updated_at
            )
        self._statuses.async_set(device.id, device.status)

    @callback
    def _async_name_of(self, device_id: str) -> str:
        """Return how the log names an appliance (only known appliances have a grace running)."""
        return self.devices[device_id].name

    @callback
    def _async_reachability_changed(self, device_id: str) -> None:
        """Wake every entity of an appliance that went unreachable or came back."""
        for key in [key for key in self.compartments if key[0] == device_id]:
            self._listeners.async_call(key)
        self._listeners.async_call(device_id)
        # The alert entities listen to the connection; this is rare enough to wake them all.
        self._listeners.async_call(None)

    @callback
    def _async_add_device(self, device: Device) -> None:
        """Add the compartments of an appliance that appeared, and let the platforms add entities."""
        self._async_store_compartments(device, dt_util.utcnow())
        self._appliance_listeners.async_call(None, [device.appliance])

    @callback
    def _async_remove_device(self, device_id: str) -> None:
        """Forget a removed appliance and remove it, with its entities, from the device registry."""
        for key in [key for key in self.compartments if key[0] == device_id]:
            del self.compartments[key]
            self._availability.async_clear_stale(key)
        self._statuses.async_remove(device_id)
        async_remove_device_entry(self.hass, self.config_entry, device_id)
