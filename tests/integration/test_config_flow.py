"""The config flow against a real server: user, zeroconf, reauth and reconfigure."""

from collections.abc import AsyncGenerator
from dataclasses import replace
from ipaddress import ip_address
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import (
    SOURCE_IGNORE,
    SOURCE_USER,
    SOURCE_ZEROCONF,
    ConfigFlowResult,
)
from homeassistant.const import CONF_PASSWORD, CONF_URL, CONF_USERNAME, CONF_VERIFY_SSL
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.smart_kitchen.api import (
    ServerInfo,
    SmartKitchenCertificateError,
    SmartKitchenResponseError,
)
from custom_components.smart_kitchen.const import DOMAIN
from smart_kitchen_server import ServerConfig, SmartKitchenServer

GET_INFO = "custom_components.smart_kitchen.config_flow.SmartKitchenClient.get_info"

# A port nothing listens on: connecting is refused at once.
UNREACHABLE_URL = "http://127.0.0.1:9"


@pytest.fixture(autouse=True)
def mock_setup_entry() -> AsyncGenerator[None]:
    """Keep the flows to themselves: creating or reloading an entry does not set it up."""
    with (
        patch("custom_components.smart_kitchen.async_setup_entry", return_value=True),
        patch("custom_components.smart_kitchen.async_unload_entry", return_value=True),
    ):
        yield


def user_input(server: SmartKitchenServer, **changes: Any) -> dict[str, Any]:
    """Return the user step's input for the demo account."""
    return {
        CONF_URL: server.url,
        CONF_USERNAME: "demo",
        CONF_PASSWORD: "demo",
        CONF_VERIFY_SSL: True,
    } | changes


def zeroconf_info(server: SmartKitchenServer, **properties: str) -> ZeroconfServiceInfo:
    """Return what zeroconf reports for the test server."""
    return ZeroconfServiceInfo(
        ip_address=ip_address("127.0.0.1"),
        ip_addresses=[ip_address("127.0.0.1")],
        port=server.port,
        hostname="kitchen.local.",
        type="_smartkitchen._tcp.local.",
        name="Demo Kitchen._smartkitchen._tcp.local.",
        properties=properties,
    )


async def submit_user_step(
    hass: HomeAssistant, data: dict[str, Any]
) -> ConfigFlowResult:
    """Start the user step and submit the form once."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    return await hass.config_entries.flow.async_configure(result["flow_id"], data)


def substitute_get_info(answer: ServerInfo | Exception) -> Any:
    """Patch the server's answer to get_info: this info, or this error raised."""
    if isinstance(answer, Exception):
        return patch(GET_INFO, side_effect=answer)
    return patch(GET_INFO, return_value=answer)


def assert_form_error(result: ConfigFlowResult, error: str) -> None:
    """Assert that the form is shown again with an error."""
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}


def assert_aborted(result: ConfigFlowResult, reason: str) -> None:
    """Assert that the flow ended without an entry, for a reason."""
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == reason


async def other_server(server_id: str) -> SmartKitchenServer:
    """Start a second server (with the demo accounts) under a server id."""
    other = SmartKitchenServer(
        replace(ServerConfig.demo(tick=None), server_id=server_id)
    )
    await other.start(host="127.0.0.1", port=0)
    return other


