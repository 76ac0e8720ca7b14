"""Unanswered questions: what visitors asked that the bot could not answer well, and the tenant's
two ways to deal with one — add an answer (a Q&A entry of the "Answers" document) or dismiss it.

A visitor question is *unanswered* when the bot's answer to it

- found no knowledge (``no_answer``: the answer's ``sources`` are empty),
- found only weak knowledge (``low_score``: the best source scores under ``min_score``, when the
  caller asks for it — score scales depend on the retriever),
- was rated thumbs down by the visitor (``rated_down``),
- or was followed by the visitor asking for a person (``handed_off``: the conversation's next
  reply is the hand-over).

Hand-over replies, silent turns (a person had the conversation), the configured greeting and the
contact/hand-over intents are not answers and never count as unanswered for lack of sources.

Questions are stored as the conversation stored them (PII-redacted when the tenant stores
redacted text). The newest ``MAX_QUESTIONS`` questions of the period are considered; exact
repeats (same normalized text) are merged, then near duplicates are grouped greedily by cosine
similarity of their embeddings (the embedded static model: offline, about 0.03 ms a question).

A resolution is stored per normalized question (a SHA-256 of the text, not the text): a dismissed
question stays hidden; an answered one hides the occurrences asked before the answer was added,
so a question that still goes unanswered afterwards comes back.

Functions take the caller's tenant-scoped session, flush, and never commit.
"""

from __future__ import annotations

import asyncio
import hashlib
import unicodedata
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

import numpy as np
from pydantic import ValidationError
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.kit.cache import Cache
from frontdesk.kit.errors import PayloadTooLarge
from frontdesk.kit.pagination import PageParams
from frontdesk.kit.time import to_utc, utcnow
from frontdesk.knowledge import service
from frontdesk.knowledge.chunking import parse_faq_text
from frontdesk.knowledge.embeddings import Embedder, static_embedder
from frontdesk.knowledge.schemas import (
    MAX_CONTENT_CHARS,
    MAX_FAQ_PAIRS,
    DocumentCreate,
    DocumentUpdate,
    FaqPair,
    faq_text,
)
from frontdesk.models import KnowledgeBase, KnowledgeGapResolution, Message

MAX_QUESTIONS: Final = 2_000  # the newest visitor questions considered per listing
DEFAULT_DAYS: Final = 30
# Cosine similarity (WordLlama 256-d) at or above which two questions are one group: measured,
# "Do you have parking?" / "Is there parking near the shop?" 0.74, "What are your opening
# hours?" / "When are you open?" 0.60, unrelated questions at most ~0.3.
GROUP_SIMILARITY: Final = 0.55
MAX_VARIANTS: Final = 20  # distinct wordings listed per group
MAX_CONVERSATIONS: Final = 10  # conversation ids listed per group
MAX_RESOLVE: Final = 100  # questions resolved in one call
ANSWERS_DOCUMENT: Final = "Answers"
REASONS: Final = ("no_answer", "low_score", "rated_down", "handed_off")
# intents whose replies need no knowledge: a missing source there is no gap
_NO_KNOWLEDGE_INTENTS: Final = frozenset({"greeting", "contact", "human_handoff"})
_EDGE_PUNCTUATION: Final = " \t\n?!.,;:¿¡…\"'«»"
_KEY_CHUNK: Final = 500  # question keys per IN (…) list


class AnswersDocumentFull(PayloadTooLarge):
    code, title = "answers_document_full", "The Answers document is full"


