"""The Smart Kitchen integration: ovens, fridges and dishwashers pushed live over a WebSocket."""
