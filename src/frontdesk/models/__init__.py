"""SQLAlchemy models, one module per aggregate. Import from here."""

from frontdesk.db.base import Base
from frontdesk.models.api_key import ApiKey
from frontdesk.models.configuration import TenantConfiguration
from frontdesk.models.conversation import Conversation, Message
from frontdesk.models.crisp import CrispDelivery, CrispEvent, CrispIntegration
from frontdesk.models.knowledge import KnowledgeBase
from frontdesk.models.lead import Lead
from frontdesk.models.tenant import Tenant

__all__ = [
    "ApiKey",
    "Base",
    "Conversation",
    "CrispDelivery",
    "CrispEvent",
    "CrispIntegration",
    "KnowledgeBase",
    "Lead",
    "Message",
    "Tenant",
    "TenantConfiguration",
]
