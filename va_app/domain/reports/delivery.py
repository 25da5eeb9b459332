"""Where rendered scheduled reports go.

The scheduler hands every rendered report to each registered delivery function (the
integration hub registers webhook and email delivery). With none registered, the report is
written under ``DATA_DIR/reports/<tenant>/`` and logged, so a schedule is never silently lost.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from core.config import get_settings
from va_app.domain.hooks import Hooks
from va_app.domain.reports.render import RenderedReport

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReportDelivery:
    tenant_id: str
    report_id: str
    name: str
    schedule: str
    report: RenderedReport


Delivery = Callable[[ReportDelivery], Awaitable[None] | None]
deliveries: Hooks[Delivery] = Hooks("report delivery")
register_delivery = deliveries.register  # sync or async; returns a function that removes it again


def write_to_disk(item: ReportDelivery) -> Path:
    """The default delivery: a file under DATA_DIR/reports/<tenant>/."""
    folder = get_settings().data_dir / "reports" / item.tenant_id
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / item.report.filename
    path.write_bytes(item.report.content)
    log.info("scheduled report written", extra={"tenant_id": item.tenant_id, "report": item.name, "path": str(path)})
    return path


async def deliver(item: ReportDelivery) -> None:
    """Run every registered delivery; one failing does not stop the others."""
    if not deliveries:
        write_to_disk(item)
        return
    await deliveries.notify_all(item, extra={"tenant_id": item.tenant_id, "report": item.name})
