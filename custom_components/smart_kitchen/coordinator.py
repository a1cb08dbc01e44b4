"""The push coordinator: one server connection, routed to the entities of each appliance."""

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
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
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .api import (
    Alert,
    AlertCursor,
    AlertType,
    ApplianceState,
    ConnectionState,
    ConnectionStateChanged,
    Device,
    DeviceAdded,
    DeviceRemoved,
    DeviceUpdate,
    DishwasherProgram,
    DishwasherState,
    Event as StreamEvent,
    ServerInfo,
    SmartKitchenAuthenticationError,
    SmartKitchenClient,
    SmartKitchenConnection,
    SmartKitchenError,
    Subscribed,
)
from .const import (
    ALERT_CURSOR_SAVE_DELAY,
    ALERT_CURSOR_STORAGE_VERSION,
    ATTR_COMPARTMENT,
    ATTR_LATE,
    ATTR_MESSAGE,
    DOMAIN,
    EVENT_SMART_KITCHEN,
    LATE_ALERT_AGE,
    LOGGER,
    MANUFACTURER,
    SUPPORTED_PROTOCOL,
    UNAVAILABLE_GRACE,
)

type SmartKitchenConfigEntry = ConfigEntry[SmartKitchenCoordinator]

# Listeners are keyed by (appliance id, compartment); the compartment is None for appliances without
# compartments (dishwashers). The key None is for listeners of the connection itself.
type CompartmentKey = tuple[str, str | None]
type AlertListener = Callable[[Alert, bool], None]
type DeviceListener = Callable[[list[Device]], None]


