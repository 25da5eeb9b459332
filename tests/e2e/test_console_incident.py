"""An incident injected into the running app: alert raised, shown, marked and delivered.

A baseline of normal turns over the last three days, then a burst of failing, slow turns for
one agent — all through ``POST /api/v1/analytics/events`` of the running app (it owns its chDB).
The app's own alert evaluator (every ``ALERTS__INTERVAL_S`` = 5 s here, see ``conftest.py``)
must open the default threshold alerts (error rate > 1 %, critical; p95 > 500 ms, warning);
``/alerts`` shows them with their severity; ``/analytics`` marks the incident hour on the
error-rate chart (the detector's expected band, learned from the baseline, and a red x
"anomaly" point); and a webhook receiver started by this test, subscribed through the API,
receives the signed ``alert.firing`` delivery.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, expect

from core.services import free_port
from tests.e2e.browser import signed_in_page
from va_app.domain.integrations.signing import verify_va_signature

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/va-incident-shots")
AGENT = "5c7e0a11-0000-4000-8000-0000000c4ec0"  # an agent reporting by id (unknown slugs are refused)
OTHER_AGENT = "5c7e0a11-0000-4000-8000-0000000c0c1e"
BASELINE_HOURS = 72


class Receiver:
    """A webhook subscriber on loopback: records every POST (body and headers)."""

    def __init__(self) -> None:
        self.calls: list[tuple[dict[str, str], bytes]] = []
        received = self.calls

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # http.server's hook name
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                return

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.url = f"http://127.0.0.1:{self.port}/va-alerts"

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _turn(at: dt.datetime, agent: str, *, error: bool, latency_ms: float) -> dict[str, Any]:
    return {
        "type": "conversation.logs",
        "ts": at.isoformat(),
        "payload": {
            "agent_id": agent,
            "version": 1,
            "conversation_id": f"conv-{uuid.uuid4().hex[:10]}",
            "channel": "web",
            "model": "local-small",
            "provider": "local",
            "intent": "order_status",
            "outcome": "error" if error else "answered",
            "latency_ms": latency_ms,
            "prompt_tokens": 50,
            "completion_tokens": 20,
            "cost_usd": 0.001,
            "user_message": "Where is my order?",
            "reply": "It ships tomorrow." if not error else "",
        },
    }


def baseline(now: dt.datetime) -> list[dict[str, Any]]:
    """Eight healthy turns an hour per agent for three days (ending an hour before now)."""
    out = []
    start = now.replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=BASELINE_HOURS)
    for hour in range(BASELINE_HOURS):
        for i in range(8):
            at = start + dt.timedelta(hours=hour, minutes=7 * i + 1)
            for agent in (AGENT, OTHER_AGENT):
                out.append(_turn(at, agent, error=False, latency_ms=180 + 15 * ((hour + i) % 5)))
    return out


def incident(now: dt.datetime) -> list[dict[str, Any]]:
    """Sixty turns of the last two minutes, four in five failing, all slow."""
    return [
        _turn(now - dt.timedelta(seconds=2 * i), AGENT, error=i % 5 != 0, latency_ms=3500 + 10 * i) for i in range(60)
    ]


@pytest.mark.timeout(900)
async def test_incident_raises_alert_marks_chart_and_calls_webhook(browser: Browser, console_url: str) -> None:
    from tests.factories import create_tenant
    from va_app.domain.identity.login import login

    SHOTS.mkdir(parents=True, exist_ok=True)
    tenant = await create_tenant(owner_password="incident-owner-pw")
    headers = {"Authorization": f"Bearer {tenant.owner_key}"}
    with Receiver() as receiver:
        async with httpx.AsyncClient(base_url=console_url, timeout=60) as client:
            sub = await client.post(
                "/api/v1/webhooks/subscriptions", json={"url": receiver.url, "event_types": ["alert"]}, headers=headers
            )
            assert sub.status_code == 201, sub.text
            secret = sub.json()["secret"]
            now = dt.datetime.now(dt.UTC)
            resp = await client.post("/api/v1/analytics/events", json=baseline(now), headers=headers)
            assert resp.status_code == 202 and resp.json()["rejected"] == 0, resp.text
            resp = await client.post("/api/v1/analytics/events", json=incident(now), headers=headers)
            assert resp.status_code == 202 and resp.json()["rejected"] == 0, resp.text

            # the app's evaluator (every 5 s here; 60 s by default) opens the default threshold alerts
            deadline, alerts = time.monotonic() + 180, []
            while time.monotonic() < deadline:
                got = await client.get("/api/v1/alerts", params={"state": "firing", "agent": AGENT}, headers=headers)
                assert got.status_code == 200, got.text
                alerts = got.json()["data"]
                if {a["metric"] for a in alerts} >= {"error_rate", "latency_p95"}:
                    break
                await asyncio.sleep(1)
            by_metric = {a["metric"]: a for a in alerts if a["kind"] == "threshold"}
            assert set(by_metric) >= {"error_rate", "latency_p95"}, alerts
            assert by_metric["error_rate"]["severity"] == "critical" and by_metric["error_rate"]["value"] > 0.5
            assert by_metric["latency_p95"]["severity"] == "warning" and by_metric["latency_p95"]["value"] > 3000
            assert by_metric["error_rate"]["link"].startswith(f"/analytics?agent={AGENT}&metric=error_rate")

        # the subscribed receiver gets the signed alert.firing deliveries from the app's delivery worker
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(receiver.calls) < 2:
            await asyncio.sleep(0.5)
        bodies = [json.loads(body) for _h, body in receiver.calls]
        fired = {b["data"]["metric"]: b for b in bodies if b["type"] == "alert.firing"}
        assert set(fired) >= {"error_rate", "latency_p95"}, bodies
        assert (
            fired["error_rate"]["data"]["agent_id"] == AGENT and fired["error_rate"]["data"]["severity"] == "critical"
        )
        assert all(verify_va_signature(secret, body, h["x-va-signature"]) for h, body in receiver.calls)

    session = await login(tenant.provisioned.owner_email, "incident-owner-pw")
    page = await signed_in_page(browser, console_url, session.session_token, height=1100)
    await page.goto(f"{console_url}/alerts")
    row = page.locator("tr", has_text="error rate above 1 %").first
    await expect(row).to_be_visible(timeout=60_000)
    await expect(row).to_contain_text("critical")
    await expect(row).to_contain_text("firing")
    await expect(row).to_contain_text(AGENT)
    latency_row = page.locator("tr", has_text="p95 response time above 500 ms").first
    await expect(latency_row).to_contain_text("warning")
    await page.screenshot(path=str(SHOTS / "alerts.png"), full_page=True)

    # the last 24 h hourly: the expected band (learned from the baseline) and the anomaly marked
    await page.goto(f"{console_url}/analytics?agent={AGENT}")
    errors = page.locator(".chart-errors")
    await expect(errors.locator(".js-plotly-plot")).to_be_visible(timeout=60_000)
    await expect(errors.locator(".legendtext", has_text="expected range")).to_be_visible(timeout=60_000)
    await expect(errors.locator(".legendtext", has_text="anomaly")).to_be_visible(timeout=30_000)
    await expect(errors.locator(".scatterlayer .trace .point").last).to_be_visible()
    await page.screenshot(path=str(SHOTS / "analytics.png"), full_page=True)
