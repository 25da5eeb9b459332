"""The agent lifecycle and knowledge bases in the console, end to end in Chromium.

A fresh tenant's owner creates an agent from the hotel concierge template, publishes v2 with
a changed prompt and reads the diff, deploys v1 through development and staging to
production, starts a gradual rollout of v2, reads the rollout timeline (with KPIs from real
events sent through the API and ingested into analytics, per environment: v2's staging errors
are not its production figures) and rolls back by hand. Then a
knowledge base gets a small FAQ file, which reaches "ready" and answers a search.
Screenshots of every page go to ``$E2E_SCREENSHOTS`` (or the test's temp dir).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from tests.factories import TenantFixture, create_tenant

PASSWORD = "agent-lifecycle-password"
TIMEOUT_MS = 30_000
FAQ = """question,answer,category
When is check-out?,Check-out is at 11:00; late check-out until 14:00 can be requested at the front desk.,stay
Is breakfast included?,Breakfast is served 6:30-10:30 in the garden restaurant and is included in every rate.,dining
Do you allow pets?,Dogs under 10 kg are welcome for 25 EUR per night; please tell us when you book.,policy
"""

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    target = Path(os.environ.get("E2E_SCREENSHOTS") or tmp_path)
    target.mkdir(parents=True, exist_ok=True)
    return target


@pytest.fixture
async def tenant() -> TenantFixture:
    return await create_tenant("Agents Test Co", owner_password=PASSWORD)


@pytest.fixture
async def page(browser: Browser, console_url: str, tenant: TenantFixture) -> AsyncIterator[Page]:
    """A signed-in owner of a fresh tenant (session made through the login service, as the fixtures do)."""
    from va_app.console.states.auth import SESSION_COOKIE
    from va_app.domain.identity.login import login

    result = await login(tenant.provisioned.owner_email, PASSWORD)
    assert result.session_token, "a fresh owner has no second factor"
    context = await browser.new_context(viewport={"width": 1440, "height": 1000})
    await context.add_cookies([{"name": SESSION_COOKIE, "value": result.session_token, "url": console_url}])
    try:
        yield await context.new_page()
    finally:
        await context.close()


async def _shot(page: Page, path: Path) -> None:
    """A full-page screenshot from the top (a focused field may have scrolled the page)."""
    await page.evaluate("window.scrollTo(0, 0)")
    await page.screenshot(path=str(path), full_page=True)


async def _choose(page: Page, trigger_id: str, option: str) -> None:
    """Pick an option of a Radix select (the dialog's version / environment pickers)."""
    await page.locator(f"#{trigger_id}").click()
    await page.get_by_role("option", name=option, exact=True).click()


async def _deploy(page: Page, version: str, environment: str, strategy: str = "All at once") -> None:
    await page.get_by_role("button", name="Deploy", exact=True).click()
    dialog = page.get_by_role("dialog")
    await _choose(page, "deploy-version", version)
    await _choose(page, "deploy-env", environment)
    await dialog.get_by_role("radio", name=strategy).click()
    await dialog.locator("input[name=reason]").fill(f"e2e: v{version} to {environment}")
    if strategy == "Gradual":
        await expect(dialog.locator(".schedule-preview")).to_contain_text("5% for 10 min")
    await dialog.get_by_role("button", name="Deploy", exact=True).click()
    await expect(page.get_by_role("dialog")).to_have_count(0, timeout=TIMEOUT_MS)


async def _send_traffic(base: str, key: str, agent_id: str) -> None:
    """Conversation turns for v1 and v2 in production and v2 in staging (a third failing) through
    the public API, so analytics has KPIs per version and environment."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    events = []
    traffic = (("production", 1, 60, 1, 6, 380.0), ("production", 2, 40, 3, 2, 520.0), ("staging", 2, 30, 10, 3, 600.0))
    for environment, version, count, errors, handoffs, latency in traffic:
        for i in range(count):
            outcome = "error" if i < errors else "handoff" if i < errors + handoffs else "answered"
            events.append(
                {
                    "type": "conversation.logs",
                    "ts": (now - dt.timedelta(seconds=i)).isoformat(),
                    "payload": {
                        "agent_id": agent_id,
                        "version": version,
                        "conversation_id": f"c-{environment}-{version}-{i}",
                        "channel": "web",
                        "environment": environment,
                        "outcome": outcome,
                        "latency_ms": latency + i * 3,
                    },
                }
            )
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        response = await client.post(
            "/api/v1/analytics/events", json={"events": events}, headers={"Authorization": f"Bearer {key}"}
        )
    assert response.status_code == 202, response.text


async def test_agent_lifecycle(console_url: str, page: Page, tenant: TenantFixture, shots: Path) -> None:
    slug = f"aurelia-{uuid.uuid4().hex[:6]}"

    # Agents list, empty, then the template wizard.
    await page.goto(f"{console_url}/agents")
    await expect(page.get_by_text("No agents yet.")).to_be_visible(timeout=TIMEOUT_MS)
    await page.get_by_role("button", name="New from template").click()
    await page.locator(".template-card").filter(has_text="Hotel concierge").click()
    dialog = page.get_by_role("dialog")
    await dialog.locator("input[name=slug]").fill(slug)
    await dialog.locator("input[name=name]").fill("Aurelia Paris concierge")
    await dialog.locator("input[name=brand]").fill("aurelia")
    await dialog.locator("input[name=var_property_name]").fill("Aurelia Paris")
    await _shot(page, shots / "agents-wizard.png")
    await dialog.get_by_role("button", name="Preview version 1").click()
    await expect(dialog.locator(".template-preview")).to_contain_text("digital concierge of Aurelia Paris")
    await dialog.get_by_role("button", name="Create agent").click()

    # The agent's page: nothing deployed; promotion explains why it is not possible yet.
    await expect(page).to_have_url(re.compile(rf"/agents/{slug}/?$"), timeout=TIMEOUT_MS)
    await expect(page.locator(".agent-name")).to_have_text("Aurelia Paris concierge", timeout=TIMEOUT_MS)
    dev = page.locator(".env-development")
    await expect(dev.locator(".promote-button")).to_be_disabled()
    await expect(dev.locator(".promote-hint")).to_have_text("Nothing serves all of development yet.")

    # v2: a changed prompt, published as a new version, and its diff against v1.
    await page.get_by_role("link", name="New version").click()
    await expect(page.locator(".editor-base")).to_have_text("starting from v1", timeout=TIMEOUT_MS)
    prompt = page.locator("textarea[name=system_prompt]")
    await prompt.fill((await prompt.input_value()) + "\nAlways mention the rooftop bar, open until 1 am.")
    await page.locator("input[name=blocked_topics]").fill("politics, competitor prices")
    await page.locator("input[name=change_note]").fill("mention the rooftop bar")
    await expect(page.locator("#semantic-cache")).to_contain_text("auto")  # the safe default
    await page.locator("#semantic-cache").click()
    await page.get_by_role("option", name="on", exact=True).click()
    await _shot(page, shots / "agent-editor.png")
    await page.get_by_role("button", name="Publish new version").click()
    await expect(page).to_have_url(re.compile(rf"/agents/{slug}/?\?tab=versions$"), timeout=TIMEOUT_MS)
    await expect(page.locator(".version-row")).to_have_count(2, timeout=TIMEOUT_MS)
    from va_app.domain.agents.versions import get_version
    from va_app.domain.identity.principal import system_principal

    v2 = await get_version(system_principal(tenant.tenant_id, "e2e"), slug, 2)
    assert v2.guardrails["semantic_cache"] == "on" and v2.guardrails["blocked_topics"] == [
        "politics",
        "competitor prices",
    ]
    added = page.locator(".diff-view .diff-add")
    await expect(added.filter(has_text="Always mention the rooftop bar")).to_have_count(1)
    await expect(page.locator(".diff-view .diff-del").first).to_be_visible()  # the old change note, at least
    await _shot(page, shots / "agent-diff-side.png")
    await page.get_by_role("radio", name="Unified").click()
    await expect(added.filter(has_text="+Always mention the rooftop bar")).to_have_count(1)
    await _shot(page, shots / "agent-diff-unified.png")

    # v1: development, then staging (promote), then production (all at once).
    await page.get_by_role("tab", name="Deployments").click()
    await _deploy(page, "1", "development")
    await expect(dev.locator(".env-stable")).to_have_text("v1", timeout=TIMEOUT_MS)
    await dev.locator(".promote-button").click()
    staging, prod = page.locator(".env-staging"), page.locator(".env-production")
    await expect(staging.locator(".env-stable")).to_have_text("v1", timeout=TIMEOUT_MS)
    await _deploy(page, "1", "production")
    await expect(prod.locator(".env-stable")).to_have_text("v1", timeout=TIMEOUT_MS)
    await expect(staging.locator(".promote-hint")).to_have_text("v1 already serves all of production.")

    # v2 passes development and staging, then rolls out gradually in production.
    await _deploy(page, "2", "development")
    await expect(dev.locator(".env-stable")).to_have_text("v2", timeout=TIMEOUT_MS)
    await dev.locator(".promote-button").click()
    await expect(staging.locator(".env-stable")).to_have_text("v2", timeout=TIMEOUT_MS)
    await _deploy(page, "2", "production", strategy="Gradual")
    await expect(prod.locator(".env-rollout")).to_have_text("v2 gets 5% (gradual)", timeout=TIMEOUT_MS)

    # The rollout timeline: split per version after each transition, and KPIs per version.
    agent_id = await _agent_id(tenant, slug)
    await _send_traffic(console_url, tenant.owner_key, agent_id)
    timeline = page.locator(".rollout-timeline")
    await expect(timeline.locator(".split-chart")).to_be_visible()
    await expect(timeline.locator(".recharts-legend-item")).to_have_count(2)  # v1 and v2
    await expect(timeline.locator(".history-kind").first).to_have_text("rollout started")
    for _ in range(30):  # the ingest worker flushes in batches: ask again until the KPIs are there
        await timeline.get_by_role("button", name="Refresh KPIs").click()
        if await timeline.locator(".kpi-charts").count():
            break
        await page.wait_for_timeout(1000)
    await expect(timeline.locator(".kpi-charts .recharts-bar-rectangle")).to_have_count(6, timeout=TIMEOUT_MS)
    await expect(timeline.locator(".kpi-scope")).to_have_text("100 turns served in production in the last 24 h")
    await _shot(page, shots / "agent-rollout.png")
    # Staging: only v2 served there, with its own (worse) figures; back to production after.
    await timeline.get_by_role("radio", name="Staging").click()
    await expect(timeline.locator(".kpi-scope")).to_have_text("30 turns served in staging in the last 24 h")
    await expect(timeline.locator(".kpi-charts .recharts-bar-rectangle")).to_have_count(3, timeout=TIMEOUT_MS)
    await _shot(page, shots / "agent-rollout-staging.png")
    await timeline.get_by_role("radio", name="Production").click()
    await expect(timeline.locator(".kpi-scope")).to_have_text("100 turns served in production in the last 24 h")

    # Roll back by hand: production returns to v1 at once.
    await prod.locator(".rollback-button").click()
    confirm = page.get_by_role("alertdialog")
    await expect(confirm).to_contain_text("rollout of v2 stops")
    await confirm.get_by_role("button", name="Roll back").click()
    await expect(prod.locator(".env-rollout")).to_have_count(0, timeout=TIMEOUT_MS)
    await expect(prod.locator(".env-stable")).to_have_text("v1")
    await expect(timeline.locator(".history-kind").first).to_have_text("rollout rolled back")
    await _shot(page, shots / "agent-rolled-back.png")

    # An A/B experiment between v1 (control) and v2 in production: too little traffic for a verdict yet.
    await page.get_by_role("tab", name="Experiments").click()
    await page.get_by_role("button", name="Start experiment").click()
    dialog = page.get_by_role("dialog")
    await dialog.locator("input[name=name]").fill("rooftop bar mention")
    await dialog.get_by_role("button", name="Start").click()
    await expect(page.locator(".verdict")).to_contain_text("Not enough data yet", timeout=TIMEOUT_MS)
    await expect(page.locator(".experiment-row")).to_contain_text("running")
    await expect(page.get_by_role("button", name="Stop & promote winner")).to_be_disabled()
    await _shot(page, shots / "agent-experiment.png")
    await page.get_by_role("button", name="Stop", exact=True).click()
    await expect(page.locator(".experiment-row")).to_contain_text("stopped", timeout=TIMEOUT_MS)

    # The list shows what each environment runs.
    await page.get_by_role("link", name="Agents", exact=True).first.click()
    row = page.locator(".agent-row").filter(has_text=slug)
    await expect(row.locator(".env-badge")).to_have_text(["dev v2", "staging v2", "prod v1"], timeout=TIMEOUT_MS)
    await _shot(page, shots / "agents.png")


async def _agent_id(tenant: TenantFixture, slug: str) -> str:
    from va_app.domain.agents.service import get_agent

    return (await get_agent(tenant.owner(), slug)).id


async def test_knowledge_base_upload_and_search(console_url: str, page: Page, shots: Path, tmp_path: Path) -> None:
    await page.goto(f"{console_url}/knowledge")
    await page.get_by_role("button", name="Create knowledge base").click()
    dialog = page.get_by_role("dialog")
    await dialog.locator("input[name=name]").fill("Hotel FAQ")
    await dialog.locator("input[name=description]").fill("Stay, dining and policies")
    await dialog.get_by_role("button", name="Create").click()
    await expect(page.locator(".kb-name")).to_have_text("Hotel FAQ", timeout=TIMEOUT_MS)

    faq = tmp_path / "hotel-faq.csv"
    faq.write_text(FAQ)
    await page.locator(".kb-dropzone input[type=file]").set_input_files(str(faq))
    await expect(page.get_by_text("hotel-faq.csv")).to_be_visible()
    await _shot(page, shots / "knowledge-upload.png")
    await page.locator(".upload-button").click()
    doc = page.locator(".doc-row").filter(has_text="hotel-faq.csv")
    await expect(doc.locator(".doc-status")).to_have_text("ready", timeout=TIMEOUT_MS)
    await expect(doc).to_contain_text("3")  # three FAQ rows, three chunks

    # A larger file (more than 48 chunks) is embedded in the background while the page polls it.
    big = tmp_path / "hotel-big-faq.csv"
    rows = [
        f"Question {i} about room {i}?,Room {i} looks onto courtyard {i} and has a minibar.,rooms" for i in range(80)
    ]
    big.write_text("question,answer,category\n" + "\n".join(rows) + "\n")
    await page.locator(".kb-dropzone input[type=file]").set_input_files(str(big))
    await page.locator(".upload-button").click()
    big_doc = page.locator(".doc-row").filter(has_text="hotel-big-faq.csv")
    await expect(big_doc).to_have_count(1, timeout=TIMEOUT_MS)
    await expect(big_doc.locator(".doc-status")).to_have_text("ready", timeout=90_000)
    await expect(big_doc).to_contain_text("80")

    await page.locator("input[name=query]").fill("What time do I have to leave my room?")
    await page.get_by_role("button", name="Search").click()
    best = page.locator(".search-hit").first
    await expect(best.locator(".hit-content")).to_contain_text("Check-out is at 11:00", timeout=TIMEOUT_MS)
    await expect(best.locator(".hit-score")).to_have_text(re.compile(r"^score 0\.\d{3}$"))
    await _shot(page, shots / "knowledge-base.png")

    await page.get_by_role("link", name="Knowledge", exact=True).first.click()
    row = page.locator(".kb-row").filter(has_text="Hotel FAQ")
    await expect(row.locator(".kb-status")).to_have_text("ready", timeout=TIMEOUT_MS)
    await expect(row).to_contain_text("83")  # chunks of both files
    await _shot(page, shots / "knowledge.png")
