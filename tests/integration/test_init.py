"""Setup, unload and the lifecycle of the Smart Kitchen entry."""

import asyncio
from dataclasses import replace
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntry, ConfigEntryState
from homeassistant.const import CONF_PASSWORD, EVENT_HOMEASSISTANT_STOP
from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    device_registry as dr,
    entity_platform,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.smart_kitchen.api import (
    ConnectionState,
    Device,
    ServerInfo,
    SmartKitchenAuthenticationError,
    SmartKitchenClient,
    SmartKitchenConnectionError,
    SmartKitchenResponseError,
)
from custom_components.smart_kitchen.const import DOMAIN
from smart_kitchen_server import ServerConfig, SmartKitchenServer
from tests.kitchen import Kitchen

from .conftest import (
    StreamSpy,
    connection_state,
    demo_identifier,
    release_reconnect,
    setup_entry,
    state_of,
    wait_until_set,
)

GET_INFO = "custom_components.smart_kitchen.coordinator.SmartKitchenClient.get_info"
# What a newer server would answer; the real server speaks protocol 1.
NEWER_SERVER = ServerInfo(
    server_id="smart-kitchen-demo", name="Demo Kitchen", version="9.0", protocol=2
)


async def test_setup_and_unload(
    hass: HomeAssistant, server: SmartKitchenServer, init_integration: MockConfigEntry
) -> None:
    """The entry loads and connects, and unloading leaves no connection, task or timer."""
    assert init_integration.state is ConfigEntryState.LOADED
    assert state_of(hass, "binary_sensor.demo_kitchen_demo_server_connection") == "on"
    assert server.connection_count == 1
    connection = init_integration.runtime_data.connection

    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()

    assert init_integration.state is ConfigEntryState.NOT_LOADED
    assert connection.state is ConnectionState.CLOSED
    await server.wait_until(lambda: server.connection_count == 0)
    # The lingering task and timer checks of the test harness prove that nothing else runs.


async def test_unload_closes_the_stream_before_the_entities_go(
    hass: HomeAssistant,
    server: SmartKitchenServer,
    stream: StreamSpy,
    init_integration: MockConfigEntry,
) -> None:
    """Nothing can add entities to a platform being unloaded: the stream stops first.

    The connection's catch-up of the appliance list after a reconnect is held mid-request;
    unloading must cancel it and close the connection before any platform is unloaded.
    """
    coordinator = init_integration.runtime_data
    refresh_started = asyncio.Event()
    refresh_cancelled = asyncio.Event()

    async def hold(*_args: object) -> None:
        refresh_started.set()
        try:
            await asyncio.Event().wait()
        finally:
            refresh_cancelled.set()

    seen_while_unloading: list[ConnectionState] = []
    unload_platforms = hass.config_entries.async_unload_platforms

    async def spy_unload_platforms(*args: Any) -> bool:
        await wait_until_set(refresh_cancelled)
        seen_while_unloading.append(coordinator.connection.state)
        return await unload_platforms(*args)

    with (
        patch.object(SmartKitchenClient, "get_devices", side_effect=hold),
        patch.object(
            hass.config_entries, "async_unload_platforms", spy_unload_platforms
        ),
    ):
        await server.drop_connections()
        release_reconnect(hass)
        await wait_until_set(refresh_started)
        assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()

    assert seen_while_unloading == [ConnectionState.CLOSED]
    assert init_integration.state is ConfigEntryState.NOT_LOADED
    assert state_of(hass, "sensor.dishwasher_status") == "unavailable"


async def test_server_unreachable(
    hass: HomeAssistant, server: SmartKitchenServer, mock_config_entry: MockConfigEntry
) -> None:
    """An unreachable server is retried later."""
    await server.stop()
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY
    # The library's own words ("Cannot connect to host 127.0.0.1:...") are for the debug log.
    assert mock_config_entry.reason == (
        "Could not reach the Smart Kitchen server. Home Assistant tries again in a while"
    )


async def test_setup_throttled(
    hass: HomeAssistant, kitchen: Kitchen, mock_config_entry: MockConfigEntry
) -> None:
    """A login the server throttles after failed ones is retried later, and says why."""
    for _ in range(5):
        with pytest.raises(SmartKitchenAuthenticationError):
            await kitchen.login("demo", "wrong")
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)

    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY
    assert mock_config_entry.reason is not None
    assert mock_config_entry.reason.startswith(
        "The Smart Kitchen server refuses logins for this username"
    )


