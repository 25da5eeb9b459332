"""One inbound webhook over real HTTP, to the app served by uvicorn: a signed Slack event is
accepted once (a retried one is a duplicate, a forged one is refused) and answered in Slack."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from core.services import free_port, port_open
from tests.chat_setup import API, hotel_agent
from tools.fake_providers import senders
from tools.fake_providers import server as fake

pytestmark = [pytest.mark.postgres, pytest.mark.redis]
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def served_app() -> Iterator[str]:
    """The app's FastAPI (with the request-context middleware) under uvicorn on loopback, in a
    subprocess: the database pool is per process and must not cross event loops."""
    port = free_port()
    code = (
        "import uvicorn\n"
        "from va_app.api.app import build_api, with_request_context\n"
        f"uvicorn.run(with_request_context(build_api()), host='127.0.0.1', port={port}, "
        "log_level='warning', lifespan='off')\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while not port_open(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                out = proc.stdout.read().decode() if proc.poll() is not None and proc.stdout else ""
                pytest.fail(f"uvicorn did not start: {out}")
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


async def test_slack_event_over_real_http_is_answered(
    api: httpx.AsyncClient, providers: fake.FakeProviders, served_app: str, hub_worker: None
) -> None:
    hotel = await hotel_agent(api)
    resp = await api.post(
        f"{API}/integrations/connect",
        json={"kind": "slack", "name": "slack http",
              "credentials": {"bot_token": fake.SLACK_TOKEN, "signing_secret": "http-secret"},
              "config": {"agent": hotel.slug, "api_base": f"{providers.base}/slack/api"}},
        headers=hotel.headers,
    )  # fmt: skip
    assert resp.status_code == 201, resp.text
    url = served_app + resp.json()["webhook_path"]
    channel = f"CH{uuid.uuid4().hex[:6]}"

    signed = senders.slack_event("http-secret", "What is the Wi-Fi password?", channel=channel)
    sent = await asyncio.to_thread(senders.send, url, signed)
    assert sent.status_code == 200 and sent.json()["status"] == "accepted", sent.text
    assert sent.headers.get("x-request-id")  # through the request-context middleware
    retry = await asyncio.to_thread(senders.send, url, signed)  # Slack retries an event it thinks was lost
    assert retry.json()["status"] == "duplicate"
    forged = (signed[0], signed[1] | {"X-Slack-Signature": "v0=" + "1" * 64})
    assert (await asyncio.to_thread(senders.send, url, forged)).status_code == 403

    deadline = time.monotonic() + 30
    while not [c for c in providers.of("slack") if c.json()["channel"] == channel]:
        assert time.monotonic() < deadline, "no Slack reply"
        await asyncio.sleep(0.05)
    reply = next(c for c in providers.of("slack") if c.json()["channel"] == channel).json()
    assert "Aurelia-Guest" in reply["text"]
