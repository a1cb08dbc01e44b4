"""Smoke tests: Home Assistant loads the integration from this repository and the server imports."""

from pathlib import Path

from homeassistant.core import HomeAssistant
from homeassistant.loader import async_get_integration
import pytest

from custom_components.smart_kitchen.const import DOMAIN

REPO = Path(__file__).parent.parent


@pytest.fixture(autouse=True)
def enable_custom_integrations_fixture(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom integrations."""


async def test_integration_loads_from_this_repository(hass: HomeAssistant) -> None:
    """The integration Home Assistant resolves is the one in this checkout."""
    integration = await async_get_integration(hass, DOMAIN)

    assert integration.file_path == REPO / "custom_components" / DOMAIN
    assert integration.name == "Smart Kitchen"
    assert integration.config_flow is True
    assert integration.manifest["iot_class"] == "local_push"


def test_server_package_imports() -> None:
    """The reference server is importable from the same environment."""
    import smart_kitchen_server

    assert smart_kitchen_server.__version__