def normalize_question(text: str) -> str:
    """The form two wordings must share to be the same question: NFKC, case-folded, single
    spaces, no punctuation at either end."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(folded.split()).strip(_EDGE_PUNCTUATION)


def question_key(text: str) -> str:
    return hashlib.sha256(normalize_question(text).encode()).hexdigest()


@dataclass(slots=True)
class _Occurrence:
    text: str
    key: str
    asked_at: datetime
    conversation_id: uuid.UUID
    reasons: set[str]


@dataclass(slots=True)
class _Question:
    """One normalized question: every occurrence of it merged."""

    key: str
    text: str  # the newest wording
    count: int = 0
    reasons: set[str] = field(default_factory=set)
    first_asked_at: datetime | None = None
    last_asked_at: datetime | None = None
    conversation_ids: list[uuid.UUID] = field(default_factory=list)

    def add(self, occurrence: _Occurrence) -> None:
        self.count += 1
        self.reasons |= occurrence.reasons
        at = occurrence.asked_at
        if self.last_asked_at is None or at > self.last_asked_at:
            self.last_asked_at, self.text = at, occurrence.text
        if self.first_asked_at is None or at < self.first_asked_at:
            self.first_asked_at = at
        if occurrence.conversation_id not in self.conversation_ids:
            self.conversation_ids.append(occurrence.conversation_id)


@dataclass(frozen=True, slots=True)
class GapGroup:
    """Near-duplicate unanswered questions: the representative (the most asked wording), the
    other wordings, how often they were asked in all, and why they count as unanswered."""

    question: str
    questions: list[str]
    count: int
    reasons: list[str]
    first_asked_at: datetime
    last_asked_at: datetime
    conversation_ids: list[uuid.UUID]


@dataclass(frozen=True, slots=True)
class AnswerAdded:
    document: KnowledgeBase
    resolved: int


def _sources(meta: dict[str, Any]) -> list[dict[str, Any]]:
    sources = meta.get("sources")
    return [s for s in sources if isinstance(s, dict)] if isinstance(sources, list) else []


def _top_score(meta: dict[str, Any]) -> float | None:
    scores = [s["score"] for s in _sources(meta) if isinstance(s.get("score"), int | float)]
    return max(scores) if scores else None


def _is_handoff(message: Any) -> bool:
    return message.role == "assistant" and (
        bool((message.meta or {}).get("handoff")) or message.intent == "human_handoff"
    )


def _reasons(answer: Any, after: Sequence[Any], min_score: float | None) -> set[str]:
    """Why the bot's ``answer`` left its question unanswered (empty: it did not); ``after`` holds
    the conversation's next messages."""
    meta: dict[str, Any] = answer.meta or {}
    if meta.get("silent") or meta.get("greeting") or _is_handoff(answer) or not answer.content.strip():
        return set()  # not an answer of the bot
    reasons: set[str] = set()
    if answer.intent not in _NO_KNOWLEDGE_INTENTS:
        top = _top_score(meta)
        if top is None:
            reasons.add("no_answer")
        elif min_score is not None and top < min_score:
            reasons.add("low_score")
    if answer.rating is not None and answer.rating < 0:
        reasons.add("rated_down")
    # the visitor's next message got the hand-over reply
    if len(after) >= 2 and after[0].role == "user" and _is_handoff(after[1]):
        reasons.add("handed_off")
    return reasons


def _occurrences(rows: Sequence[Any], min_score: float | None) -> list[_Occurrence]:
    """The unanswered questions among a period's messages, newest first."""
    by_conversation: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for row in rows:
        by_conversation[row.conversation_id].append(row)
    found: list[_Occurrence] = []
    for messages in by_conversation.values():
        messages.sort(key=lambda m: (m.created_at, m.id))
        for i, message in enumerate(messages[:-1]):
            answer = messages[i + 1]
            if message.role != "user" or answer.role != "assistant":
                continue
            if len(normalize_question(message.content)) < 3:
                continue
            reasons = _reasons(answer, messages[i + 2 : i + 4], min_score)
            if reasons:
                found.append(
                    _Occurrence(
                        message.content,
                        question_key(message.content),
                        to_utc(message.created_at),
                        message.conversation_id,
                        reasons,
                    )
                )
    found.sort(key=lambda o: o.asked_at, reverse=True)
    return found[:MAX_QUESTIONS]


