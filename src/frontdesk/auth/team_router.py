"""``/api/v1/customer/team``: a workspace's members, their roles, its invitations."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request, Response, status

from frontdesk.auth import flows, team
from frontdesk.auth.context import RuntimeDep, TenantSession, client_ip, signed_in_user
from frontdesk.auth.deps import ConfigRead, TeamManage
from frontdesk.auth.flows import send_invitation_after_commit
from frontdesk.auth.schemas import InvitationOut, InviteIn, MemberOut, RoleIn, TeamOut

router = APIRouter(prefix="/api/v1/customer", tags=["customer"], dependencies=[Depends(signed_in_user)])


@router.get("/team", response_model=TeamOut)
async def get_team(auth: ConfigRead, session: TenantSession) -> TeamOut:
    members = await team.list_members(session)
    return TeamOut(
        members=[MemberOut(**vars(m)) for m in members],
        invitations=[InvitationOut.model_validate(i) for i in await team.list_invitations(session)],
    )


@router.post("/team/invitations", response_model=InvitationOut, status_code=status.HTTP_201_CREATED)
async def invite(
    auth: TeamManage, session: TenantSession, runtime: RuntimeDep, data: InviteIn, request: Request
) -> InvitationOut:
    """Email an invitation (valid 7 days) to join with a role."""
    invitation = await team.invite(
        session,
        email=data.email,
        role=data.role,
        by_role=auth.role or "admin",
        by_user=auth.user_id,
        actor=auth.principal,
    )
    base = runtime.settings.public_base(str(request.base_url))
    send_invitation_after_commit(session, invitation, base=base, kind="invitation")
    return InvitationOut.model_validate(invitation)


@router.delete("/team/invitations/{invitation_id}", status_code=status.HTTP_204_NO_CONTENT)
async def revoke_invitation(
    auth: TeamManage, session: TenantSession, invitation_id: uuid.UUID, request: Request
) -> Response:
    """Revoke a pending invitation: its link stops working (it answers like an invalid one)."""
    await team.revoke_invitation(
        session, invitation_id=invitation_id, actor=auth.principal, ip=client_ip(request)
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.patch("/team/members/{user_id}", response_model=MemberOut)
async def change_role(
    auth: TeamManage, session: TenantSession, runtime: RuntimeDep, user_id: uuid.UUID, data: RoleIn
) -> MemberOut:
    """Change a member's role; they are signed out of this workspace so the new role applies at once."""
    await team.change_role(
        session, user_id=user_id, role=data.role, by_role=auth.role or "admin", actor=auth.principal
    )
    flows.sign_out_after_commit(session, runtime.db, runtime.cache, user_id, auth.tenant_id, "role_changed")
    member = next(m for m in await team.list_members(session) if m.user_id == user_id)
    return MemberOut(**vars(member))


@router.delete("/team/members/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_member(
    auth: TeamManage, session: TenantSession, runtime: RuntimeDep, user_id: uuid.UUID
) -> Response:
    """Remove a member; their sessions in this workspace end at once."""
    await team.remove(session, user_id=user_id, by_role=auth.role or "admin", actor=auth.principal)
    flows.sign_out_after_commit(
        session, runtime.db, runtime.cache, user_id, auth.tenant_id, "removed_from_team"
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
