from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from frontdesk.auth.permissions import TENANT_ROLES, validate_scopes
from frontdesk.kit.schemas import Email, InputModel
from frontdesk.kit.time import to_utc, utcnow

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


# --- users and sessions ---------------------------------------------------------------------


class SignupIn(InputModel):
    business_name: str = Field(min_length=1, max_length=200)
    email: Email
    password: str = Field(min_length=1, max_length=200)
    name: str = Field(default="", max_length=200)
    website: str | None = Field(
        default=None,
        max_length=200,
        description="Origin the widget will run on, e.g. https://shop.example.com",
    )


class SignupConfirmIn(InputModel):
    token: str = Field(min_length=1, max_length=4000, description="From the emailed sign-up link")
    password: str = Field(
        min_length=1, max_length=200, description="The password chosen when signing up, entered again"
    )


class LoginIn(InputModel):
    email: str = Field(max_length=320)
    password: str = Field(min_length=1, max_length=200)
    tenant_id: uuid.UUID | None = Field(default=None, description="Workspace, when the user has several")


class RefreshIn(InputModel):
    refresh_token: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="Absent for the dashboard, whose refresh token is its HttpOnly cookie",
    )


class TokensOut(BaseModel):
    access_token: str
    refresh_token: str | None = Field(
        description="Single use: each refresh returns a new one. Null with `X-Frontdesk-Client: "
        "dashboard`: the token is then an HttpOnly cookie scoped to /api/v1/auth"
    )
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int
    session_id: uuid.UUID


class SignupOut(TokensOut):
    tenant_id: uuid.UUID
    secret_key: str = Field(description="Shown once: server-side API key")
    publishable_key: str | None = Field(
        description="Shown once: the website widget's key (only when `website` was given)"
    )


class MeOut(BaseModel):
    id: uuid.UUID
    email: str
    name: str
    tenant_id: uuid.UUID | None
    tenant_name: str | None
    role: str | None
    platform_role: str | None
    permissions: list[str]


class SessionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    user_agent: str
    ip: str
    created_at: datetime
    last_used_at: datetime | None
    current: bool = False


class ForgotIn(InputModel):
    email: str = Field(max_length=320)


class ResetIn(InputModel):
    token: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=200)


class UnlockIn(InputModel):
    token: str = Field(min_length=1, max_length=200)


class AcceptInvitationIn(InputModel):
    token: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=200)
    name: str = Field(default="", max_length=200)


# --- the signed-in person, the team, the audit log (``/api/v1/customer/…``) ---------------------


class AccountOut(BaseModel):
    id: uuid.UUID
    email: str
    name: str
    role: str | None


class AccountIn(InputModel):
    name: str | None = Field(default=None, max_length=200)
    current_password: str | None = Field(default=None, max_length=200)
    new_password: str | None = Field(default=None, min_length=1, max_length=200)


Role = Annotated[str, Field(pattern="^(" + "|".join(TENANT_ROLES) + ")$")]


class MemberOut(BaseModel):
    user_id: uuid.UUID
    email: str
    name: str
    role: str
    joined_at: datetime


class InvitationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    role: str
    created_at: datetime
    expires_at: datetime


class TeamOut(BaseModel):
    members: list[MemberOut]
    invitations: list[InvitationOut]


class InviteIn(InputModel):
    email: Email
    role: Role = "member"


class RoleIn(InputModel):
    role: Role


class AuditEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    tenant_id: uuid.UUID | None
    actor: str
    action: str
    target: str | None
    ip: str | None
    details: dict[str, object]
    created_at: datetime
