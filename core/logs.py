"""Structured JSON log lines carrying the request id of the request being served.

Secrets never reach a log line: settings hold them as ``SecretStr`` and the API never logs
bodies or Authorization headers.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import logging
import sys

import orjson

from core.tracing import current_trace_id

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
# Client address and user agent of the request being served, for the audit trail.
client_var: contextvars.ContextVar[tuple[str | None, str | None]] = contextvars.ContextVar(
    "client", default=(None, None)
)

_RESERVED = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id and extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        trace_id = current_trace_id()  # None unless tracing is on and a span is active
        if trace_id:
            entry["trace_id"] = trace_id
        for key, value in record.__dict__.items():
            if key not in _RESERVED and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


def configure_logging(level: str = "INFO", json_lines: bool = True) -> None:
    """Route the root logger to stderr, as JSON lines unless asked for plain text."""
    handler = logging.StreamHandler(sys.stderr)
    if json_lines:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("httpx", "httpcore", "aiokafka", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
