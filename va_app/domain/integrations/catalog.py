"""Importing this module registers every built-in connector type."""

from __future__ import annotations

from va_app.domain.integrations import crm, notifications_connector
from va_app.domain.integrations import messaging as channels
from va_app.domain.integrations.registry import ConnectorType, all_types, get_type

__all__ = ["ConnectorType", "all_types", "channels", "connector", "crm", "notifications_connector"]


def connector(kind: str) -> ConnectorType | None:
    return get_type(kind)