async def _resolutions(session: AsyncSession, keys: Iterable[str]) -> tuple[set[str], dict[str, datetime]]:
    """The dismissed keys, and when each answered key was last answered."""
    dismissed: set[str] = set()
    answered: dict[str, datetime] = {}
    unique = sorted(set(keys))
    for start in range(0, len(unique), _KEY_CHUNK):
        rows = await session.execute(
            select(
                KnowledgeGapResolution.question_key,
                KnowledgeGapResolution.action,
                KnowledgeGapResolution.created_at,
            ).where(KnowledgeGapResolution.question_key.in_(unique[start : start + _KEY_CHUNK]))
        )
        for key, action, created_at in rows.all():
            if action == "dismissed":
                dismissed.add(key)
            else:
                at = to_utc(created_at)
                answered[key] = max(answered.get(key, at), at)
    return dismissed, answered


def _cluster(vectors: np.ndarray, threshold: float) -> list[list[int]]:
    """Greedy: each item (in the given order) joins the first group whose representative — the
    group's first item — is at least ``threshold`` similar, or starts a new group."""
    if len(vectors) == 0:
        return []
    similarity = vectors @ vectors.T
    representatives: list[int] = []
    groups: list[list[int]] = []
    for i in range(len(vectors)):
        if representatives:
            row = similarity[i, representatives]
            best = int(np.argmax(row))
            if row[best] >= threshold:
                groups[best].append(i)
                continue
        representatives.append(i)
        groups.append([i])
    return groups


async def list_gaps(
    session: AsyncSession,
    params: PageParams,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    min_score: float | None = None,
    embedder: Embedder | None = None,
    threshold: float = GROUP_SIMILARITY,
) -> tuple[list[GapGroup], int]:
    """A page of unanswered-question groups, most asked first, and the number of groups."""
    until = to_utc(until) if until is not None else None
    if since is None:
        end = until or utcnow()
        since = end - timedelta(days=DEFAULT_DAYS) if end.year > 1 else end
    since = to_utc(since)
    query = select(
        Message.id,
        Message.conversation_id,
        Message.role,
        Message.content,
        Message.intent,
        Message.meta,
        Message.rating,
        Message.created_at,
    ).where(Message.role.in_(("user", "assistant")), Message.created_at >= since)
    if until is not None:
        query = query.where(Message.created_at < until)
    # a question, its answer and the visitor's next turn: about three messages a question
    query = query.order_by(Message.created_at.desc(), Message.id.desc()).limit(3 * MAX_QUESTIONS)
    occurrences = _occurrences((await session.execute(query)).all(), min_score)

    dismissed, answered = await _resolutions(session, (o.key for o in occurrences))
    questions: dict[str, _Question] = {}
    for occurrence in occurrences:
        if occurrence.key in dismissed:
            continue
        answered_at = answered.get(occurrence.key)
        if answered_at is not None and occurrence.asked_at <= answered_at:
            continue
        questions.setdefault(occurrence.key, _Question(occurrence.key, occurrence.text)).add(occurrence)
    ordered = sorted(
        questions.values(), key=lambda q: (-q.count, -(q.last_asked_at or since).timestamp(), q.key)
    )
    if not ordered:
        return [], 0
    vectors = await (embedder or static_embedder()).embed([q.text for q in ordered])
    clusters = await asyncio.to_thread(_cluster, np.asarray(vectors, dtype=np.float32), threshold)
    groups = [_group([ordered[i] for i in members]) for members in clusters]
    groups.sort(key=lambda g: (-g.count, -g.last_asked_at.timestamp(), g.question))
    return groups[params.offset : params.offset + params.limit], len(groups)


