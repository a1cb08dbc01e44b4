"""Which appliances the stream is about: the user's appliance list, or a fixed set of ids."""

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from .models import (
    Alert,
    Appliance,
    Device,
    DeviceAdded,
    DeviceRemoved,
    DeviceStatus,
    DeviceUpdate,
)


class Subscription:
    """The one owner of the subscribed ids.

    Following the user's appliances (the default) it keeps the appliance list, updated from each
    list the server gives after a reconnect and from `device_added` / `device_removed`. Fixed, it
    subscribes to exactly the ids given.
    """

    def __init__(
        self,
        appliances: Iterable[Appliance] | None,
        device_ids: Iterable[str] | None,
    ) -> None:
        """Follow the given appliances (None: not loaded yet), or fix the subscription to ids."""
        self._fixed_ids = (
            None if device_ids is None else tuple(dict.fromkeys(device_ids))
        )
        self._appliances: dict[str, Appliance] | None = (
            None if appliances is None else {item.id: item for item in appliances}
        )

    @property
    def following(self) -> bool:
        """Return whether the subscription follows the user's appliances."""
        return self._fixed_ids is None

    @property
    def loaded(self) -> bool:
        """Return whether the appliance list is known."""
        return self._appliances is not None

    @property
    def device_ids(self) -> tuple[str, ...]:
        """Return the ids to subscribe to."""
        if self._fixed_ids is not None:
            return self._fixed_ids
        return tuple(self._appliances or ())

    @property
    def appliances(self) -> Mapping[str, Appliance]:
        """Return the user's appliances as last known."""
        return MappingProxyType(self._appliances or {})

    def fix(self, device_ids: Iterable[str]) -> bool:
        """Subscribe to exactly these ids from now on; return whether that changes anything."""
        new_ids = tuple(dict.fromkeys(device_ids))
        # The server does not care about the order: the same ids in another order change nothing.
        if self._fixed_ids is not None and set(new_ids) == set(self._fixed_ids):
            return False
        self._fixed_ids = new_ids
        return True

    def replace(self, devices: list[Device]) -> list[DeviceAdded | DeviceRemoved]:
        """Take a new appliance list; return what came or went since the last one."""
        listed = {device.id: device for device in devices}
        known = self._appliances or {}
        self._appliances = {
            device_id: device.appliance for device_id, device in listed.items()
        }
        # In list order, not a set's: the events come out in the same order on every run.
        changes: list[DeviceAdded | DeviceRemoved] = [
            DeviceRemoved(device_id=device_id)
            for device_id in known
            if device_id not in listed
        ]
        changes.extend(
            DeviceAdded(device=device)
            for device_id, device in listed.items()
            if device_id not in known
        )
        return changes

    def add(self, device: Device) -> bool:
        """Take an appliance the server announced; return whether it is new to the list."""
        if self._appliances is None or device.id in self._appliances:
            # Unknown list (nothing to add to), or already in the list loaded after a reconnect.
            return self._appliances is None
        self._appliances[device.id] = device.appliance
        return True

    def remove(self, device_id: str) -> bool:
        """Forget an appliance the server removed; return whether it was in the list."""
        if self._appliances is None:
            return True
        return self._appliances.pop(device_id, None) is not None

    def mismatch(self, event: DeviceUpdate | DeviceStatus | Alert) -> str | None:
        """Return why an event does not fit the appliance it names, or None if it does."""
        if self._appliances is None or self._fixed_ids is not None:
            return None
        appliance = self._appliances.get(event.device_id)
        if appliance is None:
            return f"{type(event).__name__} of an unknown appliance {event.device_id!r}"
        # A device_status is about the whole appliance, so it names no compartment.
        compartment = getattr(event, "compartment", appliance.compartments[0])
        if (
            appliance.type is not event.device_type
            or compartment not in appliance.compartments
        ):
            return (
                f"{type(event).__name__} of {event.device_id!r} as a {event.device_type} "
                f"compartment {compartment!r}, which it does not have"
            )
        return None