async def test_setup_unexpected_answer(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """An answer the protocol does not allow is retried later, without repeating it.

    The real server answers well, so the client's error is substituted.
    """
    mock_config_entry.add_to_hass(hass)
    with patch.object(
        SmartKitchenClient,
        "get_devices",
        side_effect=SmartKitchenResponseError("Device.type: 'toaster'"),
    ):
        await hass.config_entries.async_setup(mock_config_entry.entry_id)

    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY
    assert mock_config_entry.reason is not None
    assert mock_config_entry.reason.startswith(
        "The Smart Kitchen server answered something this version of the "
        "integration does not understand."
    )
    assert "toaster" not in mock_config_entry.reason


async def test_credentials_refused(
    hass: HomeAssistant, server: SmartKitchenServer, mock_config_entry: MockConfigEntry
) -> None:
    """Refused credentials stop the setup and ask the user for the password."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, data={**mock_config_entry.data, CONF_PASSWORD: "changed"}
    )
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_url_leads_to_another_server(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> None:
    """A URL that now answers as another server is not taken for the configured one."""
    other = SmartKitchenServer(
        replace(ServerConfig.demo(tick=None), server_id="someone-elses-kitchen")
    )
    await other.start(host="127.0.0.1", port=0)
    try:
        mock_config_entry.add_to_hass(hass)
        hass.config_entries.async_update_entry(
            mock_config_entry, data={**mock_config_entry.data, "url": other.url}
        )
        await hass.config_entries.async_setup(mock_config_entry.entry_id)
    finally:
        await other.stop()

    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR
    assert mock_config_entry.reason is not None
    assert mock_config_entry.reason.startswith(
        "The configured URL now leads to another Smart Kitchen server, Demo Kitchen."
    )


async def test_unsupported_protocol(
    hass: HomeAssistant,
    server: SmartKitchenServer,
    stream: StreamSpy,
    issue_registry: ir.IssueRegistry,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A server speaking another protocol raises a repair issue, which goes once it is fixed.

    The real server speaks protocol 1, so a newer server's answer is substituted.
    """
    mock_config_entry.add_to_hass(hass)
    with patch(GET_INFO, return_value=NEWER_SERVER):
        await hass.config_entries.async_setup(mock_config_entry.entry_id)
    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR
    issue_id = f"unsupported_protocol_{mock_config_entry.entry_id}"
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "unsupported_protocol"
    assert issue.translation_placeholders == {
        "name": "Demo Kitchen",
        "protocol": "2",
        "supported": "1",
    }

    mark = stream.mark()
    await hass.config_entries.async_reload(mock_config_entry.entry_id)
    await stream.wait_for_snapshot(mark)
    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


async def test_unsupported_protocol_issue_goes_with_the_entry(
    hass: HomeAssistant,
    issue_registry: ir.IssueRegistry,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Removing an entry that never loaded removes its repair issue too."""
    mock_config_entry.add_to_hass(hass)
    with patch(GET_INFO, return_value=NEWER_SERVER):
        await hass.config_entries.async_setup(mock_config_entry.entry_id)
    issue_id = f"unsupported_protocol_{mock_config_entry.entry_id}"
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None

    await hass.config_entries.async_remove(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


async def test_stale_devices_removed_at_setup(
    hass: HomeAssistant,
    stream: StreamSpy,
    device_registry: dr.DeviceRegistry,
    mock_config_entry: MockConfigEntry,
) -> None:
    """An appliance the server no longer lists loses its device at the next setup."""
    mock_config_entry.add_to_hass(hass)
    device_registry.async_get_or_create(
        config_entry_id=mock_config_entry.entry_id,
        identifiers={demo_identifier("sold-oven")},
        name="Sold Oven",
    )
    mark = stream.mark()
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await stream.wait_for_snapshot(mark)

    identifiers = {
        identifier
        for device in dr.async_entries_for_config_entry(
            device_registry, mock_config_entry.entry_id
        )
        for _, identifier in device.identifiers
    }
    assert identifiers == {
        "smart-kitchen-demo",
        "smart-kitchen-demo:oven-1",
        "smart-kitchen-demo:fridge-1",
        "smart-kitchen-demo:dishwasher-1",
    }


async def test_remove_devices(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    device_registry: dr.DeviceRegistry,
    init_integration: MockConfigEntry,
) -> None:
    """Only appliances the server no longer lists can be removed by hand."""
    assert await async_setup_component(hass, "config", {})
    client = await hass_ws_client(hass)
    entry_id = init_integration.entry_id

    def device_id(appliance_id: str) -> str:
        device = device_registry.async_get_device_by_identifier(
            demo_identifier(appliance_id), entry_id
        )
        assert device is not None
        return device.id

    hub = device_registry.async_get_device_by_identifier(
        (DOMAIN, "smart-kitchen-demo"), entry_id
    )
    assert hub is not None
    stale = device_registry.async_get_or_create(
        config_entry_id=entry_id,
        identifiers={demo_identifier("sold-oven")},
        name="Sold Oven",
    )
    for target, success in (
        (device_id("oven-1"), False),
        (hub.id, False),
        (stale.id, True),
    ):
        await client.send_json_auto_id(
            {"type": "config/device_registry/remove", "device_id": target}
        )
        response = await client.receive_json()
        assert response["success"] is success
    assert device_registry.async_get(stale.id) is None
    assert device_registry.async_get(device_id("oven-1")) is not None


async def test_home_assistant_stop_closes_the_connection(
    hass: HomeAssistant, server: SmartKitchenServer, init_integration: MockConfigEntry
) -> None:
    """Stopping Home Assistant closes the connection."""
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    await hass.async_block_till_done()
    assert init_integration.runtime_data.connection.state is ConnectionState.CLOSED
    await server.wait_until(lambda: server.connection_count == 0)


async def test_password_refused_by_the_connection(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """When the connection's own login is refused, it stops and reauthentication starts."""
    coordinator = init_integration.runtime_data
    reauth_started = asyncio.Event()
    start_reauth = ConfigEntry.async_start_reauth

    def spy_start_reauth(entry: ConfigEntry, hass: HomeAssistant) -> None:
        start_reauth(entry, hass)
        reauth_started.set()

    with (
        patch.object(
            SmartKitchenClient,
            "login",
            side_effect=SmartKitchenAuthenticationError("invalid_credentials"),
        ),
        patch.object(ConfigEntry, "async_start_reauth", spy_start_reauth),
    ):
        # Ending the session closes the stream with 1008; the new login is refused.
        await coordinator.client.logout()
        await wait_until_set(reauth_started)
    await hass.async_block_till_done()

    assert coordinator.connection.state is ConnectionState.AUTH_FAILED
    flows = hass.config_entries.flow.async_progress()
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert state_of(hass, "binary_sensor.demo_kitchen_demo_server_connection") == "off"


async def test_device_list_refresh_fails(
    hass: HomeAssistant,
    server: SmartKitchenServer,
    stream: StreamSpy,
    init_integration: MockConfigEntry,
) -> None:
    """A failed catch-up of the appliance list after a reconnect is a failed attempt, retried."""
    fetch = SmartKitchenClient.get_devices
    attempts: list[int] = []

    async def refuse_once(client: SmartKitchenClient) -> list[Device]:
        attempts.append(1)
        if len(attempts) == 1:
            raise SmartKitchenConnectionError("connection reset")
        return await fetch(client)

    mark = stream.mark()
    with patch.object(SmartKitchenClient, "get_devices", refuse_once):
        await server.drop_connections()
        release_reconnect(hass)
        await stream.wait_for(connection_state(ConnectionState.DISCONNECTED), mark)
        release_reconnect(hass, 2)
        await stream.wait_for_snapshot(mark)
    await hass.async_block_till_done()
    assert len(attempts) == 2
    assert state_of(hass, "sensor.dishwasher_status") == "idle"
    assert state_of(hass, "binary_sensor.demo_kitchen_demo_server_connection") == "on"


async def test_entities_beyond_home_assistants_limit(  # noqa: PLR0917 - fixtures
    hass: HomeAssistant,
    stream: StreamSpy,
    issue_registry: ir.IssueRegistry,
    entity_registry: er.EntityRegistry,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Entities Home Assistant leaves out (its per-entry limit) are told in a repair issue.

    The limit (10,000 in 2026.10) is lowered to 20 here; the demo account has more entities.
    """
    with patch.object(entity_platform, "MAX_ENABLED_ENTITIES_PER_CONFIG_ENTRY", 20):
        await setup_entry(hass, mock_config_entry, stream)
    entry_id = mock_config_entry.entry_id
    added = len(er.async_entries_for_config_entry(entity_registry, entry_id))
    assert added == 20
    issue_id = f"too_many_entities_{entry_id}"
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "too_many_entities"
    assert issue.severity is ir.IssueSeverity.WARNING
    placeholders = issue.translation_placeholders or {}
    offered, refused = int(placeholders["offered"]), int(placeholders["refused"])
    assert placeholders["name"] == "Demo Kitchen (demo)"
    assert offered - refused == added
    assert f"Home Assistant added {added} of {offered} entities" in caplog.text

    # With room again (entities disabled, or a higher limit), a reload adds the rest and clears it.
    mark = stream.mark()
    await hass.config_entries.async_reload(entry_id)
    await stream.wait_for_snapshot(mark)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    assert len(er.async_entries_for_config_entry(entity_registry, entry_id)) == offered


async def test_entity_limit_issue_goes_with_the_entry(
    hass: HomeAssistant,
    stream: StreamSpy,
    issue_registry: ir.IssueRegistry,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Removing an entry removes its repair issue about entities left out."""
    with patch.object(entity_platform, "MAX_ENABLED_ENTITIES_PER_CONFIG_ENTRY", 20):
        await setup_entry(hass, mock_config_entry, stream)
    issue_id = f"too_many_entities_{mock_config_entry.entry_id}"
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None

    await hass.config_entries.async_remove(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
