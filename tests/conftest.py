"""Fixtures shared by every Smart Kitchen test."""

from collections.abc import Generator
from unittest.mock import patch

import pytest

# Imported at module level on purpose: it makes `custom_components` resolve to this repository's folder
# instead of the testing_config folder of pytest-homeassistant-custom-component.
import custom_components.smart_kitchen  # noqa: F401


@pytest.fixture
def entity_registry_enabled_by_default() -> Generator[None]:
    """Enable entities that are disabled by default, so tests see every entity."""
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        return_value=True,
    ):
        yield
