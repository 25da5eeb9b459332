"""Structured logs: JSON lines with the current request id."""

from __future__ import annotations

import json
import logging

from core.logs import JsonFormatter, request_id_var


def test_json_line_carries_request_id_and_extras() -> None:
    record = logging.LogRecord("va.test", logging.INFO, __file__, 1, "hello %s", ("world",), None)
    record.route = "/api/v1/x"
    token = request_id_var.set("req-123")
    try:
        line = JsonFormatter().format(record)
    finally:
        request_id_var.reset(token)
    entry = json.loads(line)
    assert entry["message"] == "hello world"
    assert entry["request_id"] == "req-123"
    assert entry["route"] == "/api/v1/x"
    assert entry["level"] == "info"
