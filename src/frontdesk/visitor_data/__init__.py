"""A visitor's data: export and erasure of one visitor, and per-tenant retention."""
