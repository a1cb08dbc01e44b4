"""A person in the kitchen: the demo user's client plus the reference server's simulation API.

The simulation endpoints (doors, network plugs, appliances coming and going) are not part of the shipped client
library; tests reach them through this helper.
"""

from typing import Any

from custom_components.smart_kitchen.api import Device, DeviceType, SmartKitchenClient


class Kitchen(SmartKitchenClient):
    """A client that can also open doors and install or remove appliances on the server."""

    async def set_door(
        self, device_id: str, open: bool, compartment: str | None = None
    ) -> Device:
        """Open or close a door and return the appliance as it is then."""
        body: dict[str, Any] = {"open": open}
        if compartment is not None:
            body["compartment"] = compartment
        return Device.from_wire(
            await self._simulate("POST", device_id, "door", body=body)
        )

    async def set_online(self, device_id: str, online: bool) -> Device:
        """Take an appliance off the network or bring it back, and return it as clients see it."""
        return Device.from_wire(
            await self._simulate("POST", device_id, "online", body={"online": online})
        )

    async def add_device(self, device_type: DeviceType, name: str) -> Device:
        """Install a new appliance for the user."""
        return Device.from_wire(
            await self._simulate("POST", body={"type": device_type, "name": name})
        )

    async def remove_device(self, device_id: str) -> None:
        """Remove one of the user's appliances."""
        await self._simulate("DELETE", device_id)

    async def _simulate(
        self, method: str, *segments: str, body: dict[str, Any] | None = None
    ) -> Any:
        """Call the simulation API as the logged-in user."""
        return await self._authorized(
            method, "api", "simulation", "devices", *segments, body=body
        )
