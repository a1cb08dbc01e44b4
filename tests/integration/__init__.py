"""Tests of the Smart Kitchen integration against the reference server."""
