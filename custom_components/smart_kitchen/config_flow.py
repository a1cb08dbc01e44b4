"""Config flow of Smart Kitchen: user, zeroconf discovery, reauth and reconfigure."""

from collections.abc import Mapping
from contextlib import suppress
from typing import Any, override

from homeassistant.config_entries import ConfigFlow, ConfigFlowResult
from homeassistant.const import CONF_PASSWORD, CONF_URL, CONF_USERNAME, CONF_VERIFY_SSL
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.helpers.service_info.zeroconf import ZeroconfServiceInfo
import probatio

from .api import (
    LoginResult,
    ServerInfo,
    SmartKitchenAuthenticationError,
    SmartKitchenCertificateError,
    SmartKitchenClient,
    SmartKitchenError,
    SmartKitchenRateLimitedError,
    SmartKitchenUnsupportedProtocolError,
    server_url,
)
from .const import DOMAIN, LOGGER
from .coordinator import SmartKitchenConfigEntry
from .discovery import async_follow, async_is_current, discovered_url
from .identity import account_name, async_entries_of_server, entry_unique_id

URL_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
USERNAME_SELECTOR = TextSelector(
    TextSelectorConfig(type=TextSelectorType.TEXT, autocomplete="username")
)
PASSWORD_SELECTOR = TextSelector(
    TextSelectorConfig(type=TextSelectorType.PASSWORD, autocomplete="current-password")
)

CREDENTIALS = {
    probatio.Required(CONF_USERNAME): USERNAME_SELECTOR,
    probatio.Required(CONF_PASSWORD): PASSWORD_SELECTOR,
}
CREDENTIALS_SCHEMA = probatio.Schema(CREDENTIALS)
USER_SCHEMA = probatio.Schema(
    {
        probatio.Required(CONF_URL): URL_SELECTOR,
        **CREDENTIALS,
        probatio.Required(CONF_VERIFY_SSL, default=True): bool,
    }
)
RECONFIGURE_SCHEMA = probatio.Schema(
    {
        probatio.Required(CONF_URL): URL_SELECTOR,
        probatio.Required(CONF_VERIFY_SSL, default=True): bool,
    }
)
REAUTH_SCHEMA = probatio.Schema({probatio.Required(CONF_PASSWORD): PASSWORD_SELECTOR})


class SmartKitchenConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up a Smart Kitchen server for one of its users."""

    VERSION = 2  # 2: appliances namespaced by the server id (migration.py)
    MINOR_VERSION = 1

    # Set by zeroconf discovery for the confirm step.
    _discovered_url: str
    _discovered_info: ServerInfo

    @override
    async def async_step_user(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the server URL and the credentials."""
        errors: dict[str, str] = {}
        if user_input is not None and (
            result := await self._async_add_account(dict(user_input), errors)
        ):
            return result

        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(USER_SCHEMA, user_input),
            errors=errors,
        )

    @override
    async def async_step_zeroconf(
        self, discovery_info: ZeroconfServiceInfo
    ) -> ConfigFlowResult:
        """Handle a server announcing itself on the network."""
        discovered = discovered_url(discovery_info)
        url = str(discovered)
        # A server seen again where it is configured needs no request.
        server_id = discovery_info.properties.get("serverId")
        if (
            server_id
            and (entries := async_entries_of_server(self.hass, server_id))
            and all(async_is_current(entry, discovered) for entry in entries)
        ):
            return self.async_abort(reason="already_configured")

        # Another address has to answer as this server before the entries follow it.
        client = SmartKitchenClient(url, session=async_get_clientsession(self.hass))
        try:
            info = await client.check_server()
        except SmartKitchenUnsupportedProtocolError:
            return self.async_abort(reason="unsupported_protocol")
        except SmartKitchenError:
            return self.async_abort(reason="cannot_connect")

        await self.async_set_unique_id(info.server_id)
        # Discovery knows the server but not the user, so every account on it follows.
        if entries := async_entries_of_server(self.hass, info.server_id):
            await async_follow(self.hass, entries, discovered, info.server_id)
            return self.async_abort(reason="already_configured")
        # A discovery the user chose to ignore stays ignored.
        self._abort_if_unique_id_configured()

        self._discovered_url = url
        self._discovered_info = info
        self.context["title_placeholders"] = {"name": info.name}
        return await self.async_step_zeroconf_confirm()

    async def async_step_zeroconf_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask only for the credentials of the discovered server."""
        errors: dict[str, str] = {}
        if user_input is not None and (
            result := await self._async_add_account(
                {**user_input, CONF_URL: self._discovered_url, CONF_VERIFY_SSL: True},
                errors,
            )
        ):
            return result

        return self.async_show_form(
            step_id="zeroconf_confirm",
            data_schema=self.add_suggested_values_to_schema(
                CREDENTIALS_SCHEMA, user_input
            ),
            description_placeholders={
                "name": self._discovered_info.name,
                "url": self._discovered_url,
            },
            errors=errors,
        )

    async def async_step_reauth(
        self, entry_data: Mapping[str, Any]
    ) -> ConfigFlowResult:
        """Start reauthentication after the server refused the stored password."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the new password of the same account."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None and (
            result := await self._async_update_account(
                entry, {**entry.data, **user_input}, errors, mismatch="wrong_account"
            )
        ):
            return result

        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=REAUTH_SCHEMA,
            description_placeholders={
                CONF_USERNAME: entry.data[CONF_USERNAME],
                CONF_URL: entry.data[CONF_URL],
            },
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Point the entry at the server's new URL; another server is refused."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None and (
            result := await self._async_update_account(
                entry, {**entry.data, **user_input}, errors, mismatch="wrong_server"
            )
        ):
            return result

        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                RECONFIGURE_SCHEMA, user_input or entry.data
            ),
            errors=errors,
        )

    async def _async_validate(
        self, data: dict[str, Any], errors: dict[str, str]
    ) -> tuple[ServerInfo, LoginResult] | None:
        """Check the server and log in, or fill `errors`; `127.0.0.1:8765` is kept as http://."""
        try:
            data[CONF_URL] = str(server_url(data[CONF_URL]))
            client = SmartKitchenClient(
                data[CONF_URL],
                session=async_get_clientsession(
                    self.hass, verify_ssl=data[CONF_VERIFY_SSL]
                ),
                verify_ssl=data[CONF_VERIFY_SSL],
            )
        except ValueError:
            # Not http(s) with a host, or credentials inside it (they would be shown and logged).
            errors[CONF_URL] = "invalid_url"
            return None
        try:
            info = await client.check_server()
            login = await client.login(data[CONF_USERNAME], data[CONF_PASSWORD])
        except SmartKitchenUnsupportedProtocolError:
            errors["base"] = "unsupported_protocol"
        except SmartKitchenAuthenticationError:
            errors["base"] = "invalid_auth"
        except SmartKitchenRateLimitedError:
            errors["base"] = "too_many_attempts"
        except SmartKitchenCertificateError as err:
            LOGGER.warning("Not adding %s: %s", data[CONF_URL], err)
            errors["base"] = "certificate_not_trusted"
        except SmartKitchenError:
            errors["base"] = "cannot_connect"
        except Exception:  # noqa: BLE001 - shown as "unknown", with the traceback in the log
            LOGGER.exception(
                "Unexpected error while validating the Smart Kitchen server"
            )
            errors["base"] = "unknown"
        else:
            # The integration logs in on its own at setup; this session is not needed any more.
            with suppress(SmartKitchenError):
                await client.logout()
            return info, login
        return None

    async def _async_add_account(
        self, data: dict[str, Any], errors: dict[str, str]
    ) -> ConfigFlowResult | None:
        """Create the entry of a valid account, titled with the server name and the username."""
        if (result := await self._async_validate(data, errors)) is None:
            return None
        info, login = result
        await self.async_set_unique_id(
            entry_unique_id(info.server_id, login.user_id), raise_on_progress=False
        )
        # Adding a known account again updates where and how to reach it.
        self._abort_if_unique_id_configured(updates=data)
        return self.async_create_entry(
            title=account_name(info.name, data[CONF_USERNAME]), data=data
        )

    async def _async_update_account(
        self,
        entry: SmartKitchenConfigEntry,
        data: dict[str, Any],
        errors: dict[str, str],
        *,
        mismatch: str,
    ) -> ConfigFlowResult | None:
        """Reload an entry with new settings, if they are valid and still reach its account."""
        if (result := await self._async_validate(data, errors)) is None:
            return None
        info, login = result
        await self.async_set_unique_id(entry_unique_id(info.server_id, login.user_id))
        self._abort_if_unique_id_mismatch(reason=mismatch)
        return self.async_update_reload_and_abort(entry, data=data)
