"""Persistence: SQLAlchemy 2 tables, Alembic migrations, tenant-scoped repositories."""

from models.agents import Agent, AgentVersion, Deployment
from models.audit import AuditLog
from models.base import Base
from models.billing import Budget
from models.integrations import Integration, WebhookDelivery, WebhookSubscription
from models.knowledge import KnowledgeBase, KnowledgeChunk, KnowledgeDocument
from models.tenancy import ApiKey, Membership, Tenant, User

__all__ = [
    "Agent",
    "AgentVersion",
    "ApiKey",
    "AuditLog",
    "Base",
    "Budget",
    "Deployment",
    "Integration",
    "KnowledgeBase",
    "KnowledgeChunk",
    "KnowledgeDocument",
    "Membership",
    "Tenant",
    "User",
    "WebhookDelivery",
    "WebhookSubscription",
]
