"""``/api/v1/customer/api-keys``: a workspace's people manage its API keys."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request, status

from frontdesk.auth import audit
from frontdesk.auth import service as key_service
from frontdesk.auth.context import RuntimeDep, TenantSession, client_ip, signed_in_user
from frontdesk.auth.deps import KeysManage
from frontdesk.auth.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyOut

router = APIRouter(prefix="/api/v1/customer", tags=["customer"], dependencies=[Depends(signed_in_user)])


@router.get("/api-keys", response_model=list[ApiKeyOut])
async def list_api_keys(auth: KeysManage, session: TenantSession) -> list[ApiKeyOut]:
    return [ApiKeyOut.model_validate(k) for k in await key_service.list_keys(session)]


@router.post("/api-keys", response_model=ApiKeyCreated, status_code=status.HTTP_201_CREATED)
async def create_api_key(
    auth: KeysManage, session: TenantSession, data: ApiKeyCreate, request: Request
) -> ApiKeyCreated:
    """The key is in this answer only: copy it now."""
    key, plaintext = await key_service.create_key(session, data)
    audit.record(
        session,
        actor=auth.principal,
        action="keys.create",
        target=f"key:{key.id}",
        ip=client_ip(request),
        type=key.type,
    )
    return ApiKeyCreated(**ApiKeyOut.model_validate(key).model_dump(), key=plaintext)


@router.delete("/api-keys/{key_id}", response_model=ApiKeyOut)
async def revoke_api_key(
    auth: KeysManage, session: TenantSession, runtime: RuntimeDep, key_id: uuid.UUID, request: Request
) -> ApiKeyOut:
    key = await key_service.revoke_key(session, runtime.keys, key_id)
    audit.record(
        session, actor=auth.principal, action="keys.revoke", target=f"key:{key_id}", ip=client_ip(request)
    )
    return ApiKeyOut.model_validate(key)
