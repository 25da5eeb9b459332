"""Scheduled reports out through the integration hub: e-mail (attachment) and signed webhook.

:func:`hub_delivery` is registered in :data:`va_app.domain.reports.delivery.deliveries` by
:mod:`va_app.runtime` while the integration hub runs. For each rendered report:

* **e-mail**: the file attached, to the ``email_to`` of every ``notifications`` integration of
  the tenant whose ``reports`` is true (SMTP settings ``EMAIL__*``; off while unset);
* **webhook**: a ``report.delivered`` event to the tenant's webhook subscriptions of ``*``,
  signed and retried by the hub's delivery worker like every other webhook; the file travels
  base64-encoded in ``data.content_base64`` up to ``INLINE_MAX_BYTES`` (larger files carry
  the name, size and SHA-256 only, and are also written to disk);
* when neither reaches anybody, the file is written under ``DATA_DIR/reports/<tenant>/``
  (the default delivery), so a schedule is never silently lost.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import uuid
from typing import Any

from va_app.domain.integrations import outbound
from va_app.domain.integrations import service as hub
from va_app.domain.notifications.email import Attachment, send_email
from va_app.domain.reports.delivery import ReportDelivery, write_to_disk

log = logging.getLogger(__name__)
EVENT_TYPE = "report.delivered"
INLINE_MAX_BYTES = 256 * 1024


def _recipients(connections: list[Any]) -> list[str]:
    out: list[str] = []
    for conn in connections:
        if conn.kind == "notifications" and conn.config.get("reports", True):
            out += list(conn.config.get("email_to") or [])
    return out


def _event(item: ReportDelivery) -> dict[str, Any]:
    content = item.report.content
    data: dict[str, Any] = {
        "report_id": item.report_id,
        "name": item.name,
        "schedule": item.schedule,
        "filename": item.report.filename,
        "media_type": item.report.media_type,
        "size": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
    }
    if len(content) <= INLINE_MAX_BYTES:
        data["content_base64"] = base64.b64encode(content).decode()
    return data


async def email_report(item: ReportDelivery, to: list[str]) -> bool:
    report = item.report
    text = (
        f"The {item.schedule} report '{item.name}' is attached ({report.filename}, {len(report.content)} bytes).\n\n"
        "Sent by VirtualAgent's report scheduler; change the schedule under Analytics > Reports."
    )
    attachment = Attachment(report.filename, report.content, report.media_type or "application/octet-stream")
    return await send_email(to, f"Report: {item.name} ({item.schedule})", text, (attachment,))


async def hub_delivery(item: ReportDelivery) -> None:
    """E-mail and/or webhook; the disk when neither has a recipient."""
    tenant = uuid.UUID(item.tenant_id)
    sent = False
    try:
        sent = await email_report(item, _recipients(await hub.tenant_connections(tenant)))
    except Exception:  # SMTP away: the webhook and the disk copy still happen
        log.exception("report e-mail failed", extra={"tenant_id": item.tenant_id, "report": item.name})
    data = _event(item)
    event_id = f"report:{item.report_id}:{uuid.uuid4().hex[:12]}"
    queued = await outbound.enqueue(tenant, EVENT_TYPE, event_id, data)
    if not sent and (not queued or "content_base64" not in data):
        write_to_disk(item)
    log.info(
        "scheduled report delivered",
        extra={"tenant_id": item.tenant_id, "report": item.name, "emailed": sent, "webhooks": queued},
    )
