from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from frontdesk.auth.permissions import validate_scopes
from frontdesk.kit.schemas import InputModel

ORIGIN_PATTERN = r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$"


class ApiKeyCreate(InputModel):
    name: str = Field(default="", max_length=200)
    type: Literal["secret", "publishable"] = "secret"
    scopes: list[str] | None = Field(
        default=None, max_length=32, description="Defaults to every scope of the type"
    )
    allowed_origins: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="Origins a publishable key may be used from, e.g. https://shop.example.com",
    )
    expires_at: datetime | None = None

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        import re

        cleaned = []
        for origin in value:
            origin = origin.strip().rstrip("/")
            if not re.fullmatch(ORIGIN_PATTERN, origin):
                raise ValueError(f"'{origin}' is not an origin like https://shop.example.com")
            cleaned.append(origin.lower())
        return sorted(set(cleaned))

    @field_validator("expires_at")
    @classmethod
    def _future(cls, value: datetime | None) -> datetime | None:
        from frontdesk.kit.time import to_utc, utcnow

        value = to_utc(value) if value is not None else None
        if value is not None and value <= utcnow():
            raise ValueError("must be in the future")
        return value

    @model_validator(mode="after")
    def _scopes(self) -> ApiKeyCreate:
        if self.scopes is not None:
            self.scopes = validate_scopes(self.type, self.scopes)
        if self.type == "publishable" and not self.allowed_origins:
            raise ValueError("a publishable key needs at least one allowed origin")
        return self


class ApiKeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    tenant_id: uuid.UUID
    name: str
    type: str
    key_prefix: str
    scopes: list[str]
    allowed_origins: list[str]
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The full key. Shown once: store it now.")
