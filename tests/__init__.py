"""Tests for Smart Kitchen: the server, the client library and the integration."""
