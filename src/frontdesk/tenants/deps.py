"""The tenants domain's permission aliases, declared once for its routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from frontdesk.auth.context import AuthContext, Authorize
from frontdesk.auth.permissions import CONFIG_READ, CONFIG_WRITE, CONVERSATIONS_READ

ConfigRead = Annotated[AuthContext, Depends(Authorize(CONFIG_READ))]
ConfigWrite = Annotated[AuthContext, Depends(Authorize(CONFIG_WRITE))]
ConversationsRead = Annotated[AuthContext, Depends(Authorize(CONVERSATIONS_READ))]  # the home's stats
