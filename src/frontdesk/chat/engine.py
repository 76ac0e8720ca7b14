"""The chat pipeline: a visitor's message in, a useful answer out — a list of stages.

    admit → understand → record → ground → answer → store

``prepare`` runs the stages up to the answer's plan (a limit or the quota refuses the turn
before anything streams); ``reply`` and ``stream`` generate the answer, whole or streamed,
and store it. Each stage lives in ``chat/stages/`` and returns a small frozen result; only
``record`` and ``store`` open a transaction, and no network call happens inside one.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

from frontdesk.chat.limits import ChatLimiter, QuotaCounter
from frontdesk.chat.profile import ProfileCache
from frontdesk.chat.stages import answer
from frontdesk.chat.stages.admit import admit
from frontdesk.chat.stages.answer import Answered, Prepared
from frontdesk.chat.stages.ground import ground
from frontdesk.chat.stages.record import record
from frontdesk.chat.stages.store import store
from frontdesk.chat.stages.understand import understand
from frontdesk.chat.turn import ChatInput, ChatOutcome
from frontdesk.config import Settings
from frontdesk.db.engine import Database
from frontdesk.kit.cache import Cache
from frontdesk.knowledge.fusion import SemanticSource
from frontdesk.knowledge.retrieval import KnowledgeRetriever
from frontdesk.knowledge.vectors import VectorSearch
from frontdesk.llm.offline import OfflineResponder


class ChatEngine:
    def __init__(self, settings: Settings, db: Database, cache: Cache) -> None:
        self.settings = settings
        self.db = db
        self.cache = cache
        self.profiles = ProfileCache(db, cache)
        self.retriever = KnowledgeRetriever()
        self.semantic: SemanticSource | None = VectorSearch(settings)
        self.limiter = ChatLimiter(settings.redis_url)
        self.quota = QuotaCounter(db, cache)
        self.offline = OfflineResponder()

    async def prepare(self, tenant_id: uuid.UUID, inp: ChatInput) -> Prepared:
        admitted = await admit(
            tenant_id,
            inp,
            settings=self.settings,
            profiles=self.profiles,
            limiter=self.limiter,
            quota=self.quota,
        )
        understood = await understand(admitted)
        recorded = await record(self.db, self.quota, admitted, understood, inp)
        # silence, the hand-over or the greeting need no knowledge; any other turn is grounded
        plan: answer.Plan | None = answer.fixed(admitted, understood, recorded, self.offline)
        if plan is None:
            grounding = await ground(
                admitted,
                understood,
                recorded,
                db=self.db,
                cache=self.cache,
                retriever=self.retriever,
                semantic=self.semantic,
                cacheable=answer.cacheable(understood, recorded),
            )
            plan = await answer.plan(self.cache, admitted, understood, recorded, grounding)
        return Prepared(admitted, understood, recorded, plan)

    async def reply(self, prepared: Prepared) -> ChatOutcome:
        answered = await answer.complete(prepared.plan, self.offline)
        return await store(self.db, self.cache, prepared, answered)

    async def stream(self, prepared: Prepared) -> AsyncIterator[tuple[str, dict[str, Any]]]:
        """Yields ("delta", {"text"}) events, a ("reset", {}) if the LLM failed mid-way and the
        offline answer follows, and last ("done", outcome)."""
        async for event in answer.stream(prepared.plan, self.offline):
            if isinstance(event, Answered):
                outcome = await store(self.db, self.cache, prepared, event)
                yield "done", outcome.as_dict()
            else:
                yield event