async def test_user_flow(hass: HomeAssistant, server: SmartKitchenServer) -> None:
    """The user step logs in and creates one entry per user of a server."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(server)
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Demo Kitchen (demo)"
    assert result["data"] == user_input(server)
    assert result["result"].unique_id == "smart-kitchen-demo:user-demo"
    # The flow logged out again: the entry logs in on its own.
    assert len(server.sessions) == 0


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({CONF_URL: UNREACHABLE_URL}, "cannot_connect"),
        ({CONF_PASSWORD: "wrong"}, "invalid_auth"),
    ],
)
async def test_user_flow_errors(
    hass: HomeAssistant, server: SmartKitchenServer, changes: dict[str, Any], error: str
) -> None:
    """A wrong URL or password is shown in the form, and fixing it creates the entry."""
    result = await submit_user_step(hass, user_input(server, **changes))
    assert_form_error(result, error)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(server)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.parametrize(
    "url",
    [
        "ftp://127.0.0.1:8765",
        "http://[::1",
        "demo:s3cret@127.0.0.1:8765",
        "http://demo:s3cret@127.0.0.1:8765",
        "http://demo@127.0.0.1:8765",
    ],
    ids=[
        "other_scheme",
        "unparsable",
        "no_scheme_with_password",
        "with_password",
        "with_user",
    ],
)
async def test_user_flow_invalid_url(
    hass: HomeAssistant, server: SmartKitchenServer, url: str
) -> None:
    """An address that cannot be a server's is refused on the field before any request.

    Credentials in a URL would be stored, shown and logged with it, so they are refused too.
    """
    result = await submit_user_step(hass, user_input(server, url=url))
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_URL: "invalid_url"}
    assert len(server.sessions) == 0

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(server)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert "s3cret" not in str(result["data"])


async def test_user_flow_url_without_scheme(
    hass: HomeAssistant, server: SmartKitchenServer
) -> None:
    """An address typed without a scheme is taken as http, and stored so."""
    result = await submit_user_step(
        hass, user_input(server, url=f"127.0.0.1:{server.port}")
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_URL] == f"http://127.0.0.1:{server.port}"


@pytest.mark.parametrize(
    ("get_info", "error"),
    [
        (
            ServerInfo(server_id="future", name="Future", version="9.0", protocol=2),
            "unsupported_protocol",
        ),
        (SmartKitchenResponseError("not a Smart Kitchen server"), "cannot_connect"),
        (RuntimeError("boom"), "unknown"),
    ],
)
async def test_user_flow_server_errors(
    hass: HomeAssistant,
    server: SmartKitchenServer,
    get_info: ServerInfo | Exception,
    error: str,
) -> None:
    """A server speaking another protocol, garbage and surprises are shown, then recovered from.

    The real server speaks protocol 1 and answers well, so these answers are substituted.
    """
    with substitute_get_info(get_info):
        result = await submit_user_step(hass, user_input(server))
    assert_form_error(result, error)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(server)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_user_flow_throttled(
    hass: HomeAssistant, server: SmartKitchenServer
) -> None:
    """After five wrong passwords the server throttles the username, and the form says so."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    for _ in range(5):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], user_input(server, **{CONF_PASSWORD: "wrong"})
        )
        assert result["errors"] == {"base": "invalid_auth"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(server)
    )
    assert_form_error(result, "too_many_attempts")

    # Another user of the same server is not throttled.
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        user_input(server, **{CONF_USERNAME: "alice", CONF_PASSWORD: "alice"}),
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Demo Kitchen (alice)"


async def test_user_flow_already_configured(
    hass: HomeAssistant, server: SmartKitchenServer, mock_config_entry: MockConfigEntry
) -> None:
    """The same account twice is refused, and the known entry takes the new address."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, data={**mock_config_entry.data, CONF_URL: "http://old:8765"}
    )
    result = await submit_user_step(hass, user_input(server))

    assert_aborted(result, "already_configured")
    assert mock_config_entry.data[CONF_URL] == server.url


async def test_zeroconf_flow(hass: HomeAssistant, server: SmartKitchenServer) -> None:
    """A discovered server asks only for credentials, recovers from a wrong one, and is added."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_ZEROCONF},
        data=zeroconf_info(server, serverId="smart-kitchen-demo"),
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "zeroconf_confirm"
    assert result["description_placeholders"] == {
        "name": "Demo Kitchen",
        "url": server.url,
    }

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_USERNAME: "demo", CONF_PASSWORD: "wrong"}
    )
    assert_form_error(result, "invalid_auth")

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_USERNAME: "demo", CONF_PASSWORD: "demo"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Demo Kitchen (demo)"
    assert result["data"] == user_input(server)
    assert result["result"].unique_id == "smart-kitchen-demo:user-demo"


