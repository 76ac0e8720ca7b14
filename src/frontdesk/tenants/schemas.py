from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from frontdesk.billing import plans
from frontdesk.kit.schemas import Email, InputModel


def _known_plan(name: str) -> str:
    if not plans.exists(name):
        raise ValueError(f"unknown plan; one of: {', '.join(plans.catalog())}")
    return name


Plan = Annotated[str, Field(max_length=32), AfterValidator(_known_plan)]
SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$"


class TenantCreate(InputModel):
    name: str = Field(min_length=1, max_length=200)
    email: Email
    slug: str | None = Field(default=None, max_length=80, pattern=SLUG_PATTERN)
    plan: Plan = "free"


class AdminTenantCreate(TenantCreate):
    owner_email: Email | None = Field(default=None, description="Invite this person as the owner")


class TenantUpdate(InputModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    email: Email | None = None
    plan: Plan | None = Field(
        default=None, description="Sets the billing override (PUT /admin/tenants/{id}/billing does it all)"
    )


class TenantOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    email: str
    slug: str
    plan: str
    subscription_status: str
    created_at: datetime
    suspended_at: datetime | None


class BusinessIn(InputModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    email: Email | None = None