@dataclass(slots=True, kw_only=True)
class Compartment[S: ApplianceState = ApplianceState]:
    """What the entities of one compartment (or of a whole dishwasher) read."""

    state: S
    # When the state was true: the server's timestamp of the update, or the setup time.
    updated_at: datetime
    # On from a door_open alert until that door closes.
    door_alarm: bool = False
    # Dishwashers only: the program the start button runs, chosen with the program select.
    next_program: DishwasherProgram | None = None


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
        # True once the connection has been down for longer than the grace; entities then show
        # unavailable until fresh data arrives.
        self.offline = False
        self._stale: set[CompartmentKey] = set()
        self._cancel_grace: CALLBACK_TYPE | None = None
        self._refresh_task: asyncio.Task[None] | None = None
        # While the appliance list is being fetched: the appliances that device_added and
        # device_removed messages reported meanwhile, which are newer than the list.
        self._changed_while_refreshing: set[str] | None = None
        self._listeners: dict[CompartmentKey | None, list[CALLBACK_TYPE]] = {}
        self._alert_listeners: dict[str, list[AlertListener]] = {}
        self._device_listeners: list[DeviceListener] = []
        self._cursor_store = alert_cursor_store(hass, entry)

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

        self._async_check_protocol()
        assert self.config_entry.unique_id is not None
        if not self.config_entry.unique_id.startswith(f"{self.server_info.server_id}:"):
            # The URL now leads to another server; reconfigure points it back.
            raise ConfigEntryError(
                translation_domain=DOMAIN,
                translation_key="wrong_server",
                translation_placeholders={"server_id": self.server_info.server_id},
            )

        self._async_register_hub()
        now = dt_util.utcnow()
        for device in devices:
            self._async_store_device(device, now)
        self._async_remove_stale_devices()
        self.connection = SmartKitchenConnection(
            self.client,
            self.config_entry.data[CONF_USERNAME],
            self.config_entry.data[CONF_PASSWORD],
            on_event=self._async_handle_event,
            device_ids=tuple(self.devices),
            alert_cursor=await self._async_load_alert_cursor(),
        )

    async def _async_load_alert_cursor(self) -> AlertCursor | None:
        """Return where the alert stream stood when this entry last ran, to replay what came since."""
        if (stored := await self._cursor_store.async_load()) is None:
            return None
        try:
            return AlertCursor(**stored)
        except TypeError, ValueError:
            # A damaged file costs the alerts raised while Home Assistant was down, nothing more.
            LOGGER.warning(
                "Ignoring the unreadable alert position stored for %s",
                self.config_entry.title,
            )
            return None

    @callback
    def _async_save_alert_cursor(self) -> None:
        """Persist the alert cursor soon; several alerts in a row make one write."""
        if (cursor := self.connection.alert_cursor) is not None:
            self._cursor_store.async_delay_save(
                lambda: asdict(cursor), ALERT_CURSOR_SAVE_DELAY
            )

    @callback
    def _async_check_protocol(self) -> None:
        """Refuse a server speaking another protocol version, with a repair issue saying so."""
        issue_id = unsupported_protocol_issue_id(self.config_entry)
        if self.server_info.protocol == SUPPORTED_PROTOCOL:
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)
            return
        placeholders = {
            "name": self.server_info.name,
            "protocol": str(self.server_info.protocol),
            "supported": str(SUPPORTED_PROTOCOL),
        }
        ir.async_create_issue(
            self.hass,
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

    @callback
    def _async_register_hub(self) -> None:
        """Register the server as the hub the appliances are connected through."""
        self.hub_device_id = (
            dr.async_get(self.hass)
            .async_get_or_create(
                config_entry_id=self.config_entry.entry_id,
                identifiers={(DOMAIN, self.server_info.server_id)},
                manufacturer=MANUFACTURER,
                model="Appliance server",
                name=self.server_info.name,
                sw_version=self.server_info.version,
            )
            .id
        )

    @callback
    def _async_remove_stale_devices(self) -> None:
        """Remove appliances the server no longer lists from the device registry."""
        registry = dr.async_get(self.hass)
        known = {self.server_info.server_id, *self.devices}
        for device_entry in dr.async_entries_for_config_entry(
            registry, self.config_entry.entry_id
        ):
            if not any(
                domain == DOMAIN and identifier in known
                for domain, identifier in device_entry.identifiers
            ):
                registry.async_remove_device(device_entry.id)

    @callback
    def async_device_entry(self, device_id: str) -> dr.DeviceEntry | None:
        """Return the device registry entry of an appliance of this entry."""
        return dr.async_get(self.hass).async_get_device_by_identifier(
            (DOMAIN, device_id), self.config_entry.entry_id
        )

    @callback
    def async_start(self) -> None:
        """Start the connection in the background; it reconnects on its own until closed."""
        self.config_entry.async_on_unload(
            self.hass.bus.async_listen(EVENT_HOMEASSISTANT_STOP, self._async_on_stop)
        )
        # Until the server says "connected", the grace runs as for any other disconnect.
        self._async_start_grace()
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
        self._async_cancel_refresh()
        await self.connection.close()
        # After close(): its last state change would otherwise start the grace timer again.
        self._async_stop_grace()
        if (cursor := self.connection.alert_cursor) is not None:
            await self._cursor_store.async_save(asdict(cursor))

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
        return _async_add_keyed_listener(self._listeners, context, update_callback)

    @callback
    def async_add_alert_listener(
        self, device_id: str, listener: AlertListener
    ) -> CALLBACK_TYPE:
        """Listen for the alerts of one appliance; the listener gets the alert and whether it is late."""
        return _async_add_keyed_listener(self._alert_listeners, device_id, listener)

    @callback
    def async_add_device_listener(self, listener: DeviceListener) -> CALLBACK_TYPE:
        """Listen for appliances that appear while the integration runs."""
        self._device_listeners.append(listener)
        return lambda: self._device_listeners.remove(listener)

    @callback
    def is_fresh(self, key: CompartmentKey) -> bool:
        """Return whether a compartment exists and its data is not stale from a lost connection."""
        return key in self.compartments and key not in self._stale

    @callback
    def _async_notify(self, context: CompartmentKey | None) -> None:
        """Call the listeners of one compartment, or of the connection."""
        for update_callback in list(self._listeners.get(context, ())):
            update_callback()

    @callback
    def _async_notify_all(self) -> None:
        """Call every listener; only for changes of the connection, which concern everyone."""
        for listeners in list(self._listeners.values()):
            for update_callback in list(listeners):
                update_callback()

    @callback
    def _async_handle_event(self, event: StreamEvent) -> None:
        """Route one event from the server stream."""
        match event:
            case DeviceUpdate():
                self._async_handle_update(event)
            case Alert():
                self._async_handle_alert(event)
                self._async_save_alert_cursor()
            case Subscribed():
                # The server's newest alert id: the place to resume from if nothing else happens.
                self._async_save_alert_cursor()
            case ConnectionStateChanged():
                self._async_handle_connection_state(event)
            case DeviceAdded():
                self._async_note_change(event.device.id)
                self._async_add_devices([event.device])
            case DeviceRemoved():
                self._async_note_change(event.device_id)
                self._async_remove_device(event.device_id)

    @callback
    def _async_note_change(self, device_id: str) -> None:
        """Remember an appliance the stream reported while the appliance list is being fetched."""
        if self._changed_while_refreshing is not None:
            self._changed_while_refreshing.add(device_id)

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
        self._stale.discard(key)
        self._async_notify(key)

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
            self._async_notify(key)

        for listener in list(self._alert_listeners.get(alert.device_id, ())):
            listener(alert, late)

        # Device triggers match on the device registry id of the appliance.
        device_entry = self.async_device_entry(alert.device_id)
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
            self._async_stop_grace()
            if self.offline:
                self.offline = False
                LOGGER.info("The connection to %s is back", self.server_info.name)
            if self._has_connected:
                # Appliances added or removed while the connection was down were announced to
                # nobody; the subscription snapshot covers states, but not the appliance list.
                # The list of an older catch-up that is still on its way is older still.
                self._async_cancel_refresh()
                self._refresh_task = self.config_entry.async_create_background_task(
                    self.hass,
                    self._async_refresh_devices(),
                    f"{DOMAIN} refresh devices {self.config_entry.title}",
                )
            self._has_connected = True
        else:
            self._async_start_grace()
        self._async_notify(None)

    @callback
    def _async_start_grace(self) -> None:
        """Make the appliances unavailable if the connection is not back within the grace."""
        # Only called when the connection goes down, so no timer runs yet.
        self._cancel_grace = async_call_later(
            self.hass, UNAVAILABLE_GRACE, self._async_grace_expired
        )

    @callback
    def _async_stop_grace(self) -> None:
        """Cancel the grace timer, if it runs."""
        if self._cancel_grace is not None:
            self._cancel_grace()
            self._cancel_grace = None

    @callback
    def _async_grace_expired(self, _now: datetime) -> None:
        """Mark every appliance stale: the connection has been down for too long."""
        self._cancel_grace = None
        self.offline = True
        self._stale = set(self.compartments)
        stats = self.connection.stats
        LOGGER.info(
            "Lost the connection to %s (%s); its appliances are unavailable until it is back",
            self.server_info.name,
            stats.last_disconnect_reason or "not connected yet",
        )
        self._async_notify_all()

    @callback
    def _async_cancel_refresh(self) -> None:
        """Cancel the catch-up of the appliance list, if one runs."""
        if self._refresh_task is not None:
            self._refresh_task.cancel()

    async def _async_refresh_devices(self) -> None:
        """Catch up with appliances added or removed while the connection was down."""
        self._changed_while_refreshing = changed = set[str]()
        try:
            devices = await self.client.get_devices()
        except SmartKitchenError as err:
            # The connection is up again, so this is a passing hiccup; the next reconnect retries.
            LOGGER.debug("Could not refresh the appliance list: %s", err)
            return
        finally:
            if self._changed_while_refreshing is changed:
                self._changed_while_refreshing = None
        # The stream is up while the list is fetched: what it reported meanwhile is newer than
        # the list, which must neither remove an appliance just added nor revive a removed one.
        listed = {device.id: device for device in devices if device.id not in changed}
        for device_id in set(self.devices) - set(listed) - changed:
            self._async_remove_device(device_id)
        self._async_add_devices(
            [
                device
                for device_id, device in listed.items()
                if device_id not in self.devices
            ]
        )

    @callback
    def _async_store_device(self, device: Device, updated_at: datetime) -> None:
        """Remember an appliance and the state of each of its compartments."""
        self.devices[device.id] = device
        for name, state in device.states.items():
            compartment = Compartment(state=state, updated_at=updated_at)
            if isinstance(state, DishwasherState):
                # The program it ran last is the likeliest next one.
                compartment.next_program = state.program or DishwasherProgram.ECO
            self.compartments[(device.id, name)] = compartment

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
            self._stale.discard(key)
        self.connection.set_device_ids(tuple(self.devices))
        if device_entry := self.async_device_entry(device_id):
            dr.async_get(self.hass).async_remove_device(device_entry.id)


def alert_cursor_store(
    hass: HomeAssistant, entry: ConfigEntry
) -> Store[dict[str, Any]]:
    """Return the store that keeps an entry's alert cursor across restarts."""
    return Store(
        hass, ALERT_CURSOR_STORAGE_VERSION, f"{DOMAIN}.{entry.entry_id}.alert_cursor"
    )


def unsupported_protocol_issue_id(entry: ConfigEntry) -> str:
    """Return the id of the repair issue about an entry's server speaking another protocol."""
    return f"unsupported_protocol_{entry.entry_id}"


@callback
def _async_add_keyed_listener[KeyT, ListenerT](
    listeners: dict[KeyT, list[ListenerT]], key: KeyT, listener: ListenerT
) -> CALLBACK_TYPE:
    """Add a listener under a key; the returned callback removes it (and the key, if empty)."""
    keyed = listeners.setdefault(key, [])
    keyed.append(listener)

    @callback
    def remove_listener() -> None:
        keyed.remove(listener)
        if not keyed:
            del listeners[key]

    return remove_listener
