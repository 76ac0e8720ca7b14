from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from frontdesk.kit.schemas import InputModel

LeadStatus = Literal["new", "contacted", "qualified", "won", "lost"]


class ContactOut(BaseModel):
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    company: str | None = None


class LeadOut(BaseModel):
    id: uuid.UUID
    conversation_id: uuid.UUID | None
    intent: str | None
    contact: ContactOut
    status: LeadStatus
    created_at: datetime
    updated_at: datetime


class LeadUpdate(InputModel):
    status: LeadStatus
