"""Console pages. Importing this package registers every page through ``va_app.templates``."""

from va_app.pages import (
    account,
    agent_detail,
    agent_editor,
    agents,
    alerts,
    analytics,
    api_keys,
    audit,
    conversations,
    knowledge,
    knowledge_base,
    login,
    overview,
    pipeline,
    users,
)

__all__ = [
    "account",
    "agent_detail",
    "agent_editor",
    "agents",
    "alerts",
    "analytics",
    "api_keys",
    "audit",
    "conversations",
    "knowledge",
    "knowledge_base",
    "login",
    "overview",
    "pipeline",
    "users",
]