async def test_zeroconf_known_address(
    hass: HomeAssistant, server: SmartKitchenServer, mock_config_entry: MockConfigEntry
) -> None:
    """A configured server seen at its configured address is dismissed without a request."""
    mock_config_entry.add_to_hass(hass)
    with patch(GET_INFO) as get_info:
        result = await hass.config_entries.flow.async_init(
            DOMAIN,
            context={"source": SOURCE_ZEROCONF},
            data=zeroconf_info(server, serverId="smart-kitchen-demo"),
        )
    assert_aborted(result, "already_configured")
    get_info.assert_not_called()


async def test_zeroconf_updates_address(
    hass: HomeAssistant, server: SmartKitchenServer, mock_config_entry: MockConfigEntry
) -> None:
    """Every account of a server that moved follows it to the new address."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry,
        data={**mock_config_entry.data, CONF_URL: "http://192.0.2.1:8765"},
    )
    alice = MockConfigEntry(
        domain=DOMAIN,
        unique_id="smart-kitchen-demo:user-alice",
        data={**mock_config_entry.data, CONF_USERNAME: "alice", CONF_URL: server.url},
    )
    alice.add_to_hass(hass)

    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_ZEROCONF},
        data=zeroconf_info(server, serverId="smart-kitchen-demo"),
    )

    assert_aborted(result, "already_configured")
    assert mock_config_entry.data[CONF_URL] == server.url
    assert alice.data[CONF_URL] == server.url


@pytest.mark.usefixtures("host_names")
async def test_zeroconf_keeps_scheme_and_host_name(
    hass: HomeAssistant, server: SmartKitchenServer, mock_config_entry: MockConfigEntry
) -> None:
    """A discovery never downgrades https to http, nor replaces a host name by an address.

    A host name takes the announced port only if it then still leads to the same server.
    """
    port = server.port
    stored = {
        # A name on the announced port: nothing to do, not even a request.
        "user-a": f"https://kitchen.local:{port}",
        # The server moved to another port, and the name on it answers as the server.
        "user-b": "http://localhost:8765",
        # https on the announced port does not answer (the server speaks http): kept.
        "user-c": "https://localhost:8765",
    }
    entries = {}
    for user, url in stored.items():
        entries[user] = MockConfigEntry(
            domain=DOMAIN,
            unique_id=f"smart-kitchen-demo:{user}",
            data={**mock_config_entry.data, CONF_URL: url},
        )
        entries[user].add_to_hass(hass)

    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_ZEROCONF},
        data=zeroconf_info(server, serverId="smart-kitchen-demo"),
    )
    await hass.async_block_till_done()

    assert_aborted(result, "already_configured")
    assert {user: entry.data[CONF_URL] for user, entry in entries.items()} == {
        "user-a": f"https://kitchen.local:{port}",
        "user-b": f"http://localhost:{port}",
        "user-c": "https://localhost:8765",
    }


async def test_zeroconf_without_server_id(
    hass: HomeAssistant, server: SmartKitchenServer, mock_config_entry: MockConfigEntry
) -> None:
    """An announcement without TXT records is matched by asking the server who it is."""
    mock_config_entry.add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_ZEROCONF}, data=zeroconf_info(server)
    )
    assert_aborted(result, "already_configured")
    assert mock_config_entry.data[CONF_URL] == server.url


async def test_zeroconf_ignored(
    hass: HomeAssistant, server: SmartKitchenServer
) -> None:
    """A server the user chose to ignore stays ignored."""
    MockConfigEntry(
        domain=DOMAIN, unique_id="smart-kitchen-demo", source=SOURCE_IGNORE
    ).add_to_hass(hass)
    result = await hass.config_entries.flow.async_init(
        DOMAIN,
        context={"source": SOURCE_ZEROCONF},
        data=zeroconf_info(server, serverId="smart-kitchen-demo"),
    )
    assert_aborted(result, "already_configured")


@pytest.mark.parametrize(
    ("get_info", "reason"),
    [
        (SmartKitchenResponseError("not a Smart Kitchen server"), "cannot_connect"),
        (
            ServerInfo(server_id="future", name="Future", version="9.0", protocol=2),
            "unsupported_protocol",
        ),
    ],
)
async def test_zeroconf_errors(
    hass: HomeAssistant,
    server: SmartKitchenServer,
    get_info: ServerInfo | Exception,
    reason: str,
) -> None:
    """A discovery that does not answer like a protocol 1 server is dropped."""
    with substitute_get_info(get_info):
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_ZEROCONF}, data=zeroconf_info(server)
        )
    assert_aborted(result, reason)


async def test_reauth_flow(
    hass: HomeAssistant, server: SmartKitchenServer, mock_config_entry: MockConfigEntry
) -> None:
    """A refused password is replaced; a wrong new one is shown and can be corrected."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, data={**mock_config_entry.data, CONF_PASSWORD: "old"}
    )
    result = await mock_config_entry.start_reauth_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    assert result["description_placeholders"][CONF_USERNAME] == "demo"
    assert result["description_placeholders"][CONF_URL] == server.url

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: "still wrong"}
    )
    assert_form_error(result, "invalid_auth")

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: "demo"}
    )
    assert_aborted(result, "reauth_successful")
    assert mock_config_entry.data[CONF_PASSWORD] == "demo"