def _group(members: list[_Question]) -> GapGroup:
    reasons = set().union(*(m.reasons for m in members))
    conversations: list[uuid.UUID] = []
    for member in members:
        conversations.extend(c for c in member.conversation_ids if c not in conversations)
    return GapGroup(
        question=members[0].text,
        questions=[m.text for m in members[:MAX_VARIANTS]],
        count=sum(m.count for m in members),
        reasons=[r for r in REASONS if r in reasons],
        first_asked_at=min(m.first_asked_at for m in members if m.first_asked_at is not None),
        last_asked_at=max(m.last_asked_at for m in members if m.last_asked_at is not None),
        conversation_ids=conversations[:MAX_CONVERSATIONS],
    )


# --- resolutions ------------------------------------------------------------------------------


async def _resolve(
    session: AsyncSession,
    questions: Iterable[str],
    *,
    action: str,
    actor: str,
    document_id: uuid.UUID | None = None,
) -> int:
    keys = sorted({question_key(q) for q in questions if normalize_question(q)})
    if not keys:
        return 0
    # one resolution per question: the newest decision replaces an older one
    await session.execute(
        delete(KnowledgeGapResolution)
        .where(KnowledgeGapResolution.question_key.in_(keys))
        .execution_options(synchronize_session=False)
    )
    now = utcnow()
    session.add_all(
        KnowledgeGapResolution(
            question_key=key, action=action, document_id=document_id, created_by=actor, created_at=now
        )
        for key in keys
    )
    await session.flush()
    return len(keys)


async def dismiss(session: AsyncSession, questions: Sequence[str], *, actor: str) -> int:
    """Hide these questions from the list for good; returns how many distinct questions."""
    return await _resolve(session, questions, action="dismissed", actor=actor)


async def _answers_document(session: AsyncSession) -> KnowledgeBase | None:
    return await session.scalar(
        select(KnowledgeBase)
        .where(KnowledgeBase.name == ANSWERS_DOCUMENT)
        .order_by(KnowledgeBase.id)
        .limit(1)
    )


async def add_answer(
    session: AsyncSession,
    cache: Cache,
    *,
    question: str,
    answer: str,
    questions: Sequence[str] = (),
    actor: str,
) -> AnswerAdded:
    """Add the Q&A pair to the tenant's "Answers" FAQ document (created when absent; a pair with
    the same question is replaced), through the knowledge service like any other knowledge
    write, and mark ``question`` and ``questions`` answered. The bot uses it from the next
    question on (the knowledge generation moves when the transaction commits)."""
    pair = FaqPair(question=" ".join(question.split()), answer=answer.strip())
    await service.lock_knowledge(session)  # read the Answers document as no other write changes it
    doc = await _answers_document(session)
    if doc is None:
        doc = await service.create_document(session, cache, DocumentCreate(name=ANSWERS_DOCUMENT, faq=[pair]))
    else:
        update = _appended(doc.content, pair)
        doc = await service.update_document(session, cache, doc.id, update)
    resolved = await _resolve(
        session, [question, *questions], action="answered", actor=actor, document_id=doc.id
    )
    return AnswerAdded(doc, resolved)


def _appended(content: str, pair: FaqPair) -> DocumentUpdate:
    """The update that adds ``pair`` to the Answers document: as FAQ pairs when the document is
    only pairs (replacing a pair with the same question), else as a block appended to its text
    (the tenant may have edited it into something else)."""
    try:
        current = [FaqPair(question=q, answer=a) for q, a in parse_faq_text(content)]
    except ValidationError:
        current = []
    if current and faq_text(current) == content.strip():
        key = normalize_question(pair.question)
        pairs = [p for p in current if normalize_question(p.question) != key] + [pair]
        if len(pairs) <= MAX_FAQ_PAIRS:
            return DocumentUpdate(faq=pairs)
    text = f"{content.rstrip()}\n\n{faq_text([pair])}"
    if len(text) > MAX_CONTENT_CHARS:
        raise AnswersDocumentFull(
            f'The "{ANSWERS_DOCUMENT}" document has reached {MAX_CONTENT_CHARS:,} characters: rename it '
            "(the next answer starts a new one) or move some answers to another document."
        )
    return DocumentUpdate(content=text)
