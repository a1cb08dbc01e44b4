"""Helpers shared by the platforms: adding the entities of appliances, and errors of actions."""

from collections.abc import Callable, Coroutine, Iterable, Mapping
from typing import Any, Concatenate, Protocol

from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import (
    Appliance,
    DeviceType,
    SmartKitchenAuthenticationError,
    SmartKitchenCommandError,
    SmartKitchenConnectionError,
    SmartKitchenError,
    SmartKitchenRateLimitedError,
)
from .const import DOMAIN
from .coordinator import SmartKitchenConfigEntry, SmartKitchenCoordinator
from .entity import SmartKitchenCompartmentEntity, SmartKitchenEntityDescription


class CommandSender(Protocol):
    """What sends commands: an entity, or an action's handle on an appliance."""

    hass: HomeAssistant
    coordinator: SmartKitchenCoordinator


def smart_kitchen_command[EntityT: CommandSender, **P](
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


@callback
def async_add_appliance_entities(
    entry: SmartKitchenConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    entities_fn: Callable[[Appliance], Iterable[Entity]],
) -> None:
    """Add the entities of every appliance now, and of every appliance that appears later."""
    coordinator = entry.runtime_data

    @callback
    def async_add_appliances(appliances: Iterable[Appliance]) -> None:
        async_add_entities(
            entity for appliance in appliances for entity in entities_fn(appliance)
        )

    async_add_appliances(coordinator.devices.values())
    entry.async_on_unload(
        coordinator.async_add_appliance_listener(async_add_appliances)
    )


@callback
def async_setup_appliance_entities[DescriptionT: SmartKitchenEntityDescription](
    entry: SmartKitchenConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    descriptions: Mapping[DeviceType, tuple[DescriptionT, ...]],
    entity_class: Callable[
        [SmartKitchenCoordinator, Appliance, str | None, DescriptionT],
        SmartKitchenCompartmentEntity,
    ],
) -> None:
    """Add an entity per description and compartment of every appliance, now and later."""
    coordinator = entry.runtime_data
    async_add_appliance_entities(
        entry,
        async_add_entities,
        lambda appliance: (
            entity_class(coordinator, appliance, compartment, description)
            for compartment in appliance.compartments
            for description in descriptions.get(appliance.type, ())
            if description.exists_fn(appliance, compartment)
        ),
    )
