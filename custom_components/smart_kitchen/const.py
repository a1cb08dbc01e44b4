"""Constants for the Smart Kitchen integration."""

from typing import Final

DOMAIN: Final = "smart_kitchen"
