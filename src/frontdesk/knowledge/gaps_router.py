"""Unanswered questions (``/knowledge/gaps``): the list, "Add an answer", "Dismiss".

Mounted like the other knowledge routes at ``/api/v1`` (secret keys) and ``/api/v1/customer``
(the dashboard's users): reading needs ``knowledge:read``, answering and dismissing
``knowledge:write``; both writes go to the audit log.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field, field_validator

from frontdesk.auth import audit
from frontdesk.auth.context import AuthContext, Authorize, RuntimeDep, TenantSession
from frontdesk.auth.permissions import KNOWLEDGE_READ, KNOWLEDGE_WRITE
from frontdesk.kit.dates import UtcDatetime, check_range
from frontdesk.kit.pagination import Page, PageParams, page_params
from frontdesk.kit.schemas import CleanStr, InputModel
from frontdesk.knowledge import gaps
from frontdesk.knowledge.schemas import DocumentSummary

router = APIRouter(prefix="/knowledge/gaps", tags=["knowledge"])
KnowledgeRead = Annotated[AuthContext, Depends(Authorize(KNOWLEDGE_READ))]
KnowledgeWrite = Annotated[AuthContext, Depends(Authorize(KNOWLEDGE_WRITE))]
GapReason = Literal["no_answer", "low_score", "rated_down", "handed_off"]
Question = Annotated[CleanStr, Field(min_length=1, max_length=2_000)]


class GapGroupOut(BaseModel):
    question: str = Field(description="The group's representative: its most asked wording")
    questions: list[str] = Field(
        description="The group's distinct wordings (at most 20), representative first"
    )
    count: int = Field(description="How many times the group's questions were asked")
    reasons: list[GapReason] = Field(
        description="no_answer: no knowledge found; low_score: only weak knowledge (when min_score is "
        "given); rated_down: a visitor rated the answer 👎; handed_off: the visitor asked for a person next"
    )
    first_asked_at: datetime
    last_asked_at: datetime
    conversation_ids: list[uuid.UUID] = Field(description="Conversations it was asked in (at most 10)")


class GapAnswerIn(InputModel):
    question: Question = Field(description="The question of the new Q&A entry")
    answer: Annotated[CleanStr, Field(min_length=1, max_length=10_000)]
    questions: list[Question] = Field(
        default_factory=list,
        max_length=gaps.MAX_RESOLVE,
        description="Other wordings of the question (the group's), marked answered too",
    )

    @field_validator("question", "answer")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value


class GapAnswerOut(BaseModel):
    document: DocumentSummary = Field(description='The "Answers" document the entry was added to')
    resolved: int = Field(description="Distinct questions marked answered")


class GapDismissIn(InputModel):
    questions: list[Question] = Field(min_length=1, max_length=gaps.MAX_RESOLVE)


class GapDismissOut(BaseModel):
    resolved: int = Field(description="Distinct questions dismissed")


@router.get("", response_model=Page[GapGroupOut])
async def list_gaps(
    auth: KnowledgeRead,
    session: TenantSession,
    params: Annotated[PageParams, Depends(page_params)],
    since: Annotated[
        UtcDatetime | None, Query(description="Asked at or after (default: 30 days before `until`)")
    ] = None,
    until: Annotated[UtcDatetime | None, Query(description="Asked before (default: now)")] = None,
    min_score: Annotated[
        float | None, Query(ge=0, description="Also list answers whose best source scored under this")
    ] = None,
) -> Page[GapGroupOut]:
    """Visitor questions the bot did not answer well, near duplicates grouped, most asked first.
    The newest 2,000 questions of the period are considered; answered and dismissed ones are left out."""
    check_range(since, until)
    groups, total = await gaps.list_gaps(session, params, since=since, until=until, min_score=min_score)
    return Page(
        items=[GapGroupOut.model_validate(g, from_attributes=True) for g in groups],
        total=total,
        page=params.page,
        limit=params.limit,
    )


@router.post("/answer", response_model=GapAnswerOut)
async def answer_gap(
    auth: KnowledgeWrite, session: TenantSession, runtime: RuntimeDep, body: GapAnswerIn
) -> GapAnswerOut:
    """Add an answer: a Q&A entry in the "Answers" document (created if absent), used from the
    next question on; the question and its wordings leave the list."""
    added = await gaps.add_answer(
        session,
        runtime.cache,
        question=body.question,
        answer=body.answer,
        questions=body.questions,
        actor=auth.principal,
    )
    audit.record(
        session,
        actor=auth.principal,
        action="knowledge.gap_answer",
        target=f"document:{added.document.id}",
        questions=added.resolved,
    )
    return GapAnswerOut(document=DocumentSummary.of(added.document), resolved=added.resolved)


@router.post("/dismiss", response_model=GapDismissOut)
async def dismiss_gap(auth: KnowledgeWrite, session: TenantSession, body: GapDismissIn) -> GapDismissOut:
    """Dismiss questions that need no answer: they leave the list for good."""
    resolved = await gaps.dismiss(session, body.questions, actor=auth.principal)
    audit.record(session, actor=auth.principal, action="knowledge.gap_dismiss", questions=resolved)
    return GapDismissOut(resolved=resolved)
