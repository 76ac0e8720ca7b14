"""Knowledge base documents (secret keys)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1/knowledge", tags=["knowledge"])
