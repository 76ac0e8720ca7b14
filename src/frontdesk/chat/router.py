"""POST /api/v1/chat — JSON, or Server-Sent Events with ?stream=true / Accept: text/event-stream."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from frontdesk.auth.context import AuthContext, Authorize, RuntimeDep, TenantSession
from frontdesk.auth.permissions import CHAT_WRITE
from frontdesk.chat import ratings
from frontdesk.chat.schemas import ChatRequest, ChatResponse, RatingOut, RatingRequest
from frontdesk.chat.turn import ChatInput

router = APIRouter(prefix="/api/v1/chat", tags=["chat"])
ChatWrite = Annotated[AuthContext, Depends(Authorize(CHAT_WRITE))]

PROBLEMS: dict[int | str, dict[str, Any]] = {
    200: {
        # each event's data is a JSON object: {"text"} for delta, {} for reset, the JSON reply for done
        "content": {"text/event-stream": {"schema": {"type": "object"}}},
        "description": "The reply, or an event stream of `delta` events and a final `done` event",
    },
    402: {"description": "Monthly message quota reached"},
    429: {"description": "Rate limited; see Retry-After"},
}


async def _sse(events: AsyncIterator[tuple[str, dict[str, Any]]]) -> AsyncIterator[bytes]:
    async for name, data in events:
        yield f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


@router.post("", response_model=ChatResponse, responses=PROBLEMS)
async def chat(
    auth: ChatWrite,
    body: ChatRequest,
    runtime: RuntimeDep,
    request: Request,
    stream: Annotated[bool, Query(description="Stream the reply as Server-Sent Events")] = False,
) -> Any:
    engine = runtime.chat
    browser = auth.key_type == "publishable"
    prepared = await engine.prepare(
        auth.tenant_id,
        ChatInput(
            session_id=body.session_id,
            message=body.message,
            metadata=body.metadata,
            channel="widget" if browser else "api",
            visitor_ip=request.client.host if browser and request.client else None,
        ),
    )
    if stream or "text/event-stream" in request.headers.get("accept", ""):
        return StreamingResponse(
            _sse(engine.stream(prepared)),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    return ChatResponse(**(await engine.reply(prepared)).as_dict())


@router.post(
    "/messages/{message_id}/rating",
    response_model=RatingOut,
    responses={404: {"description": "No such answer in this session"}, 409: {"description": "Not an answer"}},
)
async def rate_answer(
    auth: ChatWrite, session: TenantSession, message_id: uuid.UUID, body: RatingRequest
) -> RatingOut:
    """Rate one of the bot's answers (thumbs up or down; rate again to change, null to clear).

    The answer must belong to the conversation of `session_id`; a publishable key (the widget)
    rates only widget conversations, from the key's allowed origins like chat itself."""
    rated = await ratings.rate_message(
        session,
        message_id,
        session_id=body.session_id,
        rating=body.rating,
        channel="widget" if auth.key_type == "publishable" else None,
    )
    return RatingOut(message_id=rated.message_id, rating=rated.rating, rated_at=rated.rated_at)
