"""Database: engines, sessions, tenant scoping, row-level security."""
