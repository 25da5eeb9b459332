"""Alert notifications by Slack and e-mail, next to the hub's webhooks.

Both are notifiers for :data:`va_app.domain.alerts.notify.notifiers`; :mod:`va_app.runtime`
registers them while the integration hub runs.

* **Slack**: every ``slack`` integration the tenant connected posts the alert with
  ``chat.postMessage`` (the hub's Slack connector: same token, same ``api_base``) — severity,
  title, metric, agent, value/threshold and the link back to the chart. The channel is the
  rule's ``params.slack_channel``, else the tenant's ``notifications`` integration
  ``slack_channel``, else ``ALERTS__SLACK_CHANNEL`` (``#alerts``; empty turns the default off).
* **E-mail**: SMTP (``EMAIL__SMTP_HOST``/``EMAIL__SMTP_PORT``/``EMAIL__FROM``; off while the host
  is unset) to the rule's ``params.email_to`` plus the ``email_to`` of the tenant's
  ``notifications`` integrations.

Where alerts go is the tenant's ``notifications`` integration
(:mod:`va_app.domain.integrations.notifications_connector`).
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from core import db
from core.config import get_settings
from models.repositories import alerts as alerts_repo
from va_app.domain.alerts.notify import AlertNotification
from va_app.domain.integrations import service as hub
from va_app.domain.integrations.http import ConnectorError
from va_app.domain.integrations.messaging import slack_api
from va_app.domain.integrations.notifications_connector import TRANSITIONS, check_address
from va_app.domain.notifications.email import send_email

log = logging.getLogger(__name__)
SEVERITY_RANK = {"info": 0, "warning": 1, "critical": 2}
SEVERITY_EMOJI = {"info": ":information_source:", "warning": ":warning:", "critical": ":rotating_light:"}


def absolute_link(link: str) -> str:
    """Chart links are stored relative (``/analytics?...``); messages leave the console."""
    if link.startswith(("http://", "https://")):
        return link
    settings = get_settings()
    base = settings.alerts.console_url.rstrip("/") or f"http://localhost:{settings.port}"
    return base + link


def _wanted(config: dict[str, Any], note: AlertNotification) -> bool:
    floor = SEVERITY_RANK.get(str(config.get("min_severity", "info")), 0)
    return SEVERITY_RANK.get(note.severity, 0) >= floor and note.transition in config.get("transitions", TRANSITIONS)


async def _rule_params(note: AlertNotification) -> dict[str, Any]:
    if not note.rule_id:
        return {}
    async with db.session_scope() as session:
        rule = await alerts_repo.get_rule(
            session=session, tenant_id=uuid.UUID(note.tenant_id), rule_id=uuid.UUID(note.rule_id)
        )
        return dict(rule.params or {}) if rule is not None else {}


def _shown(value: float | None, metric: str) -> str:
    if value is None:
        return "n/a"
    if metric.endswith("_rate"):
        return f"{value:.2%}"
    if metric.startswith("latency"):
        return f"{value:.0f} ms"
    return f"{value:.4g}"


def slack_message(note: AlertNotification, channel: str) -> dict[str, Any]:
    """``chat.postMessage`` body: a one-line fallback ``text`` plus blocks with the details."""
    state = note.transition.upper()
    link = absolute_link(note.link)
    headline = f"{SEVERITY_EMOJI.get(note.severity, '')} [{note.severity.upper()}] {state}: {note.title}".strip()
    fields = [
        f"*Severity*\n{note.severity}",
        f"*Metric*\n{note.metric or '-'}",
        f"*Agent*\n{note.agent_id or 'every agent'}",
        f"*Value / threshold*\n{_shown(note.value, note.metric)} / {_shown(note.threshold, note.metric)}",
    ]
    return {
        "channel": channel,
        "text": f"{headline} (metric {note.metric}, agent {note.agent_id}) {link}",
        "unfurl_links": False,
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*{headline}*\n{note.summary}"}},
            {"type": "section", "fields": [{"type": "mrkdwn", "text": f} for f in fields]},
            {"type": "section", "text": {"type": "mrkdwn", "text": f"<{link}|Open the chart>"}},
        ],
    }


def email_text(note: AlertNotification) -> tuple[str, str]:
    subject = f"[{note.severity.upper()}] {note.transition}: {note.title}"
    body = "\n".join(
        [
            f"Alert {note.transition} ({note.state}).",
            "",
            note.title,
            note.summary,
            "",
            f"Severity:  {note.severity}",
            f"Metric:    {note.metric or '-'}",
            f"Agent:     {note.agent_id or 'every agent'}",
            f"Value:     {_shown(note.value, note.metric)}",
            f"Threshold: {_shown(note.threshold, note.metric)}",
            f"Started:   {note.started_at:%Y-%m-%d %H:%M} UTC",
            f"Chart:     {absolute_link(note.link)}",
            "",
            f"Alert id {note.alert_id}; rule {note.rule_id or '-'}.",
        ]
    )
    return subject, body


async def slack_notifier(note: AlertNotification) -> None:
    """Post to every Slack integration of the tenant (one failing does not stop the others)."""
    connections = await hub.tenant_connections(uuid.UUID(note.tenant_id))
    slacks = [c for c in connections if c.kind == "slack"]
    if not slacks:
        return
    routing = [c.config for c in connections if c.kind == "notifications"]
    if routing and not any(_wanted(cfg, note) for cfg in routing):
        return
    params = await _rule_params(note)
    channel = str(params.get("slack_channel") or "")
    channel = channel or next((str(c["slack_channel"]) for c in routing if c.get("slack_channel")), "")
    channel = channel or get_settings().alerts.slack_channel
    if not channel:
        return
    body = slack_message(note, channel)
    for conn in slacks:
        try:
            await slack_api(conn, "chat.postMessage", body)
        except ConnectorError as exc:
            log.warning("slack alert failed", extra={"integration_id": str(conn.id), "error": exc.message})
            await hub.record_event(conn, exc.message)
        else:
            await hub.record_event(conn)


async def email_notifier(note: AlertNotification) -> None:
    """E-mail the rule's and the tenant's recipients (nothing when SMTP is not configured)."""
    if not get_settings().email.enabled:
        return
    params = await _rule_params(note)
    to = [check_address(a) for a in params.get("email_to") or []]
    connections = await hub.tenant_connections(uuid.UUID(note.tenant_id))
    for conn in connections:
        if conn.kind == "notifications" and _wanted(conn.config, note):
            to += list(conn.config.get("email_to") or [])
    if not to:
        return
    subject, body = email_text(note)
    await send_email(to, subject, body)


__all__ = ["email_notifier", "email_text", "slack_message", "slack_notifier"]
