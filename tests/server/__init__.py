"""Tests of the reference appliance server."""
