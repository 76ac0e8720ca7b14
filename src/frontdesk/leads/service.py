"""Lead capture (from the chat pipeline) and lead management (from the API).

One lead per conversation. Contact details live in one field, ``Lead.contact_info``, and are
read and written only through ``read_contact`` / ``_write_contact`` so that encryption at
rest can be added in exactly one place.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Final, get_args

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.kit.errors import NotFound
from frontdesk.kit.pagination import PageParams, paginate
from frontdesk.kit.time import to_utc
from frontdesk.leads.schemas import LeadStatus
from frontdesk.models import Lead

CONTACT_FIELDS: Final = ("name", "email", "phone", "company")
STATUSES: Final[tuple[str, ...]] = get_args(LeadStatus)
MAX_FIELD_CHARS: Final = 320


# --- the one door to contact_info ----------------------------------------------------------


def read_contact(lead: Lead) -> dict[str, str]:
    """The lead's contact details: any of name, email, phone, company."""
    stored = lead.contact_info or {}
    return {k: str(stored[k]) for k in CONTACT_FIELDS if stored.get(k)}


def _write_contact(lead: Lead, contact: Mapping[str, str]) -> None:
    lead.contact_info = {k: contact[k] for k in CONTACT_FIELDS if contact.get(k)}


# --- capture -------------------------------------------------------------------------------


def _clean(contact: Mapping[str, str]) -> dict[str, str]:
    """Known, non-empty fields only (trimmed); other keys are ignored."""
    cleaned: dict[str, str] = {}
    for key in CONTACT_FIELDS:
        value = contact.get(key)
        if isinstance(value, str) and value.strip():
            cleaned[key] = value.strip()[:MAX_FIELD_CHARS]
    return cleaned


def _merge(lead: Lead, *, intent: str | None, contact: dict[str, str]) -> None:
    known = read_contact(lead)
    merged = {**known, **contact}  # a new non-empty value wins; an absent one never erases
    if merged != known:
        _write_contact(lead, merged)
    if intent and lead.intent != intent:
        lead.intent = intent


def _lead_of(conversation_id: uuid.UUID) -> Select[Lead]:
    """The conversation's lead, row-locked (PostgreSQL) so that concurrent merges don't lose a field."""
    return select(Lead).where(Lead.conversation_id == conversation_id).with_for_update()


async def capture(
    session: AsyncSession, conversation_id: uuid.UUID, *, intent: str | None, contact: Mapping[str, str]
) -> tuple[Lead, bool]:
    """Record a lead for the conversation: create it, or merge into the one it already has.

    Returns ``(lead, created)``. Contact fields given later fill in or correct earlier ones;
    an empty or missing field never erases a known one. ``intent``, when given, replaces the
    lead's intent. Two messages racing to create the same lead end with one row.
    """
    fresh = _clean(contact)
    lead = await session.scalar(_lead_of(conversation_id))
    if lead is None:
        lead = Lead(conversation_id=conversation_id, intent=intent or None, status="new")
        _write_contact(lead, fresh)
        try:
            async with session.begin_nested():
                session.add(lead)
                await session.flush()
            return lead, True
        except IntegrityError:
            lead = await session.scalar(_lead_of(conversation_id))
            if lead is None:
                raise
    _merge(lead, intent=intent, contact=fresh)
    await session.flush()
    return lead, False


# --- management ----------------------------------------------------------------------------


async def list_leads(
    session: AsyncSession,
    params: PageParams,
    *,
    status: str | None,
    since: datetime | None,
    until: datetime | None,
) -> tuple[list[Lead], int]:
    """A page of leads, newest first; ``since`` (inclusive) / ``until`` (exclusive) bound creation."""
    filters: list[ColumnElement[bool]] = []
    if status:
        filters.append(Lead.status == status)
    if since is not None:
        filters.append(Lead.created_at >= to_utc(since))
    if until is not None:
        filters.append(Lead.created_at < to_utc(until))
    query = select(Lead).where(*filters).order_by(Lead.created_at.desc(), Lead.id.desc())
    return await paginate(session, query, params)


async def get_lead(session: AsyncSession, lead_id: uuid.UUID) -> Lead:
    lead = await session.get(Lead, lead_id)
    if lead is None:
        raise NotFound("No such lead.")
    return lead


async def update_lead(session: AsyncSession, lead_id: uuid.UUID, status: str) -> Lead:
    """Move a lead through the pipeline (new, contacted, qualified, won, lost)."""
    if status not in STATUSES:
        raise ValueError(f"unknown lead status {status!r}")
    lead = await get_lead(session, lead_id)
    if lead.status != status:
        lead.status = status
        await session.flush()
    return lead
