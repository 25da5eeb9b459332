"""The integrations and webhooks pages: connect a REST integration through the schema-built
dialog (its connection test hits a local server), see it connected and re-test it, add a
webhook endpoint (signing secret shown once) and watch a delivery to a local receiver."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, expect

from tests.e2e.browser import signed_in_page

pytestmark = pytest.mark.browser


class _Receiver(BaseHTTPRequestHandler):
    """``GET /health`` 200, ``GET /broken`` 503, any POST 200 and recorded (method, path, headers)."""

    seen: list[tuple[str, str, dict[str, str]]] = []
    bodies: list[bytes] = []

    def _answer(self, status: int, body: bytes = b'{"ok":true}') -> None:
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self.seen.append(("GET", self.path, dict(self.headers)))
        if self.path.startswith("/broken"):
            self._answer(503, b"maintenance")
        else:
            self._answer(200)

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        self.bodies.append(self.rfile.read(length))
        self.seen.append(("POST", self.path, dict(self.headers)))
        self._answer(200)

    def log_message(self, *_args: object) -> None:
        return None


@pytest.fixture
def receiver() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    _Receiver.seen, _Receiver.bodies = [], []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.timeout(600)
async def test_connect_integration_and_webhook_delivery(
    browser: Browser, console_url: str, receiver: str, tmp_path: Path
) -> None:
    from tests.factories import create_key, create_tenant
    from va_app.domain.identity.login import login
    from va_app.domain.integrations.signing import verify_va_signature

    shots = Path("/tmp/e2e-integ-shots")
    shots.mkdir(exist_ok=True)
    tenant = await create_tenant(owner_password="integrations-owner-pw")
    key = await create_key(tenant, "developer")
    session = await login(tenant.provisioned.owner_email, "integrations-owner-pw")
    page = await signed_in_page(browser, console_url, session.session_token)

    # --- integrations: the catalogue and the schema-built connect form --------------------
    await page.goto(f"{console_url}/integrations")
    await expect(page.get_by_text("Available connectors")).to_be_visible(timeout=60_000)
    await expect(page.get_by_text("Nothing connected yet")).to_be_visible()
    await page.locator(".connect-rest").click()
    dialog = page.get_by_role("dialog")
    await expect(dialog.get_by_text("Connect REST call")).to_be_visible()
    assert await dialog.locator('input[name="credentials.token"]').get_attribute("type") == "password"
    await dialog.locator('input[name="name"]').fill("CRM bridge")
    await dialog.locator('input[name="config.url_template"]').fill(f"{receiver}/crm/{{id}}")

    # a failing connection test is refused readably and nothing is saved
    await dialog.locator('input[name="config.test_url"]').fill(f"{receiver}/broken")
    await dialog.locator(".connect-submit").click()
    error = dialog.locator(".connect-error")
    await expect(error).to_contain_text("The connection test failed", timeout=30_000)
    await expect(error).to_contain_text("503")
    await page.screenshot(path=str(shots / "integrations-connect-failed.png"), full_page=True)

    await dialog.locator('input[name="config.test_url"]').fill(f"{receiver}/health")
    await dialog.locator('input[name="credentials.token"]').fill("s3cret-token")
    await dialog.locator(".connect-submit").click()
    await expect(page.locator(".connect-result")).to_contain_text("is connected", timeout=30_000)
    await expect(page.get_by_role("dialog")).to_have_count(0)
    row = page.locator(".integration-row").filter(has_text="CRM bridge")
    await expect(row).to_have_count(1)
    await expect(row.get_by_text("connected", exact=True)).to_be_visible()
    await expect(row).to_contain_text("Credentials set: auth, header_name, password, token, username")
    assert "s3cret-token" not in await page.content()
    await expect(row.locator(".test-result")).to_contain_text("Passed on connect")
    await row.get_by_role("button", name="Test connection").click()
    await expect(page.get_by_text("Connection test passed.")).to_be_visible(timeout=30_000)
    await expect(row.locator(".test-result")).to_contain_text("Passed, ")
    health_checks = [s for s in _Receiver.seen if s[0] == "GET" and s[1] == "/health"]
    assert len(health_checks) == 2  # on connect and on the button
    assert health_checks[-1][2].get("Authorization") is None  # auth "none" sends nothing
    await page.screenshot(path=str(shots / "integrations.png"), full_page=True)

    # --- webhooks: subscribe, the one-time secret, the delivery log ------------------------
    await page.goto(f"{console_url}/webhooks")
    await expect(page.get_by_text("Delivery log")).to_be_visible(timeout=60_000)
    await page.get_by_role("button", name="Add endpoint").click()
    dialog = page.get_by_role("dialog")
    await dialog.locator('input[name="url"]').fill(f"{receiver}/hook")
    await dialog.get_by_role("checkbox", name="conversation").click()
    await dialog.locator(".webhook-submit").click()
    secret = page.locator(".new-webhook-secret")
    await expect(secret).to_contain_text("whsec_", timeout=30_000)
    signing_secret = (await secret.inner_text()).strip()
    await expect(page.get_by_text("it is not shown again")).to_be_visible()
    await page.screenshot(path=str(shots / "webhooks-secret.png"), full_page=True)
    await page.get_by_role("button", name="Done").click()
    await expect(page.locator(".new-webhook-secret")).to_have_count(0)
    sub = page.locator(".subscription-row").filter(has_text=f"{receiver}/hook")
    await expect(sub).to_have_count(1)
    await expect(sub.get_by_text("active", exact=True)).to_be_visible()

    payload = {"agent_id": str(uuid.uuid4()), "conversation_id": f"c-{uuid.uuid4()}"}
    event = {"type": "conversation.logs", "payload": payload}
    async with httpx.AsyncClient(base_url=console_url, timeout=30) as client:
        resp = await client.post("/api/v1/analytics/events", json=[event], headers={"Authorization": f"Bearer {key}"})
        assert resp.status_code == 202, resp.text
    delivery = page.locator(".delivery-row").filter(has_text="conversation.turn")
    await expect(delivery.get_by_text("delivered", exact=True)).to_be_visible(timeout=60_000)
    await expect(delivery).to_contain_text("200")
    posts = [s for s in _Receiver.seen if s[0] == "POST" and s[1] == "/hook"]
    assert posts, "the receiver got the delivery"
    assert verify_va_signature(signing_secret, _Receiver.bodies[0], posts[0][2]["X-VA-Signature"])
    await delivery.get_by_role("button", name="Redeliver").click()
    await expect(page.get_by_text("Queued for redelivery")).to_be_visible(timeout=30_000)
    await page.screenshot(path=str(shots / "webhooks.png"), full_page=True)
