"""WebSocket messages the server sends, built in one place and serialized with orjson."""

from datetime import datetime
from typing import Any

import orjson

from .const import PROTOCOL_VERSION
from .models import (
    AlertType,
    Compartment,
    Device,
    isoformat,
    state_to_wire,
    status_to_wire,
)


def encode(message: dict[str, Any]) -> bytes:
    """Serialize a message once; the same bytes go to every subscriber."""
    return orjson.dumps(message)


def connected(user_id: str, server_id: str, boot_id: str) -> dict[str, Any]:
    """Build the first message of every authenticated connection."""
    return {
        "type": "connected",
        "userId": user_id,
        "serverId": server_id,
        "bootId": boot_id,
        "protocol": PROTOCOL_VERSION,
    }


def subscribed(device_ids: list[str], last_alert_id: int) -> dict[str, Any]:
    """Acknowledge a subscribe with the ids now subscribed and the user's newest alert id."""
    return {"type": "subscribed", "deviceIds": device_ids, "lastAlertId": last_alert_id}


def unsubscribed(device_ids: list[str]) -> dict[str, Any]:
    """Acknowledge an unsubscribe with the ids it removed."""
    return {"type": "unsubscribed", "deviceIds": device_ids}


def device_update(device: Device, part: Compartment, ts: datetime) -> dict[str, Any]:
    """Carry the full state of one compartment (or of a dishwasher), as clients know it."""
    return {
        "type": "device_update",
        "deviceId": device.id,
        "deviceType": device.type,
        "compartment": part.name,
        "state": state_to_wire(part.reported),
        "ts": isoformat(ts),
    }


def device_status(device: Device, ts: datetime) -> dict[str, Any]:
    """Carry an appliance's status: whether it is online, and its lifetime counters."""
    return {
        "type": "device_status",
        "deviceId": device.id,
        "deviceType": device.type,
        "status": status_to_wire(device.reported_status),
        "ts": isoformat(ts),
    }


def alert(
    alert_id: int,
    device: Device,
    *,
    compartment: str | None,
    alert_type: AlertType,
    message: str,
    ts: datetime,
) -> dict[str, Any]:
    """Tell the owner something happened to an appliance."""
    return {
        "type": "alert",
        "id": alert_id,
        "deviceId": device.id,
        "deviceType": device.type,
        "compartment": compartment,
        "alertType": alert_type,
        "message": message,
        "ts": isoformat(ts),
    }


def device_added(device: Device) -> dict[str, Any]:
    """Announce a newly installed appliance."""
    return {"type": "device_added", "device": device.to_wire()}


def device_removed(device_id: str) -> dict[str, Any]:
    """Announce a removed appliance."""
    return {"type": "device_removed", "deviceId": device_id}


def error(
    code: str, message: str, device_ids: list[str] | None = None
) -> dict[str, Any]:
    """Report a problem with something the client sent; the connection stays open."""
    body: dict[str, Any] = {"type": "error", "code": code, "message": message}
    if device_ids is not None:
        body["deviceIds"] = device_ids
    return body
