"""Channels other than the HTTP API: each turns its events into chat turns of the same pipeline."""
