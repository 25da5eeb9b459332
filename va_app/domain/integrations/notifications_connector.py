"""The ``notifications`` connector type: where a tenant's alerts and scheduled reports go.

It has no credentials; a tenant configures it with ``POST /api/v1/integrations/connect``
(``kind: "notifications"``, config ``slack_channel``, ``email_to``, ``min_severity``,
``transitions``, ``reports``). The senders that read it live in
:mod:`va_app.domain.notifications`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from core.config import get_settings
from va_app.domain.integrations.http import ConnectorError
from va_app.domain.integrations.registry import Connection, ConnectorType, EmptySchema, Schema, register

Transition = Literal["firing", "acknowledged", "resolved"]
TRANSITIONS: tuple[Transition, ...] = ("firing", "acknowledged", "resolved")
MAX_RECIPIENTS = 50


class NotificationsConfig(Schema):
    slack_channel: str = Field(default="", max_length=200, description="e.g. #alerts; via the connected Slack")
    email_to: list[str] = Field(default_factory=list, max_length=MAX_RECIPIENTS, description="alert recipients")
    min_severity: Literal["info", "warning", "critical"] = "info"
    transitions: list[Transition] = Field(default_factory=lambda: list(TRANSITIONS))
    reports: bool = Field(default=True, description="also e-mail scheduled reports to email_to")

    @field_validator("email_to")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        return [check_address(v) for v in value]


def check_address(value: str) -> str:
    """A plain ``local@domain`` address (no display names, no header injection)."""
    address = value.strip()
    local, _, domain = address.partition("@")
    if not local or "." not in domain or any(c in address for c in " \r\n,;<>\"'") or len(address) > 320:
        raise ValueError(f"'{value}' is not an e-mail address")
    return address


async def _notifications_test(conn: Connection) -> None:
    if conn.config.get("email_to") and not get_settings().email.enabled:
        raise ConnectorError("email", None, "EMAIL__SMTP_HOST is not set: e-mail is off on this platform")


register(
    ConnectorType(
        "notifications", "Alert and report notifications", (), EmptySchema, NotificationsConfig, _notifications_test
    )
)
