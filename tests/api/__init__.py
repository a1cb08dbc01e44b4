"""Tests for the client library (custom_components/smart_kitchen/api), independent of Home Assistant."""
