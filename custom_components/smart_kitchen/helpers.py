"""Helpers shared by the platforms: adding the entities of appliances, and errors of actions."""

from collections.abc import Callable, Coroutine, Iterable, Mapping
from typing import Any, Concatenate, Final, Protocol

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
from .const import DOMAIN, LOGGER
from .coordinator import SmartKitchenConfigEntry, SmartKitchenCoordinator
from .entity import SmartKitchenCompartmentEntity, SmartKitchenEntityDescription


class CommandSender(Protocol):
    """What sends commands: an entity, or an action's handle on an appliance."""

    hass: HomeAssistant
    coordinator: SmartKitchenCoordinator

    @property
    def display_name(self) -> str:
        """Return how messages name the appliance (and compartment) the command is for."""


# What a refused command tells the user, by the server's error code. Never the server's own
# message: it speaks the protocol ("lower is off; choose a mode with set_mode first").
REFUSALS: Final[Mapping[str, str]] = {
    "conflict": "command_conflict",
    "invalid_command": "command_invalid",
    "bad_request": "command_invalid",
    "value_out_of_range": "value_refused",
    "forbidden": "appliance_gone",
    "unknown_device": "appliance_gone",
}


def smart_kitchen_command[EntityT: CommandSender, **P](
    func: Callable[Concatenate[EntityT, P], Coroutine[Any, Any, Any]],
) -> Callable[Concatenate[EntityT, P], Coroutine[Any, Any, None]]:
    """Turn the library's errors of an entity action into translated Home Assistant errors.

    A command the appliance refuses is the user's to fix (ServiceValidationError naming the appliance
    and compartment); anything else is a problem of the connection or the server (HomeAssistantError).
    The new state is not fetched here: the server pushes it.
    """

    async def handler(self: EntityT, /, *args: P.args, **kwargs: P.kwargs) -> None:
        try:
            await func(self, *args, **kwargs)
        except SmartKitchenCommandError as err:
            LOGGER.debug("%s refused a command: %s", self.display_name, err)
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key=REFUSALS.get(err.code, "command_refused"),
                translation_placeholders={"name": self.display_name},
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
        except SmartKitchenError as err:
            # The library's text is English and may hold the server's address: log only.
            LOGGER.debug("Command for %s failed: %s", self.display_name, err)
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="communication_error"
                if isinstance(err, SmartKitchenConnectionError)
                else "invalid_response",
                translation_placeholders={"name": self.display_name},
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
        entities = [
            entity for appliance in appliances for entity in entities_fn(appliance)
        ]
        coordinator.entity_tally.offer(entities)
        async_add_entities(entities)

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
