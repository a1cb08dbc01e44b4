"""Helpers shared by the platforms that send commands."""

from collections.abc import Callable, Coroutine
from typing import Any, Concatenate

from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .api import (
    SmartKitchenAuthenticationError,
    SmartKitchenCommandError,
    SmartKitchenConnectionError,
    SmartKitchenError,
    SmartKitchenRateLimitedError,
)
from .const import DOMAIN
from .entity import SmartKitchenEntity


def smart_kitchen_command[EntityT: SmartKitchenEntity, **P](
    func: Callable[Concatenate[EntityT, P], Coroutine[Any, Any, Any]],
) -> Callable[Concatenate[EntityT, P], Coroutine[Any, Any, None]]:
    """Turn the library's errors of an entity action into translated Home Assistant errors.

    A value the appliance refuses is the user's to fix (ServiceValidationError with the server's own
    message); anything else is a problem of the connection or the server (HomeAssistantError). The new
    state is not fetched here: the server pushes it.
    """

    async def handler(self: EntityT, /, *args: P.args, **kwargs: P.kwargs) -> None:
        try:
            await func(self, *args, **kwargs)
        except SmartKitchenCommandError as err:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="command_refused",
                translation_placeholders={"message": err.message},
            ) from err
        except SmartKitchenAuthenticationError as err:
            # Even a fresh login was refused: the password changed, so ask the user for it.
            self.coordinator.config_entry.async_start_reauth(self.hass)
            raise HomeAssistantError(
                translation_domain=DOMAIN, translation_key="invalid_auth"
            ) from err
        except SmartKitchenRateLimitedError as err:
            # Renewing an expired session met the server's throttle after failed logins.
            raise HomeAssistantError(
                translation_domain=DOMAIN, translation_key="too_many_attempts"
            ) from err
        except SmartKitchenConnectionError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="communication_error",
                translation_placeholders={"error": str(err)},
            ) from err
        except SmartKitchenError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="invalid_response",
                translation_placeholders={"error": str(err)},
            ) from err

    return handler
