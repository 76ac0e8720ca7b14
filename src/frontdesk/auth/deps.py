"""The auth domain's permission aliases, declared once for its routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from frontdesk.auth.context import AuthContext, Authorize
from frontdesk.auth.permissions import AUDIT_READ, CONFIG_READ, KEYS_MANAGE, TEAM_MANAGE

ConfigRead = Annotated[AuthContext, Depends(Authorize(CONFIG_READ))]  # any member: one's account, the team
KeysManage = Annotated[AuthContext, Depends(Authorize(KEYS_MANAGE))]
TeamManage = Annotated[AuthContext, Depends(Authorize(TEAM_MANAGE))]
AuditRead = Annotated[AuthContext, Depends(Authorize(AUDIT_READ))]
