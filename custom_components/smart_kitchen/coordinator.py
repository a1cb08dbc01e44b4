"""The push coordinator: one server connection, routed to the entities of each appliance."""

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import (
    CONF_PASSWORD,
    CONF_URL,
    CONF_USERNAME,
    CONF_VERIFY_SSL,
    EVENT_HOMEASSISTANT_STOP,
)
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    ConfigEntryError,
    ConfigEntryNotReady,
)
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.util import dt as dt_util

from .alert_cursor import AlertCursorStore
from .api import (
    Alert,
    AlertType,
    ConnectionState,
    ConnectionStateChanged,
    Device,
    DeviceAdded,
    DeviceRemoved,
    DeviceUpdate,
    Event as StreamEvent,
    ServerInfo,
    SmartKitchenAuthenticationError,
    SmartKitchenClient,
    SmartKitchenConnection,
    SmartKitchenError,
    Subscribed,
)
from .availability import ApplianceAvailability
from .compartment import Compartment, CompartmentKey
from .const import (
    ATTR_COMPARTMENT,
    ATTR_LATE,
    ATTR_MESSAGE,
    DOMAIN,
    EVENT_SMART_KITCHEN,
    LATE_ALERT_AGE,
    LOGGER,
)
from .device_sync import (
    DeviceListCatchUp,
    async_device_entry,
    async_register_hub,
    async_remove_device_entry,
    async_remove_stale_devices,
)
from .issues import async_check_protocol
from .listeners import KeyedListeners

type SmartKitchenConfigEntry = ConfigEntry[SmartKitchenCoordinator]

type AlertListener = Callable[[Alert, bool], None]
type DeviceListener = Callable[[list[Device]], None]


