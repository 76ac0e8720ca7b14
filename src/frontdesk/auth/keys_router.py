"""API keys, under two doors: a workspace's people manage its keys (``/api/v1/customer/api-keys``),
platform staff any tenant's (``/api/v1/admin/tenants/{tenant_id}/api-keys``, audited). The
staff routes keep their names (``name=``) so that their operation ids stay what they were."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request, Response, status

from frontdesk.auth import audit
from frontdesk.auth import service as key_service
from frontdesk.auth.context import RuntimeDep, StaffInTenant, TenantSession, client_ip, signed_in_user
from frontdesk.auth.deps import KeysManage
from frontdesk.auth.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyOut

router = APIRouter(prefix="/api/v1/customer", tags=["customer"], dependencies=[Depends(signed_in_user)])
admin = APIRouter(prefix="/api/v1/admin/tenants", tags=["admin: tenants"])


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


@admin.get("/{tenant_id}/api-keys", response_model=list[ApiKeyOut], name="list_api_keys")
async def staff_list_api_keys(session: StaffInTenant) -> list[ApiKeyOut]:
    return [ApiKeyOut.model_validate(k) for k in await key_service.list_keys(session)]


@admin.post(
    "/{tenant_id}/api-keys",
    response_model=ApiKeyCreated,
    status_code=status.HTTP_201_CREATED,
    name="create_api_key",
)
async def staff_create_api_key(session: StaffInTenant, data: ApiKeyCreate) -> ApiKeyCreated:
    key, plaintext = await key_service.create_key(session, data)
    return ApiKeyCreated(**ApiKeyOut.model_validate(key).model_dump(), key=plaintext)


@admin.delete("/{tenant_id}/api-keys/{key_id}", status_code=status.HTTP_204_NO_CONTENT, name="revoke_api_key")
async def staff_revoke_api_key(session: StaffInTenant, runtime: RuntimeDep, key_id: uuid.UUID) -> Response:
    await key_service.revoke_key(session, runtime.keys, key_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
