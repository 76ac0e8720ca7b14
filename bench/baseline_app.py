"""The baseline for bench/chat.py: a bare FastAPI endpoint doing the same work as one chat turn
without Frontdesk's pipeline — find or create the conversation and store the visitor message
(one transaction), call the same fake LLM through the same SDK, store the reply (second
transaction). No auth, no tenancy, no limits, no redaction, no NLU, no retrieval.

Run: uvicorn --factory bench.baseline_app:create_app (env BENCH_DATABASE_URL, OPENAI_BASE_URL).
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from openai import AsyncOpenAI
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine


class Body(BaseModel):
    session_id: str
    message: str
    tenant_id: uuid.UUID


def create_app() -> FastAPI:
    engine = create_async_engine(os.environ["BENCH_DATABASE_URL"], pool_size=10, max_overflow=10)
    llm = AsyncOpenAI(api_key="sk-bench", base_url=os.environ["OPENAI_BASE_URL"], max_retries=0)
    app = FastAPI()

    @app.post("/chat")
    async def chat(body: Body) -> dict[str, Any]:
        now = datetime.now(UTC)
        async with engine.begin() as conn:
            await conn.execute(
                text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(body.tenant_id)}
            )
            conv = (
                await conn.execute(
                    text(
                        "SELECT id FROM conversations WHERE tenant_id = :t AND channel = 'api' AND session_id = :s"
                    ),
                    {"t": body.tenant_id, "s": body.session_id},
                )
            ).scalar()
            if conv is None:
                conv = uuid.uuid4()
                await conn.execute(
                    text(
                        "INSERT INTO conversations (id, tenant_id, session_id, channel, status, created_at, updated_at)"
                        " VALUES (:id, :t, :s, 'api', 'open', :now, :now)"
                    ),
                    {"id": conv, "t": body.tenant_id, "s": body.session_id, "now": now},
                )
            await conn.execute(
                text(
                    "INSERT INTO messages (id, tenant_id, conversation_id, role, content, meta, created_at)"
                    " VALUES (:id, :t, :c, 'user', :m, '{}', :now)"
                ),
                {"id": uuid.uuid4(), "t": body.tenant_id, "c": conv, "m": body.message, "now": now},
            )
        completion = await llm.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": body.message}]
        )
        reply = completion.choices[0].message.content or ""
        message_id = uuid.uuid4()
        async with engine.begin() as conn:
            await conn.execute(
                text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(body.tenant_id)}
            )
            await conn.execute(
                text(
                    "INSERT INTO messages (id, tenant_id, conversation_id, role, content, meta, created_at)"
                    " VALUES (:id, :t, :c, 'assistant', :m, '{}', :now)"
                ),
                {"id": message_id, "t": body.tenant_id, "c": conv, "m": reply, "now": datetime.now(UTC)},
            )
        return {"reply": reply, "conversation_id": str(conv), "message_id": str(message_id)}

    return app
