"""Tenants: the businesses on the platform, and their configuration."""
