"""Importing this module registers every built-in connector type."""

from __future__ import annotations

from va_app.integrations import channels, crm
from va_app.integrations.registry import ConnectorType, all_types, get_type

__all__ = ["ConnectorType", "all_types", "channels", "connector", "crm"]


def connector(kind: str) -> ConnectorType | None:
    return get_type(kind)