async def test_reauth_wrong_account(
    hass: HomeAssistant, server: SmartKitchenServer, mock_config_entry: MockConfigEntry
) -> None:
    """Credentials that belong to another account do not replace the entry's."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, unique_id="smart-kitchen-demo:user-someone-else"
    )
    result = await mock_config_entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: "demo"}
    )
    assert_aborted(result, "wrong_account")


async def test_reconfigure_flow(
    hass: HomeAssistant, server: SmartKitchenServer, mock_config_entry: MockConfigEntry
) -> None:
    """The same server at a new address replaces the URL; an invalid and an unreachable one are shown first."""
    mock_config_entry.add_to_hass(hass)
    moved = await other_server("smart-kitchen-demo")
    moved_url = moved.url
    try:
        result = await mock_config_entry.start_reconfigure_flow(hass)
        assert result["type"] is FlowResultType.FORM
        assert result["step_id"] == "reconfigure"

        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_URL: "ftp://kitchen.local", CONF_VERIFY_SSL: True}
        )
        assert result["errors"] == {CONF_URL: "invalid_url"}

        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_URL: UNREACHABLE_URL, CONF_VERIFY_SSL: True}
        )
        assert_form_error(result, "cannot_connect")

        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_URL: moved_url, CONF_VERIFY_SSL: False}
        )
        await hass.async_block_till_done()
    finally:
        await moved.stop()

    assert_aborted(result, "reconfigure_successful")
    assert mock_config_entry.data == {
        CONF_URL: moved_url,
        CONF_USERNAME: "demo",
        CONF_PASSWORD: "demo",
        CONF_VERIFY_SSL: False,
    }


async def test_reconfigure_other_server(
    hass: HomeAssistant, server: SmartKitchenServer, mock_config_entry: MockConfigEntry
) -> None:
    """A URL that leads to another server is refused."""
    mock_config_entry.add_to_hass(hass)
    other = await other_server("someone-elses-kitchen")
    try:
        result = await mock_config_entry.start_reconfigure_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_URL: other.url, CONF_VERIFY_SSL: True}
        )
    finally:
        await other.stop()

    assert_aborted(result, "wrong_server")
    assert mock_config_entry.data[CONF_URL] == server.url


async def test_user_flow_untrusted_certificate(
    hass: HomeAssistant, server: SmartKitchenServer, caplog: pytest.LogCaptureFixture
) -> None:
    """A certificate the client does not trust is named as such (form and log), then recovered from.

    tests/api/test_reliability.py shows the client raising it for a real self-signed server.
    """
    with substitute_get_info(
        SmartKitchenCertificateError(
            "The TLS certificate of x is not trusted: self-signed"
        )
    ):
        result = await submit_user_step(hass, user_input(server))
    assert_form_error(result, "certificate_not_trusted")
    assert f"Not adding {server.url}: The TLS certificate" in caplog.text

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input(server)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
