"""Named permissions. API key scopes and (later) user roles use the same names."""

from __future__ import annotations

CHAT_WRITE = "chat:write"
CONFIG_READ = "config:read"
CONFIG_WRITE = "config:write"
KNOWLEDGE_READ = "knowledge:read"
KNOWLEDGE_WRITE = "knowledge:write"
CONVERSATIONS_READ = "conversations:read"
CONVERSATIONS_WRITE = "conversations:write"
LEADS_READ = "leads:read"
LEADS_WRITE = "leads:write"
KEYS_MANAGE = "keys:manage"
TEAM_MANAGE = "team:manage"
BILLING_READ = "billing:read"
BILLING_MANAGE = "billing:manage"
AUDIT_READ = "audit:read"
PRIVACY_MANAGE = "privacy:manage"  # export and erase one visitor's data

ALL_KEY_SCOPES: tuple[str, ...] = (
    CHAT_WRITE,
    CONFIG_READ,
    CONFIG_WRITE,
    KNOWLEDGE_READ,
    KNOWLEDGE_WRITE,
    CONVERSATIONS_READ,
    CONVERSATIONS_WRITE,
    LEADS_READ,
    LEADS_WRITE,
)
PUBLISHABLE_SCOPES: tuple[str, ...] = (CHAT_WRITE,)
# Allowed on a secret key only when asked for by name (never in a new key's defaults).
OPT_IN_KEY_SCOPES: tuple[str, ...] = (PRIVACY_MANAGE,)


# Tenant roles → what a signed-in user may do (API keys use the same permission names).
_READ = (CONFIG_READ, KNOWLEDGE_READ, CONVERSATIONS_READ, LEADS_READ)
_WORK = (*_READ, CHAT_WRITE, CONVERSATIONS_WRITE, LEADS_WRITE, KNOWLEDGE_WRITE)
_ADMIN = (*_WORK, CONFIG_WRITE, KEYS_MANAGE, TEAM_MANAGE, AUDIT_READ, BILLING_READ, PRIVACY_MANAGE)
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "viewer": frozenset(_READ),
    "member": frozenset(_WORK),
    "admin": frozenset(_ADMIN),
    "owner": frozenset((*_ADMIN, BILLING_MANAGE)),
}
TENANT_ROLES: tuple[str, ...] = ("owner", "admin", "member", "viewer")
PLATFORM_ROLES: tuple[str, ...] = ("admin", "support")


def default_scopes(key_type: str) -> list[str]:
    return list(PUBLISHABLE_SCOPES if key_type == "publishable" else ALL_KEY_SCOPES)


def validate_scopes(key_type: str, scopes: list[str]) -> list[str]:
    allowed = PUBLISHABLE_SCOPES if key_type == "publishable" else (*ALL_KEY_SCOPES, *OPT_IN_KEY_SCOPES)
    unknown = sorted(set(scopes) - set(allowed))
    if unknown:
        raise ValueError(f"scopes not allowed for a {key_type} key: {', '.join(unknown)}")
    return sorted(set(scopes))
