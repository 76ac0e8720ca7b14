"""SQLAlchemy models, one module per aggregate. Import from here."""

from frontdesk.db.base import Base
from frontdesk.models.api_key import ApiKey
from frontdesk.models.billing import BillingAccount, StripeEvent, UsageReport
from frontdesk.models.configuration import TenantConfiguration
from frontdesk.models.conversation import Conversation, Message
from frontdesk.models.crisp import CrispDelivery, CrispEvent, CrispIntegration
from frontdesk.models.knowledge import KnowledgeBase, KnowledgeChunk, KnowledgeGapResolution
from frontdesk.models.knowledge_import import KnowledgeImport
from frontdesk.models.lead import Lead
from frontdesk.models.tenant import Tenant
from frontdesk.models.user import (
    AuditEvent,
    AuthSession,
    Invitation,
    Membership,
    OneTimeToken,
    RefreshToken,
    User,
)

__all__ = [
    "ApiKey",
    "AuditEvent",
    "AuthSession",
    "Base",
    "BillingAccount",
    "Conversation",
    "CrispDelivery",
    "CrispEvent",
    "CrispIntegration",
    "Invitation",
    "KnowledgeBase",
    "KnowledgeChunk",
    "KnowledgeGapResolution",
    "KnowledgeImport",
    "Lead",
    "Membership",
    "Message",
    "OneTimeToken",
    "RefreshToken",
    "StripeEvent",
    "Tenant",
    "TenantConfiguration",
    "UsageReport",
    "User",
]