class SmartKitchenCoordinator:
    """Own the client and the connection, and route what the server pushes.

    A message about one appliance wakes only the entities of that appliance and compartment; the
    connection state wakes the entities that show it.
    """

    config_entry: SmartKitchenConfigEntry

    def __init__(self, hass: HomeAssistant, entry: SmartKitchenConfigEntry) -> None:
        """Create the client from the entry; nothing is fetched yet."""
        self.hass = hass
        self.config_entry = entry
        self.client = SmartKitchenClient(
            entry.data[CONF_URL],
            session=async_get_clientsession(
                hass, verify_ssl=entry.data[CONF_VERIFY_SSL]
            ),
            verify_ssl=entry.data[CONF_VERIFY_SSL],
        )
        self.connection: SmartKitchenConnection
        self.server_info: ServerInfo
        self.hub_device_id: str
        self.devices: dict[str, Device] = {}
        self.compartments: dict[CompartmentKey, Compartment] = {}
        self.connected = False
        self._has_connected = False
        self._availability = ApplianceAvailability(
            hass, self.compartments, self._async_on_offline
        )
        self._catch_up = DeviceListCatchUp(
            hass,
            entry,
            self.client,
            self.devices,
            on_added=self._async_add_devices,
            on_removed=self._async_remove_device,
        )
        # Keyed by compartment; the key None is for listeners of the connection itself.
        self._listeners = KeyedListeners[CompartmentKey | None, []]()
        self._alert_listeners = KeyedListeners[str, [Alert, bool]]()
        self._device_listeners: list[DeviceListener] = []
        self._cursor_store = AlertCursorStore(hass, entry)

    @property
    def offline(self) -> bool:
        """Return whether the connection has been down for longer than the grace."""
        return self._availability.offline

    async def async_setup(self) -> None:
        """Log in and load the appliances, or tell Home Assistant why not."""
        try:
            self.server_info = await self.client.get_info()
            await self.client.login(
                self.config_entry.data[CONF_USERNAME],
                self.config_entry.data[CONF_PASSWORD],
            )
            devices = await self.client.get_devices()
        except SmartKitchenAuthenticationError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="invalid_auth"
            ) from err
        except SmartKitchenError as err:
            raise ConfigEntryNotReady(
                translation_domain=DOMAIN,
                translation_key="cannot_connect",
                translation_placeholders={"error": str(err)},
            ) from err

        async_check_protocol(self.hass, self.config_entry, self.server_info)
        assert self.config_entry.unique_id is not None
        if not self.config_entry.unique_id.startswith(f"{self.server_info.server_id}:"):
            # The URL now leads to another server; reconfigure points it back.
            raise ConfigEntryError(
                translation_domain=DOMAIN,
                translation_key="wrong_server",
                translation_placeholders={"server_id": self.server_info.server_id},
            )

        self.hub_device_id = async_register_hub(
            self.hass, self.config_entry, self.server_info
        )
        now = dt_util.utcnow()
        for device in devices:
            self._async_store_device(device, now)
        async_remove_stale_devices(
            self.hass,
            self.config_entry,
            {self.server_info.server_id, *self.devices},
        )
        self.connection = SmartKitchenConnection(
            self.client,
            self.config_entry.data[CONF_USERNAME],
            self.config_entry.data[CONF_PASSWORD],
            on_event=self._async_handle_event,
            device_ids=tuple(self.devices),
            alert_cursor=await self._cursor_store.async_load(),
        )

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
                self.server_info.name,
            )
            self.config_entry.async_start_reauth(self.hass)

    async def _async_on_stop(self, _event: Event) -> None:
        """Close the connection when Home Assistant stops."""
        await self.async_shutdown()

    async def async_shutdown(self) -> None:
        """Close the connection and stop every timer and task; nothing keeps running afterwards."""
        # A catch-up of the appliance list would otherwise add entities while they are removed.
        self._catch_up.async_cancel()
        await self.connection.close()
        # After close(): its last state change would otherwise start the grace timer again.
        self._availability.async_stop_grace()
        await self._cursor_store.async_save(self.connection.alert_cursor)

    async def async_send_command(
        self, device_id: str, command: str, compartment: str | None, **args: Any
    ) -> None:
        """Send a command; an expired session is renewed once with the stored credentials.

        Sessions expire (24 h by default) while the WebSocket stays up, and only the connection
        renews its own; a REST call meets the expiry first.
        """
        try:
            await self.client.send_command(device_id, command, compartment, **args)
        except SmartKitchenAuthenticationError:
            await self.client.login(
                self.config_entry.data[CONF_USERNAME],
                self.config_entry.data[CONF_PASSWORD],
            )
            await self.client.send_command(device_id, command, compartment, **args)

    @callback
    def async_add_listener(
        self, update_callback: CALLBACK_TYPE, context: Any = None
    ) -> CALLBACK_TYPE:
        """Listen for updates of one compartment, or of the connection when the context is None."""
        return self._listeners.async_add(context, update_callback)

    @callback
    def async_add_alert_listener(
        self, device_id: str, listener: AlertListener
    ) -> CALLBACK_TYPE:
        """Listen for the alerts of one appliance; the listener gets the alert and whether it is late."""
        return self._alert_listeners.async_add(device_id, listener)

    @callback
    def async_add_device_listener(self, listener: DeviceListener) -> CALLBACK_TYPE:
        """Listen for appliances that appear while the integration runs."""
        self._device_listeners.append(listener)
        return lambda: self._device_listeners.remove(listener)

    @callback
    def is_fresh(self, key: CompartmentKey) -> bool:
        """Return whether a compartment exists and its data is not stale from a lost connection."""
        return self._availability.is_fresh(key)

    @callback
    def _async_handle_event(self, event: StreamEvent) -> None:
        """Route one event from the server stream."""
        match event:
            case DeviceUpdate():
                self._async_handle_update(event)
            case Alert():
                self._async_handle_alert(event)
                self._cursor_store.async_delay_save(self.connection.alert_cursor)
            case Subscribed():
                # The server's newest alert id: the place to resume from if nothing else happens.
                self._cursor_store.async_delay_save(self.connection.alert_cursor)
            case ConnectionStateChanged():
                self._async_handle_connection_state(event)
            case DeviceAdded():
                self._catch_up.async_note_change(event.device.id)
                self._async_add_devices([event.device])
            case DeviceRemoved():
                self._catch_up.async_note_change(event.device_id)
                self._async_remove_device(event.device_id)

    @callback
    def _async_handle_update(self, update: DeviceUpdate) -> None:
        """Store a compartment's new state and wake only the entities of that compartment."""
        key = (update.device_id, update.compartment)
        if (compartment := self.compartments.get(key)) is None:
            return
        compartment.state = update.state
        compartment.updated_at = update.ts
        if not update.state.door_open:
            compartment.door_alarm = False
        self._availability.async_clear_stale(key)
        self._listeners.async_call(key)

    @callback
    def _async_handle_alert(self, alert: Alert) -> None:
        """Record an alert on its appliance and fire it on the bus for automations."""
        if alert.device_id not in self.devices:
            return
        late = dt_util.utcnow() - alert.ts > LATE_ALERT_AGE
        key = (alert.device_id, alert.compartment)
        # A replayed alert about a door that has closed since must not switch the alarm on.
        if (
            alert.alert_type == AlertType.DOOR_OPEN
            and (compartment := self.compartments.get(key)) is not None
            and compartment.state.door_open
            and not compartment.door_alarm
        ):
            compartment.door_alarm = True
            self._listeners.async_call(key)

        self._alert_listeners.async_call(alert.device_id, alert, late)

        # Device triggers match on the device registry id of the appliance.
        device_entry = async_device_entry(self.hass, self.config_entry, alert.device_id)
        self.hass.bus.async_fire(
            EVENT_SMART_KITCHEN,
            {
                "device_id": device_entry.id if device_entry else None,
                "type": alert.alert_type,
                ATTR_COMPARTMENT: alert.compartment,
                ATTR_MESSAGE: alert.message,
                ATTR_LATE: late,
            },
        )

    @callback
    def _async_handle_connection_state(self, event: ConnectionStateChanged) -> None:
        """Follow the connection: the connectivity sensor at once, the appliances after the grace."""
        connected = event.state is ConnectionState.CONNECTED
        if connected == self.connected:
            return
        self.connected = connected
        if connected:
            if self._availability.async_back_online():
                LOGGER.info("The connection to %s is back", self.server_info.name)
            if self._has_connected:
                # Only a reconnect can have missed appliances coming or going; the first
                # connection follows the list loaded at setup.
                self._catch_up.async_start()
            self._has_connected = True
        else:
            self._availability.async_start_grace()
        self._listeners.async_call(None)

    @callback
    def _async_on_offline(self) -> None:
        """Tell the log and every entity that the appliances are now unavailable."""
        LOGGER.info(
            "Lost the connection to %s (%s); its appliances are unavailable until it is back",
            self.server_info.name,
            self.connection.stats.last_disconnect_reason or "not connected yet",
        )
        # Only changes of the connection concern every listener.
        self._listeners.async_call_all()

    @callback
    def _async_store_device(self, device: Device, updated_at: datetime) -> None:
        """Remember an appliance and the state of each of its compartments."""
        self.devices[device.id] = device
        for name, state in device.states.items():
            self.compartments[(device.id, name)] = Compartment.first_seen(
                state, updated_at
            )

    @callback
    def _async_add_devices(self, devices: Iterable[Device]) -> None:
        """Add appliances that appeared, subscribe to them and let the platforms add entities."""
        if not (new := [device for device in devices if device.id not in self.devices]):
            return
        now = dt_util.utcnow()
        for device in new:
            self._async_store_device(device, now)
        self.connection.set_device_ids(tuple(self.devices))
        for listener in list(self._device_listeners):
            listener(new)

    @callback
    def _async_remove_device(self, device_id: str) -> None:
        """Forget a removed appliance and remove it, with its entities, from the device registry."""
        if self.devices.pop(device_id, None) is None:
            return
        for key in [key for key in self.compartments if key[0] == device_id]:
            del self.compartments[key]
            self._availability.async_clear_stale(key)
        self.connection.set_device_ids(tuple(self.devices))
        async_remove_device_entry(self.hass, self.config_entry, device_id)
