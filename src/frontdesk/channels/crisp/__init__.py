"""Crisp: signed web hooks in, replies out through Crisp's REST API (see docs/channels.md)."""
