"""``python -m ingest``: a standalone ingest worker (one member of the consumer group).

The analytics schema must exist: ``va db upgrade`` applies it before workers start (the
Helm migrations hook, the compose ``migrate`` service); the worker never creates tables.

SIGTERM/SIGINT finish the batch in hand, acknowledge it, and exit. Metrics are served on
``INGEST__METRICS_PORT`` for Prometheus.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from prometheus_client import start_http_server

from core.config import get_settings
from core.logs import configure_logging
from core.metrics import REGISTRY
from ingest.consumer import IngestWorker

log = logging.getLogger("ingest")


async def main() -> None:
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    if settings.ingest.metrics_port:
        start_http_server(settings.ingest.metrics_port, registry=REGISTRY)
    worker = IngestWorker(settings)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, worker.stop_event.set)
    await worker.start()
    try:
        await worker.run()
    finally:
        await worker.close()
        log.info("ingest worker stopped", extra={"worker": worker.name})


if __name__ == "__main__":
    asyncio.run(main())
